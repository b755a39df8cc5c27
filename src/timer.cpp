// src/timer.cpp — timers, tickers and after_func in both worlds, and the production timer thread.
//
// One `timer_state` serves every kind of timer. Inside a scope it is a detail::timer_event in the
// engine's heap: fire() runs between scheduling points, so it only changes state (a value into
// the channel's buffer, handed straight to a parked receiver if there is one) and, for
// after_func, creates a task with spawn_from_event. Outside a scope it is a real_timer in the
// process-wide timer thread's queue.
//
// Why the channel has capacity 1 and stop()/reset() drain it: this gives Go 1.23's guarantee
// (no stale value after stop/reset returns) without a hook in chan::recv. A fired value that
// nobody has received yet is indistinguishable, from the user's side, from a timer that has not
// fired yet, so stop() reports it as stopped-before-firing, exactly like Go 1.23.
//
// Lifetime inside a scope: the engine's timer heap is lazily cleaned and keeps raw pointers to
// events until the execution ends, so every timer_state made in a scope is also owned by a
// per-thread keep-alive list until that execution is over (keep_for_execution).
#include "weft/timer.hpp"
#include "weft/detail/tsan.hpp"

#include <condition_variable>
#include <limits>
#include <map>
#include <thread>
#include <utility>

#include "engine.hpp"
#include "weft/context.hpp"
#include "weft/task.hpp"

namespace weft {
namespace detail {

// --- keep-alive for one execution ----------------------------------------------------------

namespace {

// States owned until the execution that made them is over. Cleared lazily, by the first
// keep_for_execution of a later execution (the old execution's heap is gone by then); whatever
// is left is freed when the thread exits. Destroying a state never calls into the engine.
struct execution_keepalive {
  const scope* owner = nullptr;
  std::uint64_t generation = 0;
  std::vector<std::shared_ptr<void>> items;
};
thread_local execution_keepalive tls_keepalive;

}  // namespace

void keep_for_execution(scope& s, std::shared_ptr<void> p) {
  execution_keepalive& k = tls_keepalive;
  if (k.owner != &s || k.generation != s.generation()) {
    std::vector<std::shared_ptr<void>> old;
    old.swap(k.items);
    k.owner = &s;
    k.generation = s.generation();
    old.clear();  // may run user destructors (after_func closures): k is consistent already
  }
  k.items.push_back(std::move(p));
}

std::int64_t deadline_after(std::int64_t now, clock::duration d) noexcept {
  const std::int64_t delta = d.count();
  if (delta <= 0) return now;
  if (now > std::numeric_limits<std::int64_t>::max() - delta) {
    return std::numeric_limits<std::int64_t>::max();
  }
  return now + delta;
}

namespace {

std::int64_t steady_now_ns() noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// --- the production timer thread -----------------------------------------------------------

// One per process, created on first use and never destroyed (its detached thread may still be
// waiting when the process exits; tearing it down during static destruction would race with
// timers used by other static destructors).
class timer_service {
 public:
  static timer_service& get() {
    static timer_service* service = new timer_service;
    return *service;
  }

  std::mutex mutex;

  void arm_locked(std::shared_ptr<real_timer> t, std::int64_t deadline) {
    if (t->real_seq != 0) queue_.erase({t->real_deadline, t->real_seq});
    t->real_seq = ++next_seq_;
    t->real_deadline = deadline;
    auto it = queue_.emplace(std::make_pair(deadline, t->real_seq), std::move(t)).first;
    if (!started_) {
      started_ = true;
      std::thread([this] { run(); }).detach();
    } else if (it == queue_.begin()) {
      wakeup_.notify_one();  // a new earliest deadline: the thread may be sleeping past it
    }
  }

  bool disarm_locked(real_timer& t) noexcept {
    if (t.real_seq == 0) return false;
    queue_.erase({t.real_deadline, t.real_seq});
    t.real_seq = 0;
    return true;
  }

