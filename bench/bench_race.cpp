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
//   BM_race_clock_handoff     the detector's clocks alone, without fibers: the happens-before
//                             edges of `tasks` tasks spawned by one body, each taking one mutex
//                             once (in a shuffled order) and calling wait_group::done, then the
//                             body's wait — the joins and ticks src/engine.cpp makes for that
//                             program. Reports ns and clock nodes touched (created or merged)
//                             per task: with flat clocks both would grow linearly with `tasks`.
//                             BM_race_clock_handoff_flat runs the same edges on flat arrays
//                             (what the engine used before), side by side.
//
// `ns_per_access` is the wall time of one execution divided by its accesses: at 4 tasks it is
// dominated by the accesses and their critical sections, at 1,000 tasks also by spawning. The
// detector's own cost is the difference between races=1 and races=0 at the same task count; per
// access it is that difference minus the accesses=0 difference (the spawns' clock work), divided
// by the accesses. If it grows with the number of tasks, the clocks make the program quadratic
// (compare 4, 100, 1,000 and 4,000 tasks in RESULTS.md; the 4,000-task program makes 4,000
// accesses, one per task).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench_explore.hpp"
#include "bench_util.hpp"
#include "weft/detail/vector_clock.hpp"
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

// The flat representation the persistent clocks replaced (one array entry per task, join is a
// loop over all of them), for comparison in the same run.
class flat_clock {
 public:
  std::uint32_t get(std::uint32_t task) const noexcept { return task < c_.size() ? c_[task] : 0; }
  void tick(std::uint32_t task) {
    if (task >= c_.size()) c_.resize(task + 1, 0);
    ++c_[task];
  }
  void join(const flat_clock& other) {
    if (other.c_.size() > c_.size()) c_.resize(other.c_.size(), 0);
    for (std::size_t i = 0; i < other.c_.size(); ++i) c_[i] = std::max(c_[i], other.c_[i]);
  }

 private:
  std::vector<std::uint32_t> c_;
};

template <class Clock>
void clock_handoff(benchmark::State& state) {
  using weft::detail::vector_clock;
  const auto tasks = static_cast<std::uint32_t>(state.range(0));
  std::vector<std::uint32_t> order(tasks);
  for (std::uint32_t i = 0; i < tasks; ++i) order[i] = i + 1;
  std::shuffle(order.begin(), order.end(), std::mt19937(1));
  std::uint64_t nodes = 0, runs = 0;
  for (auto _ : state) {
    const vector_clock::work_counters before = vector_clock::work();
    std::vector<Clock> clock(tasks + 1);  // clock[0]: the body
    Clock lock_clock, wg_clock;
    clock[0].tick(0);
    for (std::uint32_t t = 1; t <= tasks; ++t) {  // go
      clock[t].join(clock[0]);
      clock[0].tick(0);
      clock[t].tick(t);
    }
    for (std::uint32_t t : order) {
      clock[t].join(lock_clock);  // lock
      benchmark::DoNotOptimize(clock[t].get(t));
      lock_clock.join(clock[t]);  // unlock
      clock[t].tick(t);
      wg_clock.join(clock[t]);  // done
      clock[t].tick(t);
    }
    clock[0].join(wg_clock);  // wait
    benchmark::DoNotOptimize(clock[0].get(tasks));
    const vector_clock::work_counters after = vector_clock::work();
    nodes += (after.nodes_made - before.nodes_made) + (after.nodes_merged - before.nodes_merged);
    ++runs;
  }
  const double per = static_cast<double>(runs) * tasks;
  state.counters["ns_per_task"] =
      benchmark::Counter(per, benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  if (nodes > 0) state.counters["nodes_per_task"] = static_cast<double>(nodes) / per;
}

void BM_race_clock_handoff(benchmark::State& state) {
  clock_handoff<weft::detail::vector_clock>(state);
}
void BM_race_clock_handoff_flat(benchmark::State& state) { clock_handoff<flat_clock>(state); }

// The same task counts for both, side by side; the flat clocks stop at 16,000 (quadratic).
template <int MaxTasks>
void handoff_sizes(benchmark::internal::Benchmark* b) {
  b->ArgName("tasks")->Unit(benchmark::kMicrosecond);
  for (int tasks : {4, 100, 1000, 4000, 16000, 64000}) {
    if (tasks <= MaxTasks) b->Arg(tasks);
  }
}
BENCHMARK(BM_race_clock_handoff)->Apply(handoff_sizes<64000>);
BENCHMARK(BM_race_clock_handoff_flat)->Apply(handoff_sizes<16000>);

}  // namespace
