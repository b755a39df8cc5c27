// src/sync.cpp — mutex and wait_group, both worlds. Inside a scope each operation runs under
// the tsan_guard taken at its top and reaches the engine's inline step (engine_inline.hpp)
// without a call in between.
#include "engine_inline.hpp"
#include "weft/detail/tsan.hpp"
#include "weft/mutex.hpp"
#include "weft/options.hpp"
#include "weft/wait_group.hpp"

namespace weft {

// --- mutex ---------------------------------------------------------------------------------

void mutex::lock(weft::source_location site) {
  detail::scope* s = detail::check_use(header_, "mutex::lock");
  detail::tsan_guard tsan(s);  // weft state: invisible to TSan (tsan.hpp)
  if (s != nullptr) {
    if (detail::tearing_down(*s, detail::op_kind::mutex_lock)) return;
    s->step_inline(detail::op_kind::mutex_lock, &header_, site);
    if (detail::tearing_down(*s)) return;  // resumed only to be torn down
    detail::task* self = detail::running_task(*s);
    if (!locked_) {
      locked_ = true;
      header_.holder = detail::id_of(self);
      detail::hb_acquire(*s, header_.clock, self);  // unlock happens before the next lock
      return;
    }
    detail::waiter w;
    w.owner = self;
    waiters_.push_back(w);
    if (!s->park_inline(detail::op_kind::mutex_lock, &header_, site)) waiters_.remove(w);
    return;  // unlock handed the mutex to us (holder already set)
  }
  std::uint32_t c = 0;
  if (state_.compare_exchange_strong(c, 1, std::memory_order_acquire)) return;
  if (c != 2) c = state_.exchange(2, std::memory_order_acquire);
  while (c != 0) {
    state_.wait(2, std::memory_order_relaxed);
    c = state_.exchange(2, std::memory_order_acquire);
  }
}

bool mutex::try_lock(weft::source_location site) {
  detail::scope* s = detail::check_use(header_, "mutex::try_lock");
  detail::tsan_guard tsan(s);  // weft state: invisible to TSan (tsan.hpp)
  if (s != nullptr) {
    if (detail::tearing_down(*s, detail::op_kind::mutex_try_lock)) return false;
    s->step_inline(detail::op_kind::mutex_try_lock, &header_, site);
    if (detail::tearing_down(*s)) return false;  // resumed only to be torn down
    if (locked_) return false;
    locked_ = true;
    header_.holder = detail::id_of(detail::running_task(*s));
    detail::hb_acquire(*s, header_.clock, detail::running_task(*s));
    return true;
  }
  std::uint32_t c = 0;
  return state_.compare_exchange_strong(c, 1, std::memory_order_acquire);
}

void mutex::unlock(weft::source_location site) {
  detail::scope* s = detail::check_use(header_, "mutex::unlock");
  detail::tsan_guard tsan(s);  // weft state: invisible to TSan (tsan.hpp)
  if (s != nullptr) {
    if (detail::tearing_down(*s, detail::op_kind::mutex_unlock)) return;
    s->step_inline(detail::op_kind::mutex_unlock, &header_, site);
    if (detail::tearing_down(*s)) return;  // resumed only to be torn down
    if (!locked_) {
      detail::panic(s, "mutex::unlock: unlock of unlocked " + detail::describe(header_), site);
    }
    detail::hb_release(*s, header_.clock, detail::running_task(*s));
    if (detail::waiter* w = waiters_.pop_claimable()) {
      header_.holder = detail::id_of(w->owner);  // direct hand-off, FIFO
      detail::hb_acquire(*s, header_.clock, w->owner);
      s->wake(w->owner);
    } else {
      locked_ = false;
      header_.holder = detail::no_task;
    }
    return;
  }
  std::uint32_t previous = state_.exchange(0, std::memory_order_release);
  if (previous == 0) {
    throw usage_error("mutex::unlock: unlock of unlocked mutex (created at " +
                      detail::format_site(header_.created) + ")");
  }
  if (previous == 2) state_.notify_one();
}

// --- wait_group ----------------------------------------------------------------------------

void wait_group::add(int delta, weft::source_location site) {
  detail::scope* s = detail::check_use(header_, "wait_group::add");
  detail::tsan_guard tsan(s);  // weft state: invisible to TSan (tsan.hpp)
  if (s != nullptr) {
    if (detail::tearing_down(*s)) return;
    s->step_inline(delta == -1 ? detail::op_kind::wg_done : detail::op_kind::wg_add, &header_,
                   site);
    if (detail::tearing_down(*s)) return;  // resumed only to be torn down
    const std::int64_t before = counter_.load(std::memory_order_relaxed);
    if (before + delta < 0) {
      detail::panic(s,
                    "wait_group: negative counter (" + std::to_string(before) + " " +
                        (delta < 0 ? "- " : "+ ") + std::to_string(delta < 0 ? -delta : delta) +
                        ") on " + detail::describe(header_),
                    site);
    }
    const std::int64_t counter = before + delta;
    counter_.store(counter, std::memory_order_relaxed);
    detail::wait_group_changed(*s, delta, counter);
    // done happens before the wait it releases (Go: "Done synchronizes before Wait returns").
    if (delta < 0) detail::hb_release(*s, header_.clock, detail::running_task(*s));
    if (counter == 0) {
      while (detail::waiter* w = waiters_.pop_claimable()) {
        detail::hb_acquire(*s, header_.clock, w->owner);
        s->wake(w->owner);
      }
    }
    return;
  }
  // Checked before the change (a compare-exchange loop): a misuse leaves the counter as it was.
  std::int64_t before = counter_.load(std::memory_order_relaxed);
  do {
    if (before + delta < 0) {
      throw usage_error("wait_group: negative counter (wait_group created at " +
                        detail::format_site(header_.created) + ")");
    }
  } while (!counter_.compare_exchange_weak(before, before + delta, std::memory_order_acq_rel,
                                           std::memory_order_relaxed));
  // Release above: everything before done() happens before the wait() that sees zero.
  if (before + delta == 0) counter_.notify_all();
}

void wait_group::wait(weft::source_location site) {
  detail::scope* s = detail::check_use(header_, "wait_group::wait");
  detail::tsan_guard tsan(s);  // weft state: invisible to TSan (tsan.hpp)
  if (s != nullptr) {
    if (detail::tearing_down(*s, detail::op_kind::wg_wait)) return;
    s->step_inline(detail::op_kind::wg_wait, &header_, site);
    if (detail::tearing_down(*s)) return;  // resumed only to be torn down
    if (counter_.load(std::memory_order_relaxed) == 0) {
      detail::hb_acquire(*s, header_.clock, detail::running_task(*s));
      return;
    }
    detail::waiter w;
    w.owner = detail::running_task(*s);
    waiters_.push_back(w);
    if (!s->park_inline(detail::op_kind::wg_wait, &header_, site)) waiters_.remove(w);
    return;
  }
  // Sleeps while the counter keeps the value it was seen with; add() notifies when it reaches 0.
  for (std::int64_t seen = counter_.load(std::memory_order_acquire); seen != 0;
       seen = counter_.load(std::memory_order_acquire)) {
    counter_.wait(seen, std::memory_order_acquire);
  }
}

}  // namespace weft
