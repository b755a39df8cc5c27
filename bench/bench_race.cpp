// bench/bench_race.cpp — what the tracked<T> race detector (options::detect_races) costs.
//
//   BM_race_tracked_program   executions per second of a program whose `tasks` tasks make
//                             `accesses` (1,000) tracked accesses in total, each inside a
//                             weft::mutex critical section (so there is no race), with the
//                             detector on (races=1) or off (races=0). Each task locks, writes the
//                             tracked counter, unlocks, accesses/tasks times; the body waits on a
//                             wait_group and reads the counter once. accesses=0 keeps only the
//                             spawns, the wait_group and that read: what the tasks cost alone.
//
// `ns_per_access` is the wall time of one execution divided by its accesses: at 4 tasks it is
// dominated by the accesses and their critical sections, at 1,000 tasks also by spawning. The
// detector's own cost is the difference between races=1 and races=0 at the same task count; per
// access it is that difference minus the accesses=0 difference (the spawns' clock work), divided
// by the accesses. If it grows with the number of tasks, the clocks make the program quadratic
// (compare 4, 100, 1,000 and 4,000 tasks in RESULTS.md; the 4,000-task program makes 4,000
// accesses, one per task).
#include <benchmark/benchmark.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>

#include "bench_explore.hpp"
#include "bench_util.hpp"
#include "weft/weft.hpp"

namespace {

using weft_bench::stopwatch;
using weft_bench::tally;
using weft_bench::timed_explore;

struct program_state {
  weft::mutex mu;
  weft::tracked<int> counter{0};  // guarded by mu
  weft::wait_group wg;
};

void tracked_program(int tasks, int total_accesses) {
  auto st = std::make_shared<program_state>();
  const int per_task = total_accesses / tasks;
  st->wg.add(tasks);
  for (int t = 0; t < tasks; ++t) {
    weft::go([st, per_task] {
      for (int i = 0; i < per_task; ++i) {
        std::lock_guard lock(st->mu);
        st->counter.write([](int& c) { ++c; });
      }
      st->wg.done();
    });
  }
  st->wg.wait();
  if (st->counter.get() != per_task * tasks) throw std::logic_error("lost an update");
}

void BM_race_tracked_program(benchmark::State& state) {
  const auto tasks = static_cast<int>(state.range(0));
  const bool races = state.range(1) != 0;
  const auto accesses = static_cast<int>(state.range(3));
  weft::options opts;
  opts.iterations = static_cast<std::uint64_t>(state.range(2));
  opts.max_steps = std::uint64_t{1} << 40;
  opts.detect_races = races;
  const std::function<void()> body = [tasks, accesses] { tracked_program(tasks, accesses); };
  tally t;
  std::uint64_t execs = 0, steps = 0;
  for (auto _ : state) {
    weft::report r;
    if (!timed_explore(state, opts, body, t, r)) return;
    execs += r.executions;
    steps += r.steps;
  }
  const double n = static_cast<double>(execs);
  state.counters["execs_per_s"] = n / (t.wall_ns * 1e-9);
  state.counters["cpu_execs_per_s"] = n / (t.cpu_ns * 1e-9);
  state.counters["ns_per_exec"] = t.wall_ns / n;
  state.counters["cpu_ns_per_exec"] = t.cpu_ns / n;
  if (accesses > 0) {
    state.counters["ns_per_access"] = t.wall_ns / (n * accesses);
    state.counters["cpu_ns_per_access"] = t.cpu_ns / (n * accesses);
  }
  state.counters["steps_per_exec"] = static_cast<double>(steps) / n;
}
BENCHMARK(BM_race_tracked_program)
    ->ArgNames({"tasks", "races", "execs", "accesses"})
    ->Args({4, 1, 200, 1000})
    ->Args({4, 0, 200, 1000})
    ->Args({100, 1, 100, 1000})
    ->Args({100, 0, 100, 1000})
    ->Args({1000, 1, 20, 1000})
    ->Args({1000, 0, 20, 1000})
    ->Args({1000, 1, 20, 0})
    ->Args({1000, 0, 20, 0})
    ->Args({4000, 1, 5, 4000})
    ->Args({4000, 0, 5, 4000})
    ->Args({4000, 1, 5, 0})
    ->Args({4000, 0, 5, 0})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
