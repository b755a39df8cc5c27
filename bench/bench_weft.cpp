// bench/bench_weft.cpp — microbenchmarks of weft's deterministic engine (inside a scope).
//
// Each benchmark runs real weft code under weft::explore with the default strategy (random) and
// default checks, so every figure includes what a user pays: the strategy's decision at each
// scheduling point, recording the schedule for replay, the schedule tail for reports. Figures are
// measured time divided by the work done, reported as Google Benchmark counters; `ns_per_*` is
// wall time (what the targets are stated in), `cpu_ns_per_*` the process's CPU time (robust to
// other processes sharing the machine).
//
//   BM_weft_yield_step        (a) one scheduling step: two tasks calling weft::yield() in a loop
//   BM_weft_chan_round_trip   (b) unbuffered chan<int> ping-pong between two tasks
//   BM_weft_mutex_test        (c) executions/s of a tiny test: 2 tasks lock a mutex, wait_group
//                             (threads = 2: the body and one task, Relacy's two-thread shape)
//   BM_weft_spawn_finish      (d) go() of an empty task, until it has finished
//   BM_weft_rss_blocked_tasks (e) peak RSS with 100,000 tasks blocked on a channel
//   BM_weft_wake_all          how the cost per task grows when N blocked tasks are woken at once
//
// Arguments named `races` switch options::detect_races (1 = the default, on) to show what the
// happens-before bookkeeping costs. Benchmarks with many tasks in one execution are run at several
// sizes so that super-linear growth is visible.
//
// Benchmarks with many tasks (spawn_finish, rss_blocked_tasks, wake_all) measure each iteration in
// a forked child process: its VmHWM is the peak of exactly that workload, and the child's address
// space is capped (RLIMIT_AS, WEFT_BENCH_MAX_MEMORY_MIB above what it inherits, default 6144;
// 0 = no cap), so an engine whose memory grows super-linearly with the number of tasks fails that
// one benchmark with an error instead of waking the OOM killer on a shared machine.
//
// The Boost.Fiber references for (a), (b) and (d) are in bench_fiber.cpp (same binary), Relacy's
// for (c) in bench_relacy.cpp (its own binary: Relacy replaces operator new process-wide).
#include <benchmark/benchmark.h>

#include <malloc.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>

#include "bench_explore.hpp"
#include "bench_util.hpp"
#include "weft/weft.hpp"

