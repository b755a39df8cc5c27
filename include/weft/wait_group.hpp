// weft/wait_group.hpp — waits for a collection of tasks to finish (Go's sync.WaitGroup).
//
//   weft::wait_group wg;
//   for (int i = 0; i < 3; ++i) {
//     wg.add(1);
//     weft::go([&wg] { work(); wg.done(); });
//   }
//   wg.wait();   // returns once all three called done()
//
// Blocking: `wait` blocks until the counter is zero; `add` and `done` never block. Inside a scope
// each call is a scheduling point. Call `add` before starting the task it accounts for.
//
// Misuse: a negative counter (more `done` than `add`) is a bug: kind `panic` inside a scope,
// weft::usage_error outside.
#pragma once

#include <atomic>
#include <cstdint>
#include "weft/detail/source_location.hpp"

#include "weft/detail/runtime.hpp"
#include "weft/detail/wait_queue.hpp"

namespace weft {

class wait_group {
 public:
  explicit wait_group(weft::source_location site = weft::source_location::current()) {
    detail::register_object(header_, detail::object_kind::wait_group, site);
  }
  wait_group(const wait_group&) = delete;
  wait_group& operator=(const wait_group&) = delete;

  /// Adds `delta` (may be negative) to the counter; at zero every waiter is released.
  void add(int delta, weft::source_location site = weft::source_location::current());
  /// add(-1).
  void done(weft::source_location site = weft::source_location::current()) { add(-1, site); }
  /// Blocks until the counter is zero.
  void wait(weft::source_location site = weft::source_location::current());

  const detail::object_header& header() const noexcept { return header_; }

 private:
  detail::object_header header_;
  // Invariant: >= 0. Atomic for production mode, where wait() sleeps on it (C++20 atomic wait:
  // nothing to construct or destroy, unlike a mutex and condition variable); a scope's tasks
  // share one thread and use it with relaxed loads and stores, which compile to plain moves.
  std::atomic<std::int64_t> counter_{0};
  detail::wait_queue waiters_;  // scope mode
};

}  // namespace weft
