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
// Teardown: every scheduling point is followed by a tearing_down check. When an execution ends,
// the engine unwinds the tasks still alive, newest first, and a task suspended at a non-blocking
// operation (an unlock, a release, a notify) is resumed to run on rather than unwound there; by
// then the waiter records of tasks already unwound are gone, so the operation must not touch its
// queues: it returns at once.
#include "weft/cond_var.hpp"

#include <string>

namespace weft {

namespace {

// Unlinks a scope-mode waiter if wait() is left by unwinding (execution teardown).
struct unlink_on_exit {
  detail::wait_queue& queue;
  detail::waiter& w;
  ~unlink_on_exit() { queue.remove(w); }
};

}  // namespace

void cond_var::wait(std::unique_lock<weft::mutex>& lock, weft::source_location site) {
  detail::scope* s = detail::check_use(header_, "cond_var::wait");
  if (s != nullptr && detail::tearing_down(*s)) return;
  if (!lock.owns_lock()) {
    const std::string where =
        s != nullptr ? detail::describe(header_)
                     : "cond_var (created at " + detail::format_site(header_.created) + ")";
    detail::panic(s, "cond_var::wait: the std::unique_lock does not own its mutex (" + where + ")",
                  site);
  }
  weft::mutex* m = lock.mutex();
  detail::waiter w;
  if (s != nullptr) {
    detail::step(*s, detail::op_kind::cond_wait, &header_, site);
    if (detail::tearing_down(*s)) return;  // resumed only to be unwound
    w.owner = detail::running_task(*s);
    waiters_.push_back(w);
    unlink_on_exit unlink{waiters_, w};
    lock.release();
    m->unlock(site);  // a scheduling point: a notify may claim `w` here
    if (!w.completed && !detail::park(*s, detail::op_kind::cond_wait, &header_, site)) {
      lock = std::unique_lock<weft::mutex>(*m, std::adopt_lock);  // teardown: as if re-locked
      return;
    }
    m->lock(site);
    lock = std::unique_lock<weft::mutex>(*m, std::adopt_lock);
    return;
  }
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
  w.wait_signal();
  { std::lock_guard guard(mutex_); }  // the notifier is done with `w` once we get mutex_
  m->lock(site);
  lock = std::unique_lock<weft::mutex>(*m, std::adopt_lock);
}

void cond_var::notify_one(weft::source_location site) {
  notify(false, "cond_var::notify_one", site);
}

void cond_var::notify_all(weft::source_location site) {
  notify(true, "cond_var::notify_all", site);
}

void cond_var::notify(bool all, const char* api, const weft::source_location& site) {
  detail::scope* s = detail::check_use(header_, api);
  if (s != nullptr) {
    if (detail::tearing_down(*s)) return;
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
  while (detail::waiter* w = waiters_.pop_claimable()) {
    w->notify();
    if (!all) break;
  }
}

}  // namespace weft