 private:
  void run() {
    std::unique_lock lock(mutex);
    std::vector<std::function<void()>> later;
    for (;;) {
      if (queue_.empty()) {
        wakeup_.wait(lock);
        continue;
      }
      auto it = queue_.begin();
      const std::int64_t now = steady_now_ns();
      if (it->first.first > now) {
        wakeup_.wait_until(
            lock, std::chrono::steady_clock::time_point(std::chrono::nanoseconds(it->first.first)));
        continue;
      }
      std::shared_ptr<real_timer> t = std::move(it->second);
      queue_.erase(it);
      t->real_seq = 0;
      if (std::optional<std::int64_t> next = t->expire_locked(now, later)) {
        arm_locked(t, *next);
      }
      t.reset();
      if (!later.empty()) {
        lock.unlock();
        for (auto& fn : later) fn();
        later.clear();
        lock.lock();
      }
    }
  }

  // Ordered by (deadline, arming sequence): equal deadlines fire in arming order.
  std::map<std::pair<std::int64_t, std::uint64_t>, std::shared_ptr<real_timer>> queue_;
  std::uint64_t next_seq_ = 0;
  bool started_ = false;
  std::condition_variable wakeup_;
};

}  // namespace

std::unique_lock<std::mutex> real_timer_lock() {
  return std::unique_lock<std::mutex>(timer_service::get().mutex);
}

void real_arm_locked(std::unique_lock<std::mutex>&, std::shared_ptr<real_timer> t,
                     std::int64_t deadline) {
  timer_service::get().arm_locked(std::move(t), deadline);
}

bool real_disarm_locked(std::unique_lock<std::mutex>&, real_timer& t) noexcept {
  return timer_service::get().disarm_locked(t);
}

// --- timer_state ---------------------------------------------------------------------------

enum class timer_kind : std::uint8_t { once, ticker, func };

struct timer_state final : timer_event, real_timer {
  timer_state(timer_kind k, clock::duration p, std::function<void()> f,
              const weft::source_location& site)
      : kind(k), ch(1, site), period(p), fn(std::move(f)) {
    register_object(header, object_kind::timer, site);
  }

  object_header header;
  const timer_kind kind;
  chan<clock::time_point> ch;  // capacity 1; never receives for after_func
  clock::duration period;      // tickers; guarded by the timer lock in production
  std::function<void()> fn;    // after_func; never changed after construction

  // --- inside a scope ---
  // Happens-before: whoever started (or reset) the timer published its history into
  // header.clock; the task that observes the firing (the receiver, the after_func task)
  // acquires it. The task that happens to be running when time moves takes no part.
  void fire(scope& s) override {
    if (kind == timer_kind::func) {
      spawn_from_event(s, "after_func", task_fn([f = fn, h = &header] {
                         if (scope* cs = current_scope())
                           hb_acquire(*cs, h->clock, running_task(*cs));
                         f();
                       }),
                       header.created);
      return;
    }
    deliver_in_scope(s);
    if (kind == timer_kind::ticker) arm(s, *this, next_tick(deadline, virtual_now(s)));
  }

  void deliver_in_scope(scope& s) {
    auto& st = ch.state();
    if (st.closed) return;
    clock::time_point value{clock::duration(virtual_now(s))};
    if (waiter* w = st.recvq.pop_claimable()) {
      hb_acquire(s, header.clock, w->owner);
      static_cast<std::optional<clock::time_point>*>(w->slot)->emplace(value);
      w->completed = true;
      st.wake_waiter(w);
      return;
    }
    if (st.count < st.capacity) {
      // The receiver that takes this value acquires the slot's clock.
      st.slot_clocks[(st.head + st.count) % st.capacity].join(header.clock);
      st.push(std::move(value), nullptr);
    }
  }

  // The running task starts (or restarts) the timer: its history reaches the observers.
  void publish(scope& s) { hb_release(s, header.clock, running_task(s)); }

  // True only if firing could unblock someone: a task parked receiving on the channel (alone or
  // in a select). An after_func always could: its function may wake anyone.
  bool can_wake() const override {
    return kind == timer_kind::func || ch.state().recvq.peek_claimable() != nullptr;
  }

