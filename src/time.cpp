// src/time.cpp — clock, sleeping, and the production side of weft::choose / channel panics.
#include "weft/time.hpp"

#include <random>
#include <thread>

#include "engine.hpp"
#include "weft/chan.hpp"
#include "weft/select.hpp"
#include "weft/task.hpp"

namespace weft {

clock::time_point clock::now() noexcept {
  if (detail::scope* s = detail::current_scope()) {
    return time_point(duration(detail::virtual_now(*s)));
  }
  return time_point(
      std::chrono::duration_cast<duration>(std::chrono::steady_clock::now().time_since_epoch()));
}

void sleep_until(clock::time_point t, weft::source_location site) {
  detail::scope* s = detail::current_scope();
  if (s == nullptr) {
    auto remaining = t - clock::now();
    if (remaining > clock::duration::zero()) std::this_thread::sleep_for(remaining);
    return;
  }
  if (detail::tearing_down(*s, detail::op_kind::sleep)) return;
  const std::int64_t deadline = t.time_since_epoch().count();
  if (deadline <= s->now()) {
    s->step(detail::op_kind::sleep, nullptr, site);
    return;
  }
  detail::task* self = s->running();
  s->arm(self->sleep, deadline);
  if (!s->park(detail::op_kind::sleep, nullptr, site)) s->disarm(self->sleep);
}

void sleep_for(clock::duration d, weft::source_location site) {
  if (detail::scope* s = detail::current_scope()) {
    if (d <= clock::duration::zero()) {
      s->step(detail::op_kind::sleep, nullptr, site);  // in teardown: unwinds the task
      return;
    }
    sleep_until(clock::time_point(clock::duration(s->now())) + d, site);
    return;
  }
  if (d > clock::duration::zero()) std::this_thread::sleep_for(d);
}

namespace detail {

std::uint64_t production_choose(std::uint64_t n) {
  if (n == 0) throw usage_error("weft::choose(0): n must be at least 1");
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return std::uniform_int_distribution<std::uint64_t>(0, n - 1)(rng);
}

void panic_send_on_closed(scope* s, const object_header& h, const weft::source_location& site) {
  panic(s, "chan::send: send on closed channel " + describe(h), site);
}

void panic_select_send_on_closed(scope* s, const object_header& h,
                                 const weft::source_location& site) {
  panic(s, "select: send on closed channel " + describe(h), site);
}

void panic_close_of_closed(scope* s, const object_header& h, const weft::source_location& site) {
  panic(s, "chan::close: close of closed channel " + describe(h), site);
}

}  // namespace detail
}  // namespace weft
