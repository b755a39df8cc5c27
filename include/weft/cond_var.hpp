// weft/cond_var.hpp — a condition variable over weft::mutex (Go's sync.Cond).
//
//   weft::mutex mu;
//   weft::cond_var ready_cv;
//   bool ready = false;                                   // guarded by mu
//   weft::go([&] {
//     std::unique_lock lock(mu);
//     ready_cv.wait(lock, [&] { return ready; });         // unlocks mu while waiting
//     consume();
//   });
//   { std::lock_guard lock(mu); ready = true; }
//   ready_cv.notify_one();
//
// `wait(lock)` atomically (with respect to notifications) enqueues the caller, unlocks the mutex
// and blocks; when notified it re-locks the mutex (blocking like weft::mutex::lock) and returns.
// A notification wakes only tasks already waiting: a `notify_*` that comes before the `wait` is
// lost, so always wait in a loop over a condition guarded by the mutex — `wait(lock, pred)` does
// exactly that. `notify_one` wakes the longest-waiting task, `notify_all` every waiting task;
// neither blocks, and the notifier need not hold the mutex. For race detection a notify happens
// before the waits it wakes (and the re-lock adds the mutex's own edges).
//
// Determinism: there are no spurious wakeups in either world and waiters are woken in FIFO order.
// Inside a deterministic scope every call is a scheduling point (as are the unlock and re-lock
// inside `wait`), and a waiter nobody will notify is durably blocked: weft reports the deadlock
// or leak (the classic lost wakeup). Outside a scope waiters sleep on a per-waiter futex.
//
// Misuse: `wait` with a `std::unique_lock` that does not own its mutex is a bug: kind `panic`
// inside a scope, weft::usage_error outside.
#pragma once

#include <mutex>

#include "weft/detail/runtime.hpp"
#include "weft/detail/source_location.hpp"
#include "weft/detail/wait_queue.hpp"
#include "weft/mutex.hpp"

namespace weft {

class cond_var {
 public:
  explicit cond_var(weft::source_location site = weft::source_location::current()) {
    detail::register_object(header_, detail::object_kind::cond_var, site);
  }
  cond_var(const cond_var&) = delete;
  cond_var& operator=(const cond_var&) = delete;

  /// Unlocks `lock`'s mutex, blocks until notified, re-locks it. `lock` must own its mutex.
  void wait(std::unique_lock<weft::mutex>& lock,
            weft::source_location site = weft::source_location::current());

  /// `while (!pred()) wait(lock);` — returns with the mutex held and pred() true.
  template <class Predicate>
  void wait(std::unique_lock<weft::mutex>& lock, Predicate pred,
            weft::source_location site = weft::source_location::current()) {
    while (!pred()) wait(lock, site);
  }

  /// Wakes the task that has waited longest, if any.
  void notify_one(weft::source_location site = weft::source_location::current());
  /// Wakes every waiting task.
  void notify_all(weft::source_location site = weft::source_location::current());

  const detail::object_header& header() const noexcept { return header_; }

 private:
  void notify(bool all, const char* api, const weft::source_location& site);

  detail::object_header header_;
  detail::wait_queue waiters_;  // FIFO; in production mode guarded by mutex_
  std::mutex mutex_;            // production mode only
};

}  // namespace weft