  // --- production ---
  std::optional<std::int64_t> expire_locked(std::int64_t now,
                                            std::vector<std::function<void()>>& later) override {
    if (kind == timer_kind::func) {
      later.emplace_back([f = fn] { std::thread(f).detach(); });
      return std::nullopt;
    }
    {
      std::lock_guard lock(ch.state().mutex);
      deliver(now);
    }
    if (kind == timer_kind::ticker) return next_tick(real_deadline, now);
    return std::nullopt;
  }

  // Puts the time into the channel (or straight into a parked receiver). A full buffer drops
  // the value: a ticker's undelivered tick is still there. Never panics from a timer, even if
  // the user closed the channel. The caller holds the channel's lock (deliver_in_scope is the
  // same inside a scope, plus happens-before).
  void deliver(std::int64_t now) {
    auto& st = ch.state();
    if (st.closed) return;
    clock::time_point value{clock::duration(now)};
    st.try_send(value);
  }

  // Discards a fired, unreceived value. Production: takes the channel's lock.
  bool drain() {
    if (kind == timer_kind::func) return false;
    auto& st = ch.state();
    std::unique_lock<std::mutex> lock;
    if (header.owner == nullptr) lock = std::unique_lock(st.mutex);
    if (st.count == 0) return false;
    st.pop();
    return true;
  }

  // The tick after `when` that is later than `now` (a late ticker skips, like Go's).
  std::int64_t next_tick(std::int64_t when, std::int64_t now) const noexcept {
    const std::int64_t p = period.count();
    std::int64_t next = deadline_after(when, period);
    if (next <= now) {
      const std::int64_t skipped = (now - when) / p;
      next = deadline_after(deadline_after(when, clock::duration(skipped * p)), period);
    }
    return next;
  }

  // Stops and drains; `s` is null in production. Returns what Go's Stop returns.
  bool stop_now(scope* s) {
    if (s != nullptr) {
      const bool was_armed = disarm(*s, *this);
      return drain() || was_armed;
    }
    auto lock = real_timer_lock();
    const bool was_armed = real_disarm_locked(lock, *this);
    return drain() || was_armed;  // under the timer lock: the thread cannot deliver in between
  }

