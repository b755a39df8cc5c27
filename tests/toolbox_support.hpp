// Helpers shared by the synchronization-toolbox tests (rw_mutex, once, cond_var, semaphore,
// atomic, tracked): one test body runs in both worlds, inside a deterministic scope (explored
// under many schedules) and in production mode on real threads.
//
// Naming: scope tests live in suites ending in "Scope", real-thread tests in suites ending in
// "Threads" (so `--gtest_filter=*Threads.*` selects exactly the production-mode tests, e.g. for a
// ThreadSanitizer run).
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <weft/explore.hpp>
#include <weft/task.hpp>
#include <weft/time.hpp>

namespace toolbox {

/// A check inside a test body, in either world. In a scope it throws, so the execution fails
/// (kind uncaught_exception) and the report carries `what`, the schedule and the replay line; on
/// real threads it records a GoogleTest failure (thread-safe) and the body goes on.
inline void require(bool ok, const std::string& what) {
  if (ok) return;
  if (weft::in_scope()) throw std::logic_error(what);
  ADD_FAILURE() << what;
}

/// Options for exploring a toolbox body: seed 0, `iterations` executions.
inline weft::options scope_options(std::uint64_t iterations = 1000,
                                   weft::time_policy policy = weft::time_policy::explored) {
  weft::options opts;
  opts.seed = 0;
  opts.iterations = iterations;
  opts.time_policy = policy;
  return opts;
}

/// Explores `body` and expects every execution to pass; returns the report.
inline weft::report expect_clean(const weft::options& opts, const std::function<void()>& body) {
  weft::report r = weft::explore(opts, body);
  EXPECT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(r.executions, opts.iterations);
  return r;
}

/// Runs `body` once in production mode. The body must join the tasks it starts (wait_group).
inline void run_threads(const std::function<void()>& body) {
  ASSERT_FALSE(weft::in_scope());
  body();
}

/// Waits until `pred()` holds, sleeping a little between tries (virtual time in a scope, real
/// time outside), at most `tries` times. Returns pred()'s last value: callers `require` it, so a
/// broken primitive fails the test instead of hanging it.
template <class Pred>
bool poll_until(Pred pred, int tries = 5000) {
  for (int i = 0; i < tries; ++i) {
    if (pred()) return true;
    weft::sleep_for(std::chrono::microseconds(200));
  }
  return pred();
}

/// A pause that, inside a scope run with time_policy::idle_only, returns only once every other
/// task is blocked (time moves only then); on real threads it simply gives them time to block.
inline void settle() { weft::sleep_for(std::chrono::milliseconds(weft::in_scope() ? 1 : 50)); }

}  // namespace toolbox
