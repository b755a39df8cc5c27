// bench/relacy_test.cpp — the tiny test of BM_weft_mutex_test, written for Relacy Race Detector.
//
// Two threads each lock one mutex once to increment a shared counter; after both, the counter is
// checked. Relacy runs it under its random scheduler (`rl::simulate<test>(params)`,
// params.iteration_count executions per call).
//
// Relacy is confined to this file: relacy/relacy.hpp #defines new, delete, malloc and free for
// every line after it (so no other code, not even Google Benchmark's registration macros, may
// follow it in a translation unit) and replaces the global operator new/delete, which is why it
// lives in its own executable. Standard headers come first. Its std-like layer (relacy_std.hpp)
// does not compile with libstdc++ 12, so rl::mutex / rl::var are used directly; its output goes
// to a stream without a buffer (an std::ostringstream as its output stream crashes it).
#include <cstdint>
#include <iostream>
#include <ostream>

#include "relacy_test.hpp"

// clang-format off
#include <relacy/relacy.hpp>  // last: see above
// clang-format on

namespace {

struct lock_increment_test : rl::test_suite<lock_increment_test, 2> {
  rl::mutex mu;
  rl::var<int> counter;

  void before() { counter($) = 0; }
  void thread(unsigned /*index*/) {
    mu.lock($);
    counter($) = counter($) + 1;
    mu.unlock($);
  }
  void after() { RL_ASSERT(counter($) == 2); }
};

}  // namespace

namespace weft_bench {

relacy_result run_relacy_mutex_test(std::uint64_t executions) {
  static std::ostream discard(nullptr);  // no buffer: every write is dropped
  rl::test_params params;
  params.iteration_count = static_cast<rl::iteration_t>(executions);
  params.search_type = rl::random_scheduler_type;
  params.output_stream = &discard;
  params.progress_stream = &discard;
  const bool ok = rl::simulate<lock_increment_test>(params);
  return {ok, static_cast<std::uint64_t>(params.stop_iteration)};
}

}  // namespace weft_bench
