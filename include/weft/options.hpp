// weft/options.hpp — how an exploration is configured and what it reports.
//
// `options` says how to explore (strategy, seed, iteration count, budgets, replay token); `report`
// says what was found. Both are plain values. `options::from_env()` reads every `WEFT_*` variable
// so that a test binary can be steered from the shell or a CI job without recompiling:
//
//   weft::options opts = weft::options::from_env();   // WEFT_SEED=7 ./my_tests
//   opts.iterations = 5000;
//   weft::report r = weft::explore(opts, [] { /* code under test */ });
//   if (!r.ok()) std::cerr << r.message;
//
// Errors: a malformed value in the environment or an impossible option throws `weft::usage_error`
// naming the variable, the value and what is accepted.
#pragma once

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace weft {

/// How the next task is chosen at each scheduling point.
enum class strategy { random, pct, pos, dfs, portfolio };

/// When virtual time may move (see weft/time.hpp).
enum class time_policy {
  explored,   ///< the strategy may fire the earliest pending deadline at any scheduling point
  idle_only,  ///< time moves only when every task is blocked (Go synctest's rule)
};

/// The class of bug an execution ended with.
enum class failure_kind {
  none,
  deadlock,            ///< nothing can run, no timer can wake anyone, and the body has not returned
  leak,                ///< the body returned but tasks remain blocked forever
  data_race,           ///< two unordered accesses to tracked state, one of them a write
  uncaught_exception,  ///< an exception escaped a task
  panic,           ///< a Go-style panic: send on closed channel, negative wait-group counter, ...
  assertion,       ///< a failed EXPECT_*/ASSERT_*/REQUIRE/CHECK inside a task
  step_limit,      ///< an execution took more than options::max_steps scheduling points
  livelock,        ///< tasks keep running but none makes progress
  too_many_tasks,  ///< more than options::max_live_tasks tasks alive at once
  nondeterminism,  ///< a replayed schedule diverged from the recorded one
};

/// Lower-case name of a strategy / policy / kind, as accepted by the WEFT_* variables.
std::string_view to_string(weft::strategy s) noexcept;
std::string_view to_string(weft::time_policy p) noexcept;
std::string_view to_string(failure_kind k) noexcept;

/// Misuse of weft itself: bad options or environment values, malformed replay tokens, primitives
/// used wrongly outside a deterministic scope. The message names the API and what is accepted.
class usage_error : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

struct options {
  weft::strategy strategy = strategy::random;
  std::uint64_t seed = 0;           ///< fixed default: the same run explores the same schedules
  std::uint64_t iterations = 1000;  ///< executions to try (dfs: at most)
  std::chrono::milliseconds time_budget{0};  ///< 0 = none; else stop exploring when spent
  std::uint64_t max_steps = 1'000'000;       ///< scheduling points per execution before step_limit
  int pct_depth = 3;
  int preemption_bound = 2;              ///< dfs; -1 = unbounded (exhaustive)
  std::string replay;                    ///< a token from a report: run exactly that schedule
  std::size_t max_live_tasks = 100'000;  ///< more live tasks at once ends the execution
  unsigned jobs = 1;  ///< threads exploring in parallel, each with its own engine
  weft::time_policy time_policy = time_policy::explored;

  // --- additions beyond the contract -------------------------------------------------------
  std::uint64_t total_shards = 1;       ///< WEFT_TOTAL_SHARDS: split iterations across processes
  std::uint64_t shard_index = 0;        ///< WEFT_SHARD_INDEX: this process runs i % total == index
  std::size_t stack_size = 256 * 1024;  ///< WEFT_STACK_SIZE: bytes of stack per task (e.g. 64k)
  bool guard_pages = true;  ///< WEFT_GUARD_PAGES=0|1: a no-access page below each task stack
  /// WEFT_UNFAIR_STEPS: scheduling decisions per execution during which pct, pos and dfs follow
  /// their own (unfair) policy; after that they continue with a fair random or round-robin walk,
  /// so a program that terminates under fair scheduling (a task spinning on weft::yield until
  /// another sets a flag) terminates under every strategy instead of hitting max_steps.
  std::uint64_t unfair_steps = 10'000;
  /// Identifies the test (e.g. "Suite.Name"); a replay token remembers a hash of it and refuses to
  /// run under another test. Empty: not checked. The adapters fill it in.
  std::string test_name;
  /// How to re-run just this test, appended to the replay line after the binary's path, e.g.
  /// "--gtest_filter=Suite.Name". The adapters fill it in.
  std::string replay_args;
  bool seed_from_env_random = false;  ///< set by from_env when WEFT_SEED=random chose the seed
  /// WEFT_PROGRESS_STEPS: an execution in which tasks keep running but none makes progress (no
  /// value passes through a channel, no lock is released, no wait-group done, no task finishes,
  /// no timer fires...) for this many scheduling points ends as a livelock, naming the spinning
  /// task. 0 turns the check off (only max_steps remains). Must stay well above unfair_steps.
  std::uint64_t progress_steps = 100'000;
  /// WEFT_SHRINK_BUDGET: after a failure, up to this many extra executions search for a schedule
  /// with fewer preemptions and fewer steps that fails the same way at the same place; the report
  /// and its replay token then show that one. 0 turns shrinking off.
  std::uint64_t shrink_budget = 200;
  /// WEFT_TRACE: write the failing execution's timeline to this file, in the Chrome trace-event
  /// format (open it in https://ui.perfetto.dev or chrome://tracing): one track per task on the
  /// virtual-time axis, blocked intervals as slices, an arrow along every happens-before edge
  /// (send → receive, unlock → lock, ...). Empty: none.
  std::string trace_path;
  /// WEFT_TRACE_ALL=1: when no execution fails, trace the last one instead.
  bool trace_all = false;
  /// A status line on stderr (executions, rate, distinct schedules, budget left) while an
  /// exploration runs longer than 2 s, only when stderr is a terminal. WEFT_QUIET=1: off.
  bool progress = true;
  /// WEFT_RACE_DETECTION=0|1: check tracked<T> accesses against happens-before (data_race).
  bool detect_races = true;
  /// WEFT_FAILURE_DIR: a directory that collects one replay file per distinct failure (and per
  /// crash inside an execution); see README "Running weft in CI". Empty: no files.
  std::string failure_dir;
  /// `replay` is a prefix: the replay follows it while the program offers the recorded choices,
  /// then continues round-robin instead of reporting a divergence, and passes unless a failure
  /// happens. Set by from_env when WEFT_REPLAY names a crash file (the schedule up to a crash),
  /// and by WEFT_REPLAY_PREFIX=1 (replaying a regression corpus against fixed code).
  bool replay_crash_prefix = false;

  static options from_env();
  static options from_env(options base);
};

struct report {
  failure_kind kind = failure_kind::none;
  std::string message;  ///< the whole human-readable report, replay line included
  std::string replay;   ///< token that reproduces the failing schedule exactly
  std::uint64_t seed = 0;
  std::uint64_t iteration = 0;   ///< 0-based index of the failing execution
  std::uint64_t executions = 0;  ///< executions run
  std::uint64_t steps = 0;       ///< scheduling points over all executions
  // --- additions beyond the contract -------------------------------------------------------
  std::uint64_t distinct_schedules = 0;  ///< executions whose choice sequences differed
  double wall_seconds = 0;               ///< real time the exploration took (not in message)
  bool exhausted = false;  ///< the strategy explored its whole space (dfs): a proof, not a sample
  /// The failing schedule (after shrinking): switches away from a task that could have gone on,
  /// and its scheduling points.
  std::uint64_t preemptions = 0;
  std::uint64_t failing_steps = 0;
  /// Shrinking: executions it ran, and the failing schedule as first found.
  std::uint64_t shrink_replays = 0;
  std::uint64_t unshrunk_preemptions = 0;
  std::uint64_t unshrunk_steps = 0;
  bool ok() const { return kind == failure_kind::none; }
};

/// Thrown by weft::check when a bug is found; `details()` is the full report.
class failure : public std::runtime_error {
 public:
  explicit failure(report r) : std::runtime_error(r.message), report_(std::move(r)) {}
  const report& details() const { return report_; }

 private:
  report report_;
};

}  // namespace weft
