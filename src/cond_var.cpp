// src/cond_var.cpp — Go's sync.Cond over weft::mutex, both worlds.
//
// wait() follows Go's notifyList: the waiter is enqueued *before* the mutex is released, so a
// notification sent after the caller decided to wait (which the mutex orders) cannot be lost;
// only notifications sent before wait() began are (that is the contract, and the bug class weft
// is meant to expose). Waiters are woken in FIFO order and never spuriously.
//
// Inside a scope the unlock inside wait() is a real weft::mutex::unlock, i.e. a scheduling point
// between enqueuing and parking. A notify may run there; it marks the record `completed` and
// wakes the task, which is not blocked yet (detail::wake then does nothing), so wait() checks
// `completed` before parking. The re-lock is a real weft::mutex::lock: it may block, and it is
// explored like any other lock.
//
// Production mode: mutex_ guards the queue; the waiter sleeps on its record's futex and takes
// mutex_ once more after waking, because the notifier signals under mutex_ and may still touch
// the record until it releases it.
//
// Timed waits. Inside a scope the deadline is a timer_event armed in the engine's heap while the
// waiter is queued; firing withdraws the waiter and wakes the task, so "notified" and "timed out"
// are decided by whichever of notify and the deadline reaches the queue first, and under
// time_policy::explored the strategy may fire the deadline at any scheduling point: both orders
// are explored. Either way the mutex is re-locked (a real weft::mutex::lock) before returning.
// Outside a scope a timed waiter cannot sleep on its futex (C++20's atomic wait has no timeout),
// so it sleeps on the cond_var's std::condition_variable `timed_` under mutex_, and re-checks its
// signal there; a notify marks it under mutex_ and notifies `timed_`.
//
// Teardown: every scheduling point is followed by a tearing_down check. When an execution ends,
// the engine unwinds the tasks still alive, newest first, and a task suspended at a non-blocking
// operation (an unlock, a release, a notify) is resumed to run on rather than unwound there; by
// then the waiter records of tasks already unwound are gone, so the operation must not touch its
// queues: it returns at once.
#include "weft/cond_var.hpp"
#include "weft/detail/tsan.hpp"

#include <algorithm>
#include <string>

namespace weft {

namespace {

// Unlinks a scope-mode waiter if wait() is left by unwinding (execution teardown).
struct unlink_on_exit {
  detail::wait_queue& queue;
  detail::waiter& w;
  ~unlink_on_exit() { queue.remove(w); }
};

// Scope mode: the deadline of one timed wait, armed in the engine's timer heap while the waiter
// is queued. Firing withdraws the waiter (so no notify can claim it any more) and wakes its task.
// Invariant: armed only while `w` may still be in `queue`; disarmed before wait_impl returns or
// unwinds (disarm removes the heap entry at once, so the heap never points at a dead frame).
class timeout_event final : public detail::timer_event {
 public:
  timeout_event(detail::wait_queue& queue, detail::waiter& w) : queue_(queue), w_(w) {}
  void fire(detail::scope& s) override {
    if (w_.queue != &queue_) return;  // a notify claimed the waiter first
    queue_.remove(w_);
    fired = true;
    detail::wake(s, w_.owner);  // does nothing if the task has not parked yet
  }
  // Only a waiter still queued can be woken by its deadline; once notified it never is.
  bool can_wake() const override { return w_.queue == &queue_; }

  bool fired = false;  // the deadline withdrew the waiter: the wait timed out

