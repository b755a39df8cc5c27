// bench/bench_time.cpp — virtual time at scale (issue 4): what sleeping, timers and timeouts cost
// in wall time inside a deterministic scope.
//
//   BM_webhook_pipeline  (a) example 07's webhook pipeline (examples/webhook_pipeline.hpp, the
//                        same code) at 10,000 events: 50 workers, a job queue of 1000, a 100 ms
//                        virtual API latency and a 250 ms timeout per job, a batch writer. Wall
//                        time per execution, and the virtual time the execution spanned
//                        (counter `virtual_s`), under both time policies: `explored` (the
//                        default: the strategy may fire the earliest deadline at any scheduling
//                        point, as if running tasks were slow, so virtual time runs ahead of the
//                        ideal) and `idle_only` (time moves only when every task is blocked:
//                        close to the ideal 10,000 / 50 x 100 ms = 20 s).
//   BM_sleep_many        (b) N tasks each calling weft::sleep_for 1,000 times with random
//                        virtual durations (1 us .. 1 ms, drawn from a fixed-seed splitmix64
//                        outside the engine: the same durations in every run), all in one
//                        execution. Target for 1,000 tasks: < 1 s of wall time. 100 tasks are
//                        measured too, to show how the cost per sleep grows with the number of
//                        pending timers.
//
// Every benchmark iteration is one weft::explore call with one execution (iteration i uses seed
// i, so the iterations run different schedules); `virtual_s` and `dead_letters` are means over
// the executions run, so under time_policy::explored they vary slightly with how many iterations
// Google Benchmark chose. `ms_per_exec` / `s_per_exec` are wall time,
// `cpu_*` the process's CPU time (less disturbed by other processes on a shared machine).
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>

#include "bench_explore.hpp"
#include "bench_util.hpp"
#include "webhook_pipeline.hpp"
#include "weft/weft.hpp"

namespace {

using weft_bench::stopwatch;
using weft_bench::tally;
using weft_bench::timed_explore;

/// One execution per explore call, default options, no step limit in the way.
weft::options one_execution(std::uint64_t seed, weft::time_policy policy) {
  weft::options opts;
  opts.iterations = 1;
  opts.seed = seed;
  opts.max_steps = std::uint64_t{1} << 40;
  opts.time_policy = policy;
  return opts;
}

weft::time_policy policy_arg(std::int64_t arg) {
  return arg == 0 ? weft::time_policy::explored : weft::time_policy::idle_only;
}

// --- (a) the webhook pipeline ----------------------------------------------------------------

void BM_webhook_pipeline(benchmark::State& state) {
  webhook::config cfg;  // example 07's fixed pipeline
  cfg.events = static_cast<int>(state.range(0));
  const weft::time_policy policy = policy_arg(state.range(1));
  auto last = std::make_shared<webhook::outcome>();
  const std::function<void()> body = [cfg, last] { *last = webhook::run(cfg); };
  tally t;
  double virtual_s = 0, steps = 0, dead = 0;
  std::uint64_t execs = 0;
  for (auto _ : state) {
    weft::report r;
    if (!timed_explore(state, one_execution(execs, policy), body, t, r)) return;
    virtual_s += std::chrono::duration<double>(last->virtual_time).count();
    steps += static_cast<double>(r.steps);
    dead += last->dead_lettered();
    ++execs;
  }
  const auto n = static_cast<double>(execs);
  state.counters["ms_per_exec"] = t.wall_ns / n / 1e6;
  state.counters["cpu_ms_per_exec"] = t.cpu_ns / n / 1e6;
  state.counters["virtual_s"] = virtual_s / n;
  state.counters["steps_per_exec"] = steps / n;
  state.counters["dead_letters"] = dead / n;
  state.counters["ns_per_step"] = t.wall_ns / steps;
}
BENCHMARK(BM_webhook_pipeline)
    ->ArgNames({"events", "idle_only"})
    ->Args({10'000, 0})
    ->Args({10'000, 1})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// --- (b) many tasks sleeping many times ------------------------------------------------------

/// splitmix64: a fixed-seed PRNG outside the engine, so every run sleeps the same durations.
std::uint64_t splitmix64(std::uint64_t& x) {
  std::uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

void BM_sleep_many(benchmark::State& state) {
  const auto tasks = static_cast<int>(state.range(0));
  const auto sleeps = static_cast<int>(state.range(1));
  const weft::time_policy policy = policy_arg(state.range(2));
  auto virtual_ns = std::make_shared<std::int64_t>(0);
  const std::function<void()> body = [tasks, sleeps, virtual_ns] {
    const weft::clock::time_point start = weft::clock::now();
    auto wg = std::make_shared<weft::wait_group>();
    wg->add(tasks);
    for (int t = 0; t < tasks; ++t) {
      weft::go([t, sleeps, wg] {
        std::uint64_t rng = 0x5eed0000ULL + static_cast<std::uint64_t>(t);
        for (int i = 0; i < sleeps; ++i) {
          weft::sleep_for(std::chrono::microseconds(1 + splitmix64(rng) % 1000));
        }
        wg->done();
      });
    }
    wg->wait();
    *virtual_ns = (weft::clock::now() - start).count();
  };
  tally t;
  double virtual_s = 0, steps = 0;
  std::uint64_t execs = 0;
  for (auto _ : state) {
    weft::report r;
    if (!timed_explore(state, one_execution(execs, policy), body, t, r)) return;
    virtual_s += static_cast<double>(*virtual_ns) / 1e9;
    steps += static_cast<double>(r.steps);
    ++execs;
  }
  const auto n = static_cast<double>(execs);
  const double total_sleeps = n * tasks * sleeps;
  state.counters["s_per_exec"] = t.wall_ns / n / 1e9;
  state.counters["cpu_s_per_exec"] = t.cpu_ns / n / 1e9;
  state.counters["ns_per_sleep"] = t.wall_ns / total_sleeps;
  state.counters["cpu_ns_per_sleep"] = t.cpu_ns / total_sleeps;
  state.counters["virtual_s"] = virtual_s / n;
  state.counters["steps_per_exec"] = steps / n;
}
BENCHMARK(BM_sleep_many)
    ->ArgNames({"tasks", "sleeps", "idle_only"})
    ->Args({1'000, 1'000, 0})
    ->Args({1'000, 1'000, 1})
    ->Args({100, 1'000, 0})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
