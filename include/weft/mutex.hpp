// weft/mutex.hpp — a mutual-exclusion lock (Lockable: works with std::lock_guard/unique_lock).
//
//   weft::mutex mu;
//   int balance = 0;              // guarded by mu
//   weft::go([&] { weft::lock_guard lock(mu); balance += 10; });
//
// std::lock_guard works too, but reports then name a line of <mutex> instead of the caller's
// (see weft/lock_guard.hpp).
//
// Blocking: `lock` blocks until the mutex is free; `try_lock` never blocks. Inside a deterministic
// scope each call is a scheduling point, a blocked `lock` is durable (so lock-order deadlocks are
// found and reported with who holds what), and the mutex is handed to waiters in FIFO order.
// Outside a scope it is a futex-based lock (one CAS when uncontended, no busy waiting).
//
// As in Go, the mutex is not owned: any task may unlock it. Unlocking a mutex that is not locked
// is a bug: kind `panic` inside a scope, weft::usage_error outside. Not recursive: locking it
// twice from one task deadlocks, and weft reports that deadlock.
#pragma once

#include <atomic>
#include <cstdint>
#include "weft/detail/source_location.hpp"

#include "weft/detail/runtime.hpp"
#include "weft/detail/wait_queue.hpp"

namespace weft {

class mutex {
 public:
  explicit mutex(weft::source_location site = weft::source_location::current()) {
    detail::register_object(header_, detail::object_kind::mutex, site);
  }
  mutex(const mutex&) = delete;
  mutex& operator=(const mutex&) = delete;

  void lock(weft::source_location site = weft::source_location::current());
  bool try_lock(weft::source_location site = weft::source_location::current());
  void unlock(weft::source_location site = weft::source_location::current());

  const detail::object_header& header() const noexcept { return header_; }

 private:
  detail::object_header header_;
  // Scope mode. Invariant: waiters_ is non-empty only while locked_.
  bool locked_ = false;
  detail::wait_queue waiters_;
  // Production mode: 0 unlocked, 1 locked, 2 locked with (possible) sleepers (Drepper, "Futexes
  // Are Tricky", 2011, mutex #3).
  std::atomic<std::uint32_t> state_{0};
};

}  // namespace weft
