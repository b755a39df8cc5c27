// weft/semaphore.hpp — a counting semaphore (like golang.org/x/sync/semaphore with weight 1).
//
//   weft::semaphore slots(4);                // at most 4 downloads at once
//   for (auto& url : urls) {
//     weft::go([&slots, url] {
//       slots.acquire();
//       download(url);
//       slots.release();
//     });
//   }
//
// The semaphore holds a count of permits. `acquire` takes one, blocking while there is none;
// `try_acquire` takes one only if one is free now; `release(n)` returns n permits. Permits are
// not owned: any task may release them. Waiters are served in FIFO order and a released permit is
// handed directly to the longest waiter (a later `try_acquire` cannot overtake it). For race
// detection the operations on one semaphore are totally ordered, as in golang.org/x/sync's
// semaphore (a mutex-guarded counter): each happens before every later one.
//
// Blocking: only `acquire` blocks. Inside a deterministic scope every call is a scheduling point
// and a blocked `acquire` is durable (a semaphore nobody releases is reported as a deadlock or
// leak). Outside a scope waiters sleep (no busy waiting).
//
// Misuse: a negative initial count, or `release(n)` with n < 1, is a bug: kind `panic` inside a
// scope, weft::usage_error outside.
#pragma once

#include <cstddef>
#include <mutex>

#include "weft/detail/runtime.hpp"
#include "weft/detail/source_location.hpp"
#include "weft/detail/wait_queue.hpp"

namespace weft {

class semaphore {
 public:
  /// A semaphore holding `n` permits (n >= 0).
  explicit semaphore(std::ptrdiff_t n,
                     weft::source_location site = weft::source_location::current());
  semaphore(const semaphore&) = delete;
  semaphore& operator=(const semaphore&) = delete;

  /// Takes a permit, blocking until one is available.
  void acquire(weft::source_location site = weft::source_location::current());
  /// Takes a permit if one is available now; never blocks.
  bool try_acquire(weft::source_location site = weft::source_location::current());
  /// Returns `n` permits (n >= 1), waking up to `n` waiters.
  void release(std::ptrdiff_t n = 1, weft::source_location site = weft::source_location::current());

  const detail::object_header& header() const noexcept { return header_; }

 private:
  void wake(detail::scope* s, detail::waiter* w) noexcept;

  detail::object_header header_;
  // Both worlds; in production mode mutex_ guards both. Invariant: waiters_ is non-empty only
  // while count_ == 0 (a release hands permits to waiters before banking them).
  std::ptrdiff_t count_ = 0;
  detail::wait_queue waiters_;
  std::mutex mutex_;  // production mode only
};

}  // namespace weft
