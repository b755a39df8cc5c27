// bench/bench_fiber.cpp — Boost.Fiber references for weft's engine benchmarks (same binary).
//
// The same shapes as bench_weft.cpp, on Boost.Fiber's default round-robin scheduler on one thread:
//
//   BM_fiber_yield_step        two fibers calling boost::this_fiber::yield() in a loop
//   BM_fiber_chan_round_trip   unbuffered_channel<int> ping-pong between two fibers
//   BM_fiber_spawn_join        start an empty fiber and join it
//
// Boost.Fiber neither explores schedules nor records them: these are the floor a fiber library
// with no checking reaches on this machine.
#include <benchmark/benchmark.h>

#include <boost/fiber/all.hpp>
#include <cstdint>
#include <string>

#include "bench_explore.hpp"
#include "bench_util.hpp"

namespace {

using weft_bench::per_unit;
using weft_bench::stopwatch;
using weft_bench::tally;

void BM_fiber_yield_step(benchmark::State& state) {
  const auto yields = static_cast<std::uint64_t>(state.range(0));
  tally t;
  std::uint64_t steps = 0;
  for (auto _ : state) {
    stopwatch sw;
    auto loop = [yields] {
      for (std::uint64_t i = 0; i < yields; ++i) boost::this_fiber::yield();
    };
    boost::fibers::fiber a(loop), b(loop);
    a.join();
    b.join();
    t.add(sw);
    steps += 2 * yields;
  }
  per_unit(state, "step", t, static_cast<double>(steps));
}
BENCHMARK(BM_fiber_yield_step)
    ->ArgName("yields_per_fiber")
    ->Arg(100'000)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

void BM_fiber_chan_round_trip(benchmark::State& state) {
  const auto trips = static_cast<std::uint64_t>(state.range(0));
  tally t;
  std::uint64_t round_trips = 0;
  for (auto _ : state) {
    stopwatch sw;
    boost::fibers::unbuffered_channel<int> ping, pong;
    boost::fibers::fiber a([&] {
      for (std::uint64_t i = 0; i < trips; ++i) {
        ping.push(static_cast<int>(i));
        int v = 0;
        pong.pop(v);
        benchmark::DoNotOptimize(v);
      }
    });
    boost::fibers::fiber b([&] {
      for (std::uint64_t i = 0; i < trips; ++i) {
        int v = 0;
        ping.pop(v);
        pong.push(v);
      }
    });
    a.join();
    b.join();
    t.add(sw);
    round_trips += trips;
  }
  per_unit(state, "round_trip", t, static_cast<double>(round_trips));
}
BENCHMARK(BM_fiber_chan_round_trip)
    ->ArgName("round_trips")
    ->Arg(100'000)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

void BM_fiber_spawn_join(benchmark::State& state) {
  const auto tasks = static_cast<std::uint64_t>(state.range(0));
  tally t;
  std::uint64_t spawned = 0;
  for (auto _ : state) {
    stopwatch sw;
    for (std::uint64_t i = 0; i < tasks; ++i) boost::fibers::fiber([] {}).join();
    t.add(sw);
    spawned += tasks;
  }
  per_unit(state, "task", t, static_cast<double>(spawned));
}
BENCHMARK(BM_fiber_spawn_join)
    ->ArgName("tasks")
    ->Arg(100'000)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