  // Starts (or restarts) the timer `d` from now. Production: caller holds the timer lock.
  void start(scope* s, std::shared_ptr<timer_state> self, clock::duration d,
             std::unique_lock<std::mutex>* lock) {
    if (s != nullptr) {
      publish(*s);
      arm(*s, *this, deadline_after(virtual_now(*s), d));
    } else {
      real_arm_locked(*lock, std::move(self), deadline_after(steady_now_ns(), d));
    }
  }
};

namespace {

std::shared_ptr<timer_state> make_timer(timer_kind kind, clock::duration d,
                                        std::function<void()> fn,
                                        const weft::source_location& site) {
  auto st = std::make_shared<timer_state>(kind, d, std::move(fn), site);
  scope* s = check_use(st->header, "timer");
  tsan_guard tsan(s);  // weft state: invisible to TSan (tsan.hpp)
  if (s != nullptr) {
    keep_for_execution(*s, st);
    if (tearing_down(*s)) return st;  // nothing fires during teardown
    st->start(s, st, d, nullptr);
  } else {
    auto lock = real_timer_lock();
    st->start(nullptr, st, d, &lock);
  }
  return st;
}

[[noreturn]] void panic_bad_period(scope* s, clock::duration period, const char* api,
                                   const weft::source_location& site) {
  panic(s,
        std::string(api) + ": non-positive period (" + std::to_string(period.count()) +
            " ns); a ticker needs a period greater than zero",
        site);
}

}  // namespace
}  // namespace detail

// --- timer -----------------------------------------------------------------------------------

timer::timer(clock::duration d, weft::source_location site)
    : state_(detail::make_timer(detail::timer_kind::once, d, {}, site)) {}

chan<clock::time_point> timer::channel() const { return state_->ch; }

bool timer::stop(weft::source_location site) {
  auto& st = *state_;
  detail::scope* s = detail::check_use(st.header, "timer::stop");
  detail::tsan_guard tsan(s);  // weft state: invisible to TSan (tsan.hpp)
  if (s != nullptr) {
    if (detail::tearing_down(*s, detail::op_kind::timer_op)) return false;
    detail::step(*s, detail::op_kind::timer_op, &st.header, site);
  }
  return st.stop_now(s);
}

bool timer::reset(clock::duration d, weft::source_location site) {
  auto& st = *state_;
  detail::scope* s = detail::check_use(st.header, "timer::reset");
  detail::tsan_guard tsan(s);  // weft state: invisible to TSan (tsan.hpp)
  if (s != nullptr) {
    if (detail::tearing_down(*s, detail::op_kind::timer_op)) return false;
    detail::step(*s, detail::op_kind::timer_op, &st.header, site);
    const bool was_active = st.stop_now(s);
    st.start(s, state_, d, nullptr);
    return was_active;
  }
  auto lock = detail::real_timer_lock();
  const bool was_armed = detail::real_disarm_locked(lock, st);
  const bool was_active = st.drain() || was_armed;
  st.start(nullptr, state_, d, &lock);
  return was_active;
}

chan<clock::time_point> after(clock::duration d, weft::source_location site) {
  return detail::make_timer(detail::timer_kind::once, d, {}, site)->ch;
}

timer after_func(clock::duration d, std::function<void()> fn, weft::source_location site) {
  if (!fn) {
    detail::panic(detail::current_scope(), "after_func: empty function", site);
  }
  return timer(detail::make_timer(detail::timer_kind::func, d, std::move(fn), site));
}

// --- ticker ----------------------------------------------------------------------------------

ticker::ticker(clock::duration period, weft::source_location site) {
  if (period <= clock::duration::zero()) {
    detail::panic_bad_period(detail::current_scope(), period, "ticker", site);
  }
  state_ = detail::make_timer(detail::timer_kind::ticker, period, {}, site);
}

ticker& ticker::operator=(ticker&& other) noexcept {
  if (this != &other) {
    stop_quietly();
    state_ = std::move(other.state_);
  }
  return *this;
}

ticker::~ticker() { stop_quietly(); }

chan<clock::time_point> ticker::channel() const { return state_->ch; }

void ticker::stop(weft::source_location site) {
  if (state_ == nullptr) return;
  auto& st = *state_;
  detail::scope* s = detail::check_use(st.header, "ticker::stop");
  detail::tsan_guard tsan(s);  // weft state: invisible to TSan (tsan.hpp)
  if (s != nullptr) {
    if (detail::tearing_down(*s, detail::op_kind::timer_op)) return;
    detail::step(*s, detail::op_kind::timer_op, &st.header, site);
  }
  st.stop_now(s);
}

void ticker::reset(clock::duration period, weft::source_location site) {
  auto& st = *state_;
  detail::scope* s = detail::check_use(st.header, "ticker::reset");
  detail::tsan_guard tsan(s);  // weft state: invisible to TSan (tsan.hpp)
  if (period <= clock::duration::zero()) {
    detail::panic_bad_period(s, period, "ticker::reset", site);
  }
  if (s != nullptr) {
    if (detail::tearing_down(*s, detail::op_kind::timer_op)) return;
    detail::step(*s, detail::op_kind::timer_op, &st.header, site);
    st.stop_now(s);
    st.period = period;
    st.start(s, state_, period, nullptr);
    return;
  }
  auto lock = detail::real_timer_lock();
  detail::real_disarm_locked(lock, st);
  st.drain();
  st.period = period;
  st.start(nullptr, state_, period, &lock);
}

// A destructor: no scheduling point, no panic, no engine call outside the owning execution (the
// execution may be over, and then its timer heap is already gone).
void ticker::stop_quietly() noexcept {
  if (state_ == nullptr) return;
  auto& st = *state_;
  if (st.header.owner == nullptr) {
    auto lock = detail::real_timer_lock();
    detail::real_disarm_locked(lock, st);
    st.drain();
    return;
  }
  if (detail::usable_now(st.header)) {
    detail::disarm(*st.header.owner, st);
    st.drain();
  }
}

}  // namespace weft
