// bench/bench_explore.hpp — helpers shared by the benchmarks that run weft::explore (and report
// per-unit counters) under Google Benchmark.
#pragma once

#include <benchmark/benchmark.h>

#include <exception>
#include <functional>
#include <string>

#include <weft/weft.hpp>

#include "bench_util.hpp"

namespace weft_bench {

/// Runs one exploration and adds its time to `t`. On a failure (a weft bug here) or an exception
/// stops the benchmark with an error and returns false.
inline bool timed_explore(benchmark::State& state, const weft::options& opts,
                          const std::function<void()>& body, tally& t, weft::report& out) {
  stopwatch sw;
  try {
    out = weft::explore(opts, body);
  } catch (const std::exception& e) {
    state.SkipWithError((std::string("weft::explore threw ") + e.what()).c_str());
    return false;
  }
  t.add(sw);
  if (!out.ok()) {
    state.SkipWithError(("weft reported a failure: " + out.message).c_str());
    return false;
  }
  return true;
}

/// Sets `ns_per_<unit>` (wall) and `cpu_ns_per_<unit>` from `t` over `count` units.
inline void per_unit(benchmark::State& state, const std::string& unit, const tally& t,
                     double count) {
  state.counters["ns_per_" + unit] = t.wall_ns / count;
  state.counters["cpu_ns_per_" + unit] = t.cpu_ns / count;
}

}  // namespace weft_bench
