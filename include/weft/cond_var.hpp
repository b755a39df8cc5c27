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
// Timed waits follow std::condition_variable: `wait_for(lock, d)` / `wait_until(lock, t)` return
// std::cv_status::timeout if the deadline passed before a notification reached the caller, else
// no_timeout; the predicate forms return pred()'s final value (true: the condition holds, false:
// the time ran out with it still false). Either way the mutex is held again on return (the
// re-lock may block past the deadline, as with std::condition_variable). A waiter whose time runs
// out leaves the queue, so a later notify_one goes to the next waiter instead.
//
//   std::unique_lock lock(mu);
//   if (!ready_cv.wait_for(lock, std::chrono::seconds(1), [&] { return ready; })) {
//     return timed_out();                              // mu is held here too
//   }
//
// Inside a scope the deadline is on the virtual clock (weft::clock): a waiter nobody notifies
// returns timeout at exactly its deadline, and under time_policy::explored the timeout may fire
// at any scheduling point, so a notify racing the deadline is explored both ways. A timed waiter
// is never a deadlock (its deadline keeps time moving). Outside a scope deadlines are
// std::chrono::steady_clock's.
//
// Misuse: `wait`, `wait_for` or `wait_until` with a `std::unique_lock` that does not own its mutex
// is a bug: kind `panic` inside a scope, weft::usage_error outside.
#pragma once

#include <chrono>
#include <concepts>
#include <condition_variable>
#include <mutex>
#include <utility>

#include "weft/detail/runtime.hpp"
#include "weft/detail/source_location.hpp"
#include "weft/detail/wait_queue.hpp"
#include "weft/mutex.hpp"
#include "weft/time.hpp"

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

  /// Like wait(lock), but returns std::cv_status::timeout once weft::clock reaches `deadline`
  /// without a notification (virtual time inside a scope). The mutex is held on return.
  std::cv_status wait_until(std::unique_lock<weft::mutex>& lock, clock::time_point deadline,
                            weft::source_location site = weft::source_location::current());

  /// wait_until on a weft::clock time point of any precision (rounded up to nanoseconds).
  template <class Duration>
  std::cv_status wait_until(std::unique_lock<weft::mutex>& lock,
                            const std::chrono::time_point<clock, Duration>& deadline,
                            weft::source_location site = weft::source_location::current()) {
    return wait_until(lock, std::chrono::ceil<clock::duration>(deadline), site);
  }

  /// `while (!pred()) if (wait_until(lock, deadline) == timeout) return pred(); return true;`
  template <class Duration, std::predicate Predicate>
  bool wait_until(std::unique_lock<weft::mutex>& lock,
                  const std::chrono::time_point<clock, Duration>& deadline, Predicate pred,
                  weft::source_location site = weft::source_location::current()) {
    const clock::time_point t = std::chrono::ceil<clock::duration>(deadline);
    while (!pred()) {
      if (wait_until(lock, t, site) == std::cv_status::timeout) return pred();
    }
    return true;
  }

  /// wait_until(lock, clock::now() + rel_time): waits at most `rel_time` (virtual in a scope).
  template <class Rep, class Period>
  std::cv_status wait_for(std::unique_lock<weft::mutex>& lock,
                          const std::chrono::duration<Rep, Period>& rel_time,
                          weft::source_location site = weft::source_location::current()) {
    return wait_until(lock, deadline_after(rel_time), site);
  }

  /// wait_until(lock, clock::now() + rel_time, pred): returns pred()'s final value.
  template <class Rep, class Period, std::predicate Predicate>
  bool wait_for(std::unique_lock<weft::mutex>& lock,
                const std::chrono::duration<Rep, Period>& rel_time, Predicate pred,
                weft::source_location site = weft::source_location::current()) {
    return wait_until(lock, deadline_after(rel_time), std::move(pred), site);
  }

  /// Wakes the task that has waited longest, if any.
  void notify_one(weft::source_location site = weft::source_location::current());
  /// Wakes every waiting task.
  void notify_all(weft::source_location site = weft::source_location::current());

  const detail::object_header& header() const noexcept { return header_; }

 private:
  void notify(bool all, const char* api, const weft::source_location& site);
  std::cv_status wait_impl(std::unique_lock<weft::mutex>& lock, const clock::time_point* deadline,
                           const char* api, const weft::source_location& site);

  // now() + d, saturating (a huge duration means "no deadline in practice", not an overflow).
  template <class Rep, class Period>
  static clock::time_point deadline_after(const std::chrono::duration<Rep, Period>& d) {
    const clock::time_point now = clock::now();
    if (d <= d.zero()) return now;
    const auto max_left = clock::time_point::max() - now;
    if (d >= std::chrono::duration_cast<std::chrono::duration<Rep, Period>>(max_left)) {
      return clock::time_point::max();
    }
    return now + std::chrono::ceil<clock::duration>(d);
  }

  detail::object_header header_;
  detail::wait_queue waiters_;  // FIFO; in production mode guarded by mutex_
  std::mutex mutex_;            // production mode only
  // Production mode: timed waiters sleep here (a futex wait has no timeout in C++20); a notify
  // that pops a timed waiter sets its signal under mutex_ and then notifies this.
  std::condition_variable timed_;
};

}  // namespace weft