namespace {

using weft_bench::per_unit;
using weft_bench::stopwatch;
using weft_bench::tally;
using weft_bench::timed_explore;

/// Options for a benchmark run: defaults (strategy random, seed 0, time_policy explored) except
/// that long executions must not hit the step limit.
weft::options bench_options(std::uint64_t executions, bool detect_races = true) {
  weft::options opts;
  opts.iterations = executions;
  opts.max_steps = std::uint64_t{1} << 40;
  // The yield benchmark's tasks yield 100,000 times in a row by design: not a livelock.
  opts.progress_steps = 0;
  opts.detect_races = detect_races;
  return opts;
}

// --- (a) one scheduling step -------------------------------------------------------------------

// Two tasks each call weft::yield() `yields` times; `executions` executions per explore call.
// Every yield is a scheduling point at which both tasks are runnable, so the strategy decides
// (and the engine records) each one; about half the decisions switch fibers. A step is one
// scheduling point as the engine counts them (report::steps: the yields plus spawns and ends).
void BM_weft_yield_step(benchmark::State& state) {
  const auto yields = static_cast<std::uint64_t>(state.range(0));
  const auto executions = static_cast<std::uint64_t>(state.range(1));
  const weft::options opts = bench_options(executions);
  const std::function<void()> body = [yields] {
    for (int t = 0; t < 2; ++t) {
      weft::go([yields] {
        for (std::uint64_t i = 0; i < yields; ++i) weft::yield();
      });
    }
  };
  tally t;
  std::uint64_t steps = 0, execs = 0;
  for (auto _ : state) {
    weft::report r;
    if (!timed_explore(state, opts, body, t, r)) return;
    steps += r.steps;
    execs += r.executions;
  }
  per_unit(state, "step", t, static_cast<double>(steps));
  state.counters["steps_per_exec"] = static_cast<double>(steps) / static_cast<double>(execs);
}
BENCHMARK(BM_weft_yield_step)
    ->ArgNames({"yields_per_task", "execs"})
    ->Args({100'000, 1})
    ->Args({100, 1'000})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// --- (b) unbuffered channel round trip -----------------------------------------------------------

// Two tasks: one sends on `ping` and waits on `pong`, the other echoes. One round trip is two
// rendezvous (4 channel operations, each a scheduling point, at least two of them parking).
void BM_weft_chan_round_trip(benchmark::State& state) {
  const auto trips = static_cast<std::uint64_t>(state.range(0));
  const weft::options opts = bench_options(1, state.range(1) != 0);
  const std::function<void()> body = [trips] {
    weft::chan<int> ping, pong;
    weft::go([ping, pong, trips] {
      for (std::uint64_t i = 0; i < trips; ++i) {
        ping.send(static_cast<int>(i));
        benchmark::DoNotOptimize(pong.recv());
      }
    });
    weft::go([ping, pong, trips] {
      for (std::uint64_t i = 0; i < trips; ++i) pong.send(*ping.recv());
    });
  };
  tally t;
  std::uint64_t steps = 0, round_trips = 0;
  for (auto _ : state) {
    weft::report r;
    if (!timed_explore(state, opts, body, t, r)) return;
    steps += r.steps;
    round_trips += trips;
  }
  per_unit(state, "round_trip", t, static_cast<double>(round_trips));
  state.counters["steps_per_round_trip"] =
      static_cast<double>(steps) / static_cast<double>(round_trips);
}
BENCHMARK(BM_weft_chan_round_trip)
    ->ArgNames({"round_trips", "races"})
    ->Args({100'000, 1})
    ->Args({100'000, 0})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// --- (c) executions per second of a tiny test ----------------------------------------------------

// The test, as a Go programmer writes it: threads - 1 spawned tasks and the body each lock a mutex
// once to increment a counter; the body waits for the tasks with a wait_group and checks the
// counter. Shared state is the body's locals: the tasks are done with them before wait()
// returns, and the body returns only after that (the pattern task.hpp shows as safe).
//
// threads = 2 is the shape of Relacy's test (relacy_test.cpp): two threads of control, each
// locking once. Relacy's harness joins its threads itself; weft's body joins with the
// wait_group, three scheduling points (add, done, wait) Relacy's test does not have.
// threads = 3: the body only waits, two spawned tasks lock.
template <int Threads>
void mutex_test_body() {
  weft::mutex mu;
  weft::wait_group wg;
  int counter = 0;  // guarded by mu
  wg.add(Threads - 1);
  for (int t = 0; t < Threads - 1; ++t) {
    weft::go([&] {
      mu.lock();
      ++counter;
      mu.unlock();
      wg.done();
    });
  }
  if constexpr (Threads == 2) {
    mu.lock();
    ++counter;
    mu.unlock();
  }
  wg.wait();
  if (counter != 2) throw std::logic_error("lost an increment");  // two increments either way
}

void BM_weft_mutex_test(benchmark::State& state) {
  const auto executions = static_cast<std::uint64_t>(state.range(0));
  weft::options opts = bench_options(executions, state.range(3) != 0);
  opts.jobs = static_cast<unsigned>(state.range(2));
  const std::function<void()> body =
      state.range(1) == 2 ? &mutex_test_body<2> : &mutex_test_body<3>;
  tally t;
  std::uint64_t steps = 0, execs = 0, distinct = 0;
  for (auto _ : state) {
    weft::report r;
    if (!timed_explore(state, opts, body, t, r)) return;
    steps += r.steps;
    execs += r.executions;
    distinct = r.distinct_schedules;
  }
  state.counters["execs_per_s"] = static_cast<double>(execs) / (t.wall_ns * 1e-9);
  per_unit(state, "exec", t, static_cast<double>(execs));
  state.counters["steps_per_exec"] = static_cast<double>(steps) / static_cast<double>(execs);
  state.counters["distinct_schedules"] = static_cast<double>(distinct);
}
BENCHMARK(BM_weft_mutex_test)
    ->ArgNames({"execs", "threads", "jobs", "races"})
    ->Args({100'000, 2, 1, 1})
    ->Args({100'000, 2, 2, 1})
    ->Args({100'000, 2, 1, 0})
    ->Args({100'000, 3, 1, 1})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// --- measuring in a child process ---------------------------------------------------------------

/// What one measurement in a child process sends back (plain data: it crosses a pipe).
struct child_sample {
  bool ok = false;
  double wall_ns = 0;
  double cpu_ns = 0;
  double steps = 0;
  double baseline_kib = 0;     // VmRSS before weft::explore (after malloc_trim)
  double rss_blocked_kib = 0;  // (e) VmRSS with every task blocked
  double hwm_blocked_kib = 0;  // (e) VmHWM at that point
  double peak_kib = 0;         // VmHWM after weft::explore returned
  char error[1024] = {};
};

/// Caps the calling process's address space at what it uses now plus WEFT_BENCH_MAX_MEMORY_MIB.
void cap_address_space() {
  const char* env = std::getenv("WEFT_BENCH_MAX_MEMORY_MIB");
  const unsigned long long cap_mib = env != nullptr ? std::strtoull(env, nullptr, 10) : 6144;
  if (cap_mib == 0) return;
  const long vm_kib = weft_bench::proc_status_kib("VmSize");
  rlimit limit{};
  limit.rlim_cur = limit.rlim_max =
      static_cast<rlim_t>(vm_kib > 0 ? vm_kib : 0) * 1024 + (static_cast<rlim_t>(cap_mib) << 20);
  ::setrlimit(RLIMIT_AS, &limit);
}

/// One exploration in the (child) process, timed, with its outcome in `out`.
void explore_into(const weft::options& opts, const std::function<void()>& body, child_sample& out) {
  ::malloc_trim(0);  // give memory freed earlier back to the kernel, then restart VmHWM here
  weft_bench::reset_peak_rss();
  out.baseline_kib = static_cast<double>(weft_bench::proc_status_kib("VmRSS"));
  stopwatch sw;
  try {
    const weft::report r = weft::explore(opts, body);
    out.ok = r.ok();
    out.steps = static_cast<double>(r.steps);
    if (!r.ok()) std::snprintf(out.error, sizeof out.error, "weft: %s", r.message.c_str());
  } catch (const std::exception& e) {
    std::snprintf(out.error, sizeof out.error, "weft::explore threw %s", e.what());
  }
  out.wall_ns = sw.elapsed_ns();
  out.cpu_ns = sw.cpu_ns();
  out.peak_kib = static_cast<double>(weft_bench::proc_status_kib("VmHWM"));
}

/// Runs `measure` in a forked child under the memory cap and returns its sample; if the engine
/// aborts (e.g. it cannot map stacks under the cap) only the child dies. On any failure stops the
/// benchmark with an error and returns false.
bool in_child(benchmark::State& state, const std::function<void(child_sample&)>& measure,
              child_sample& out) {
  std::fflush(nullptr);
  int fds[2];
  if (::pipe(fds) != 0) {
    state.SkipWithError("pipe() failed");
    return false;
  }
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    state.SkipWithError("fork() failed");
    return false;
  }
  if (pid == 0) {
    ::close(fds[0]);
    cap_address_space();
    child_sample sample;
    measure(sample);
    const char* p = reinterpret_cast<const char*>(&sample);
    std::size_t left = sizeof sample;
    while (left > 0) {
      const ssize_t n = ::write(fds[1], p, left);
      if (n <= 0) break;
      p += n;
      left -= static_cast<std::size_t>(n);
    }
    ::_exit(0);
  }
  ::close(fds[1]);
  char* p = reinterpret_cast<char*>(&out);
  std::size_t got = 0;
  while (got < sizeof out) {
    const ssize_t n = ::read(fds[0], p + got, sizeof out - got);
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
  }
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (got != sizeof out) {
    const std::string why =
        WIFSIGNALED(status)
            ? "the measuring process died of signal " + std::to_string(WTERMSIG(status)) +
                  " (its message is above; WEFT_BENCH_MAX_MEMORY_MIB caps its address space)"
            : "the measuring process exited without a result";
    state.SkipWithError(why.c_str());
    return false;
  }
  if (!out.ok) {
    state.SkipWithError(out.error);
    return false;
  }
  return true;
}

/// Options for one execution with `tasks` live tasks at once: small unguarded stacks (100,000
/// guarded stacks exceed vm.max_map_count, DESIGN.md) and time that moves only when every task
/// is blocked, so a body's sleep returns once all the others are parked.
weft::options many_tasks_options(std::size_t tasks, std::size_t stack_kib = 16) {
  weft::options opts = bench_options(1);
  opts.max_live_tasks = tasks + 1000;
  opts.stack_size = stack_kib * 1024;
  opts.guard_pages = false;
  opts.time_policy = weft::time_policy::idle_only;
  return opts;
}

/// Reports the child's explore time (not fork and pipe) as the iteration time and adds it to `t`.
void add_child_time(benchmark::State& state, const child_sample& sample, tally& t) {
  state.SetIterationTime(sample.wall_ns * 1e-9);
  t.wall_ns += sample.wall_ns;
  t.cpu_ns += sample.cpu_ns;
}

// --- (d) spawn + finish of one task --------------------------------------------------------------

// The body starts `tasks` empty tasks one after the other; each go() is a scheduling point and
// each task's end is another. Tasks finish in whatever order the strategy picks.
void BM_weft_spawn_finish(benchmark::State& state) {
  const auto tasks = static_cast<std::uint64_t>(state.range(0));
  tally t;
  double steps = 0;
  std::uint64_t spawned = 0;
  for (auto _ : state) {
    child_sample sample;
    const bool ok = in_child(
        state,
        [tasks](child_sample& out) {
          explore_into(
              bench_options(1),
              [tasks] {
                for (std::uint64_t i = 0; i < tasks; ++i) weft::go([] {});
              },
              out);
        },
        sample);
    if (!ok) return;
    add_child_time(state, sample, t);
    steps += sample.steps;
    spawned += tasks;
  }
  per_unit(state, "task", t, static_cast<double>(spawned));
  state.counters["steps_per_task"] = steps / static_cast<double>(spawned);
}
BENCHMARK(BM_weft_spawn_finish)
    ->ArgName("tasks")
    ->Arg(1'000)
    ->Arg(10'000)
    ->Arg(30'000)
    ->Arg(100'000)
    ->Unit(benchmark::kMillisecond)
    ->UseManualTime();

// --- (e) peak RSS with 100,000 blocked tasks -----------------------------------------------------

// One execution whose body starts `tasks` tasks that each block receiving from one unbuffered
// channel, then sleeps: under time_policy::idle_only virtual time moves only once every other task
// is blocked, so when the body wakes, all `tasks` tasks are alive and parked in chan::recv. It
// reads the process's RSS there, then sends each task a value (each send wakes one task, which
// finishes). 16 KiB stacks without guard pages: 100,000 guarded stacks exceed vm.max_map_count
// (DESIGN.md).
void BM_weft_rss_blocked_tasks(benchmark::State& state) {
  const auto tasks = static_cast<std::size_t>(state.range(0));
  const auto stack_kib = static_cast<std::size_t>(state.range(1));
  child_sample sample;
  tally t;
  for (auto _ : state) {
    const bool ok = in_child(
        state,
        [tasks, stack_kib](child_sample& out) {
          const weft::options opts = many_tasks_options(tasks, stack_kib);
          child_sample* o = &out;  // outlives the execution: explore_into returns after it
          explore_into(
              opts,
              [tasks, o] {
                weft::chan<int> ch;
                for (std::size_t i = 0; i < tasks; ++i) {
                  weft::go([ch] { benchmark::DoNotOptimize(ch.recv()); });
                }
                weft::sleep_for(std::chrono::milliseconds(1));  // all others blocked
                o->rss_blocked_kib = static_cast<double>(weft_bench::proc_status_kib("VmRSS"));
                o->hwm_blocked_kib = static_cast<double>(weft_bench::proc_status_kib("VmHWM"));
                for (std::size_t i = 0; i < tasks; ++i) ch.send(static_cast<int>(i));
              },
              out);
        },
        sample);
    if (!ok) return;
    add_child_time(state, sample, t);
  }
  state.counters["peak_rss_MiB"] = sample.peak_kib / 1024;  // VmHWM of the measuring process
  state.counters["hwm_blocked_MiB"] = sample.hwm_blocked_kib / 1024;
  state.counters["rss_blocked_MiB"] = sample.rss_blocked_kib / 1024;
  state.counters["baseline_MiB"] = sample.baseline_kib / 1024;
  state.counters["KiB_per_task"] =
      (sample.rss_blocked_kib - sample.baseline_kib) / static_cast<double>(tasks);
  per_unit(state, "task", t, static_cast<double>(tasks));
}
BENCHMARK(BM_weft_rss_blocked_tasks)
    ->ArgNames({"tasks", "stack_KiB"})
    ->Args({10'000, 16})
    ->Args({30'000, 16})
    ->Args({100'000, 16})
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond)
    ->UseManualTime();

// --- scaling: waking many tasks at once ----------------------------------------------------------

// `tasks` tasks block receiving from one channel; the body then closes it, which makes all of them
// runnable at once, and they finish in the strategy's order. With a per-step cost independent of
// the number of runnable tasks, ns_per_task would stay flat as `tasks` grows.
void BM_weft_wake_all(benchmark::State& state) {
  const auto tasks = static_cast<std::size_t>(state.range(0));
  tally t;
  double steps = 0;
  std::uint64_t woken = 0;
  for (auto _ : state) {
    child_sample sample;
    const bool ok = in_child(
        state,
        [tasks](child_sample& out) {
          explore_into(
              many_tasks_options(tasks),
              [tasks] {
                weft::chan<int> ch;
                for (std::size_t i = 0; i < tasks; ++i) {
                  weft::go([ch] { benchmark::DoNotOptimize(ch.recv()); });
                }
                weft::sleep_for(std::chrono::milliseconds(1));  // all others blocked
                ch.close();
              },
              out);
        },
        sample);
    if (!ok) return;
    add_child_time(state, sample, t);
    steps += sample.steps;
    woken += tasks;
  }
  per_unit(state, "task", t, static_cast<double>(woken));
  state.counters["steps_per_task"] = steps / static_cast<double>(woken);
}
BENCHMARK(BM_weft_wake_all)
    ->ArgName("tasks")
    ->Arg(1'000)
    ->Arg(5'000)
    ->Arg(20'000)
    ->Unit(benchmark::kMillisecond)
    ->UseManualTime();

}  // namespace
