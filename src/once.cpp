// src/once.cpp — Go's sync.Once, both worlds.
//
// The function itself runs in the caller's frame (once::call is a template); this file holds the
// two halves around it. begin() decides whether the caller runs the function; finish() runs from
// a destructor on every way out of the function, so a throwing function still counts as done
// (Go's `defer o.done.Store(1)`). finish() must not throw or switch tasks: it only records and
// wakes.
//
// Teardown: every scheduling point is followed by a tearing_down check. When an execution ends,
// the engine unwinds the tasks still alive, newest first, and a task suspended at a non-blocking
// operation (an unlock, a release, a notify) is resumed to run on rather than unwound there; by
// then the waiter records of tasks already unwound are gone, so the operation must not touch its
// queues: it returns at once.
#include "weft/once.hpp"
#include "weft/detail/tsan.hpp"

namespace weft {

bool once::begin(const weft::source_location& site) {
  detail::scope* s = detail::check_use(header_, "once::call");
  detail::tsan_guard tsan(s);  // weft state: invisible to TSan (tsan.hpp)
  if (s != nullptr) {
    if (detail::tearing_down(*s, detail::op_kind::once_call)) return false;
    detail::step(*s, detail::op_kind::once_call, &header_, site);
    if (detail::tearing_down(*s)) return false;  // resumed only to be unwound
    if (finished_) {
      // The function happened before every call that returns (Go's memory model for Once).
      detail::hb_acquire(*s, header_.clock, detail::running_task(*s));
      return false;
    }
    if (!running_) {
      running_ = true;
      // Shown in a deadlock report as the task the waiters wait for.
      header_.holder = detail::id_of(detail::running_task(*s));
      return true;
    }
    detail::waiter w;
    w.owner = detail::running_task(*s);
    waiters_.push_back(w);
    if (!detail::park(*s, detail::op_kind::once_call, &header_, site)) waiters_.remove(w);
    return false;  // woken by finish(): the function has run
  }
  if (done_.load(std::memory_order_acquire)) return false;
  std::unique_lock lock(mutex_);
  finished_cv_.wait(lock, [this] { return !running_; });
  if (done_.load(std::memory_order_relaxed)) return false;
  running_ = true;
  return true;
}

void once::finish() noexcept {
  if (detail::scope* s = header_.owner) {
    detail::tsan_guard tsan(s);  // weft state: invisible to TSan (tsan.hpp)
    running_ = false;
    finished_ = true;
    header_.holder = detail::no_task;
    // In teardown nothing may be woken; the execution is over anyway.
    if (detail::tearing_down(*s)) return;
    detail::hb_release(*s, header_.clock, detail::running_task(*s));  // in the runner's frame
    while (detail::waiter* w = waiters_.pop_claimable()) {
      detail::hb_acquire(*s, header_.clock, w->owner);
      detail::wake(*s, w->owner);
    }
    return;
  }
  {
    std::lock_guard lock(mutex_);
    running_ = false;
    done_.store(true, std::memory_order_release);
  }
  finished_cv_.notify_all();
}

}  // namespace weft
