// bench/bench_relacy.cpp — executions/s of Relacy Race Detector on the same tiny test as
// BM_weft_mutex_test/threads:2 (bench_weft.cpp): two threads lock one mutex once each to
// increment a counter, checked afterwards. The test itself is in relacy_test.cpp, the only file
// that includes Relacy (see there why).
#include <benchmark/benchmark.h>

#include <cstdint>

#include "bench_util.hpp"
#include "relacy_test.hpp"

namespace {

void BM_relacy_mutex_test(benchmark::State& state) {
  const auto executions = static_cast<std::uint64_t>(state.range(0));
  weft_bench::tally t;
  std::uint64_t execs = 0;
  for (auto _ : state) {
    weft_bench::stopwatch sw;
    const weft_bench::relacy_result r = weft_bench::run_relacy_mutex_test(executions);
    t.add(sw);
    if (!r.ok) {
      state.SkipWithError("relacy reported a failure");
      return;
    }
    execs += r.executions;
  }
  state.counters["execs_per_s"] = static_cast<double>(execs) / (t.wall_ns * 1e-9);
  state.counters["ns_per_exec"] = t.wall_ns / static_cast<double>(execs);
  state.counters["cpu_ns_per_exec"] = t.cpu_ns / static_cast<double>(execs);
}
BENCHMARK(BM_relacy_mutex_test)
    ->ArgName("execs")
    ->Arg(100'000)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
