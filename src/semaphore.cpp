// src/semaphore.cpp — counting semaphore, both worlds.
//
// One state machine for both modes: permits are handed directly to the longest waiter on release
// (so acquire never re-checks after waking and nobody overtakes a waiter). Inside a scope the
// waker calls detail::wake; in production mode mutex_ guards count_ and the queue, a waiter sleeps
// on its record's futex and re-takes mutex_ after waking because the releaser signals under it.
//
// Teardown: every scheduling point is followed by a tearing_down check. When an execution ends,
// the engine unwinds the tasks still alive, newest first, and a task suspended at a non-blocking
// operation (an unlock, a release, a notify) is resumed to run on rather than unwound there; by
// then the waiter records of tasks already unwound are gone, so the operation must not touch its
// queues: it returns at once.
#include "weft/semaphore.hpp"
#include "weft/detail/tsan.hpp"

#include <limits>
#include <string>

namespace weft {

namespace {

std::string name_of(const detail::object_header& h) {
  if (h.owner != nullptr) return detail::describe(h);
  return "semaphore (created at " + detail::format_site(h.created) + ")";
}

}  // namespace

semaphore::semaphore(std::ptrdiff_t n, weft::source_location site) {
  detail::register_object(header_, detail::object_kind::semaphore, site);
  if (n < 0) {
    detail::panic(detail::current_scope(),
                  "semaphore::semaphore: negative initial count " + std::to_string(n) + " for " +
                      name_of(header_),
                  site);
  }
  count_ = n;
}

void semaphore::wake(detail::scope* s, detail::waiter* w) noexcept {
  if (s != nullptr) {
    detail::wake(*s, w->owner);
  } else {
    w->notify();
  }
}

void semaphore::acquire(weft::source_location site) {
  detail::scope* s = detail::check_use(header_, "semaphore::acquire");
  detail::tsan_guard tsan(s);  // weft state: invisible to TSan (tsan.hpp)
  std::unique_lock<std::mutex> guard;
  detail::waiter w;
  if (s != nullptr) {
    if (detail::tearing_down(*s, detail::op_kind::sem_acquire)) return;
    detail::step(*s, detail::op_kind::sem_acquire, &header_, site);
    if (detail::tearing_down(*s)) return;  // resumed only to be unwound
    w.owner = detail::running_task(*s);
    detail::hb_acquire_release(*s, header_.clock, w.owner);
  } else {
    guard = std::unique_lock(mutex_);
  }
  if (count_ > 0) {
    --count_;
    return;
  }
  waiters_.push_back(w);
  // Woken only with a permit handed over by release().
  if (s != nullptr) {
    if (!detail::park(*s, detail::op_kind::sem_acquire, &header_, site)) waiters_.remove(w);
    return;
  }
  guard.unlock();
  w.wait_signal();
  guard.lock();
}

bool semaphore::try_acquire(weft::source_location site) {
  detail::scope* s = detail::check_use(header_, "semaphore::try_acquire");
  detail::tsan_guard tsan(s);  // weft state: invisible to TSan (tsan.hpp)
  std::unique_lock<std::mutex> guard;
  if (s != nullptr) {
    if (detail::tearing_down(*s, detail::op_kind::sem_try_acquire)) return false;
    detail::step(*s, detail::op_kind::sem_try_acquire, &header_, site);
    if (detail::tearing_down(*s)) return false;  // resumed only to be unwound
    detail::hb_acquire_release(*s, header_.clock, detail::running_task(*s));
  } else {
    guard = std::unique_lock(mutex_);
  }
  if (count_ == 0) return false;
  --count_;
  return true;
}

void semaphore::release(std::ptrdiff_t n, weft::source_location site) {
  detail::scope* s = detail::check_use(header_, "semaphore::release");
  detail::tsan_guard tsan(s);  // weft state: invisible to TSan (tsan.hpp)
  std::unique_lock<std::mutex> guard;
  if (s != nullptr) {
    if (detail::tearing_down(*s, detail::op_kind::sem_release)) return;
    detail::step(*s, detail::op_kind::sem_release, &header_, site);
    if (detail::tearing_down(*s)) return;  // resumed only to be unwound
  } else {
    guard = std::unique_lock(mutex_);
  }
  if (n < 1 || n > std::numeric_limits<std::ptrdiff_t>::max() - count_) {
    if (guard.owns_lock()) guard.unlock();
    detail::panic(s,
                  "semaphore::release: " +
                      (n < 1 ? "n must be at least 1 (got " + std::to_string(n) + ")"
                             : std::string("the count would overflow")) +
                      " on " + name_of(header_),
                  site);
  }
  if (s != nullptr) detail::hb_acquire_release(*s, header_.clock, detail::running_task(*s));
  while (n > 0) {
    detail::waiter* w = waiters_.pop_claimable();
    if (w == nullptr) break;
    --n;
    if (s != nullptr) detail::hb_acquire(*s, header_.clock, w->owner);
    wake(s, w);
  }
  count_ += n;
}

}  // namespace weft