 private:
  detail::wait_queue& queue_;
  detail::waiter& w_;
};

struct disarm_on_exit {
  detail::scope& s;
  detail::timer_event& e;
  ~disarm_on_exit() { detail::disarm(s, e); }
};

}  // namespace

void cond_var::wait(std::unique_lock<weft::mutex>& lock, weft::source_location site) {
  wait_impl(lock, nullptr, "cond_var::wait", site);
}

std::cv_status cond_var::wait_until(std::unique_lock<weft::mutex>& lock, clock::time_point deadline,
                                    weft::source_location site) {
  return wait_impl(lock, &deadline, "cond_var::wait_until", site);
}

std::cv_status cond_var::wait_impl(std::unique_lock<weft::mutex>& lock,
                                   const clock::time_point* deadline, const char* api,
                                   const weft::source_location& site) {
  detail::scope* s = detail::check_use(header_, api);
  detail::tsan_guard tsan(s);  // weft state: invisible to TSan (tsan.hpp)
  if (s != nullptr && detail::tearing_down(*s, detail::op_kind::cond_wait)) {
    return std::cv_status::no_timeout;
  }
  if (!lock.owns_lock()) {
    const std::string where =
        s != nullptr ? detail::describe(header_)
                     : "cond_var (created at " + detail::format_site(header_.created) + ")";
    detail::panic(
        s, std::string(api) + ": the std::unique_lock does not own its mutex (" + where + ")",
        site);
  }
  weft::mutex* m = lock.mutex();
  detail::waiter w;
  if (s != nullptr) {
    detail::step(*s, detail::op_kind::cond_wait, &header_, site);
    if (detail::tearing_down(*s)) return std::cv_status::no_timeout;  // resumed to be unwound
    w.owner = detail::running_task(*s);
    waiters_.push_back(w);
    unlink_on_exit unlink{waiters_, w};
    // Armed before the unlock: from here on the deadline races the notifiers. A deadline
    // already past is armed at "now": it fires at the strategy's choice (explored) or once
    // everyone is blocked (idle_only), never before the waiter is queued.
    timeout_event timeout(waiters_, w);
    disarm_on_exit disarm{*s, timeout};
    if (deadline != nullptr) {
      detail::arm(*s, timeout,
                  std::max(deadline->time_since_epoch().count(), detail::virtual_now(*s)));
    }
    lock.release();
    m->unlock(site);  // a scheduling point: a notify may claim `w`, or the deadline fire, here
    if (!w.completed && !timeout.fired &&
        !detail::park(*s, detail::op_kind::cond_wait, &header_, site)) {
      lock = std::unique_lock<weft::mutex>(*m, std::adopt_lock);  // teardown: as if re-locked
      return std::cv_status::no_timeout;
    }
    detail::disarm(*s, timeout);  // notified: the deadline no longer matters
    m->lock(site);
    lock = std::unique_lock<weft::mutex>(*m, std::adopt_lock);
    return timeout.fired ? std::cv_status::timeout : std::cv_status::no_timeout;
  }
  if (deadline != nullptr) w.slot = &timed_;  // marks a timed waiter for notify()
  {
    std::lock_guard guard(mutex_);
    waiters_.push_back(w);
  }
  lock.release();
  try {
    m->unlock(site);
  } catch (...) {  // production mode only: no fibers here
    std::lock_guard guard(mutex_);
    waiters_.remove(w);
    throw;
  }
  bool timed_out = false;
  if (deadline == nullptr) {
    w.wait_signal();
    { std::lock_guard guard(mutex_); }  // the notifier is done with `w` once we get mutex_
  } else {
    // weft::clock outside a scope is steady_clock's reading in nanoseconds.
    const std::chrono::steady_clock::time_point until(
        std::chrono::duration_cast<std::chrono::steady_clock::duration>(
            deadline->time_since_epoch()));
    const bool forever = *deadline == clock::time_point::max();
    std::unique_lock guard(mutex_);
    while (w.signal.load(std::memory_order_acquire) == 0) {
      if (forever) {
        timed_.wait(guard);
      } else if (timed_.wait_until(guard, until) == std::cv_status::timeout) {
        // Under mutex_: either a notify already claimed `w` (signal set, it counts as notified)
        // or none can any more once it is unlinked.
        if (w.signal.load(std::memory_order_acquire) == 0) {
          waiters_.remove(w);
          timed_out = true;
        }
        break;
      }
    }
  }
  m->lock(site);
  lock = std::unique_lock<weft::mutex>(*m, std::adopt_lock);
  return timed_out ? std::cv_status::timeout : std::cv_status::no_timeout;
}

void cond_var::notify_one(weft::source_location site) {
  notify(false, "cond_var::notify_one", site);
}

void cond_var::notify_all(weft::source_location site) {
  notify(true, "cond_var::notify_all", site);
}

void cond_var::notify(bool all, const char* api, const weft::source_location& site) {
  detail::scope* s = detail::check_use(header_, api);
  detail::tsan_guard tsan(s);  // weft state: invisible to TSan (tsan.hpp)
  if (s != nullptr) {
    if (detail::tearing_down(*s, detail::op_kind::cond_notify)) return;
    detail::step(*s, detail::op_kind::cond_notify, &header_, site);
    if (detail::tearing_down(*s)) return;  // resumed only to be unwound
    // Happens-before: this notify happens before the waits it wakes, and only those.
    detail::vector_clock notified;
    bool released = false;
    while (detail::waiter* w = waiters_.pop_claimable()) {
      if (!released) {
        detail::hb_release(*s, notified, detail::running_task(*s));
        released = true;
      }
      detail::hb_acquire(*s, notified, w->owner);
      w->completed = true;
      detail::wake(*s, w->owner);
      if (!all) break;
    }
    return;
  }
  std::lock_guard guard(mutex_);
  bool timed = false;
  while (detail::waiter* w = waiters_.pop_claimable()) {
    if (w->slot == &timed_) {
      // A timed waiter sleeps on timed_ and checks its signal under mutex_, which we hold.
      w->signal.store(1, std::memory_order_release);
      timed = true;
    } else {
      w->notify();
    }
    if (!all) break;
  }
  if (timed) timed_.notify_all();  // under mutex_: the cond_var may be destroyed once we return
}

}  // namespace weft
