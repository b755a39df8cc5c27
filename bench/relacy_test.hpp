// bench/relacy_test.hpp — entry point into relacy_test.cpp (the only file that includes Relacy).
#pragma once

#include <cstdint>

namespace weft_bench {

struct relacy_result {
  bool ok = false;               ///< Relacy found no failure (the test expects none)
  std::uint64_t executions = 0;  ///< executions Relacy ran (params.stop_iteration)
};

/// Runs the two-thread lock-and-increment test `executions` times under Relacy's random scheduler.
relacy_result run_relacy_mutex_test(std::uint64_t executions);

}  // namespace weft_bench
