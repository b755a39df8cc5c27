// weft/detail/wait_queue.hpp — waiter records (Go's sudog) and the intrusive queues that hold them.
//
// A blocked operation publishes one `waiter` on every object it waits on; a `select` publishes one
// per case, all sharing a `select_group`. Whoever completes the operation first *claims* the group,
// so a send in one select can rendezvous with a receive parked in another, and the losing records
// are skipped and later withdrawn by their owner. The same records serve both worlds: inside a
// scope `owner` is the parked fiber; outside, the thread sleeps on `signal` (a futex via
// std::atomic::wait) and the queue is guarded by the object's mutex.
#pragma once

#include <atomic>
#include <cstdint>

namespace weft::detail {

struct task;
struct waiter;

/// Shared by the waiters of one `select`: the first peer to claim it completes that case only.
struct select_group {
  std::atomic<std::uint32_t> claimed{0};  // 0 until one case is claimed; never reset
  std::uint32_t winner = ~std::uint32_t{0};
  std::atomic<std::uint32_t> signal{0};  // production mode: the select's thread sleeps on it
};

struct waiter {
  task* owner = nullptr;                 // scope mode: the parked task
  std::atomic<std::uint32_t> signal{0};  // production mode: 1 once woken
  void* slot = nullptr;                  // send: the value to take; recv: where to put it
  select_group* group = nullptr;         // non-null for select cases
  std::uint32_t case_index = 0;
  bool completed = false;  // the peer completed the operation (false: woken by close)
  // Intrusive links; invariant: queue != nullptr exactly while linked into `queue`.
  waiter* prev = nullptr;
  waiter* next = nullptr;
  struct wait_queue* queue = nullptr;

  /// Claims this waiter for completion: always true for plain waiters; for select cases only the
  /// first claim of the group succeeds (and records the winning case).
  bool claim() noexcept {
    if (group == nullptr) return true;
    std::uint32_t expected = 0;
    if (!group->claimed.compare_exchange_strong(expected, 1, std::memory_order_acq_rel)) {
      return false;
    }
    group->winner = case_index;
    return true;
  }

  /// Production mode: blocks the calling thread until notify() (no busy waiting). The cases of
  /// one select share their group's signal.
  void wait_signal() noexcept {
    std::atomic<std::uint32_t>& s = group != nullptr ? group->signal : signal;
    while (s.load(std::memory_order_acquire) == 0) s.wait(0, std::memory_order_acquire);
  }
  /// Production mode. The store is the waker's last access to the record: once it is visible the
  /// waiting thread may return and reuse the record's memory (chan::send/recv do, without taking
  /// the channel's mutex again), and notify_one() only hands the address to the futex wake
  /// (libstdc++ and libc++ do not read the object there). A stale address can at worst wake some
  /// other futex waiter spuriously, which every wait loop tolerates.
  void notify() noexcept {
    std::atomic<std::uint32_t>& s = group != nullptr ? group->signal : signal;
    s.store(1, std::memory_order_release);
    s.notify_one();
  }
};

/// FIFO of waiters. Not thread-safe by itself: the owning object guards it.
struct wait_queue {
  waiter* head = nullptr;
  waiter* tail = nullptr;

  bool empty() const noexcept { return head == nullptr; }

  void push_back(waiter& w) noexcept {
    w.queue = this;
    w.next = nullptr;
    w.prev = tail;
    if (tail != nullptr) {
      tail->next = &w;
    } else {
      head = &w;
    }
    tail = &w;
  }

  void remove(waiter& w) noexcept {
    if (w.queue != this) return;
    if (w.prev != nullptr) {
      w.prev->next = w.next;
    } else {
      head = w.next;
    }
    if (w.next != nullptr) {
      w.next->prev = w.prev;
    } else {
      tail = w.prev;
    }
    w.prev = w.next = nullptr;
    w.queue = nullptr;
  }

  /// Removes and returns the first waiter that can be claimed (stale select cases are dropped),
  /// or nullptr.
  waiter* pop_claimable() noexcept {
    while (head != nullptr) {
      waiter* w = head;
      remove(*w);
      if (w->claim()) return w;
    }
    return nullptr;
  }

  /// The first waiter that could still be claimed, without claiming it.
  waiter* peek_claimable() noexcept {
    for (waiter* w = head; w != nullptr; w = w->next) {
      if (w->group == nullptr || w->group->claimed.load(std::memory_order_acquire) == 0) return w;
    }
    return nullptr;
  }
};

}  // namespace weft::detail
