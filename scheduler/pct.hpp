// scheduler/pct.hpp — probabilistic concurrency testing: random priorities and d − 1 change points.
#pragma once

#include <cstdint>
#include <vector>

#include "strategy.hpp"

namespace weft::detail {

/// PCT, from Burckhardt, Kothari, Musuvathi, Nagarakatte, "A Randomized Scheduler with
/// Probabilistic Guarantees of Finding Bugs", ASPLOS 2010.
///
/// Every task gets a random priority, distinct from all others; a task created later gets a
/// random priority among the existing ones. At each decision the highest-priority candidate
/// runs, so a run is the sequential schedule the priorities dictate, except at d − 1 *change
/// points*: steps drawn uniformly from 1..k where the task about to run drops below every other
/// task. A bug of depth d (one that needs d ordering constraints between operations to show) is
/// then found by one execution with probability at least
///
///     1 / (n · k^(d−1))      n = tasks, k = scheduling decisions of the execution,
///
/// independently of how the rest of the program interleaves: unlike a random walk, whose odds
/// shrink exponentially with the execution's length.
///
/// Departures from the paper, and why:
/// - k is not measured. The paper assumes k is known; measuring it (Coyote and Shuttle use the
///   longest execution seen so far) makes execution i depend on every execution before it, and
///   weft must run any execution alone (parallel jobs, shards, replay). So each execution draws
///   its k from the ladder 8, 32, 128, 512, 2048, 8192 with its own seed. For a program of k
///   decisions (8 <= k <= 8192), one rung lies in [k, 4k), so the bound above holds with
///   probability 1/6 for k' = 4k: 1 / (6 · n · (4k)^(d−1)) per execution. d = 1 needs no k.
/// - A candidate whose pending operation is a yield is demoted like at a change point (as in
///   Coyote and Shuttle): a yield says "let the others run", and a task spinning on
///   weft::yield would otherwise hold the highest priority forever.
/// - The time pseudo-candidate ("fire the earliest deadline") holds a priority like a task.
/// - Fairness: after options::unfair_steps decisions in one execution the strategy continues
///   with a uniform random walk, so every program that terminates under fair scheduling
///   terminates here too (like Coyote's fair prioritization).
///
/// Execution i depends only on (seed, i). Data choices (choose) are uniform.
class pct_strategy final : public strategy {
 public:
  pct_strategy(std::uint64_t seed, int depth, std::uint64_t unfair_steps) noexcept;

  bool begin_execution(std::uint64_t index) override;
  std::size_t pick(const decision_point& d) override;
  std::uint64_t choose(std::uint64_t n) override { return rng_.below(n); }
  const char* name() const override { return "pct"; }

  /// The step count k assumed by the current execution.
  std::uint64_t step_estimate() const noexcept { return k_; }
  /// The current execution's change points (decision numbers, 1-based, ascending).
  const std::vector<std::uint64_t>& change_points() const noexcept { return change_points_; }

 private:
  std::uint64_t& priority(task_id t);
  void demote(task_id t);
  std::size_t highest(const decision_point& d);

  std::uint64_t seed_;
  int depth_;
  std::uint64_t unfair_steps_;
  prng rng_;
  std::uint64_t k_ = 0;
  // Priorities by task id; larger runs first. Invariant: tasks never demoted hold values drawn
  // uniformly from [2^63, 2^64) (so a new task lands at a uniformly random rank among them);
  // demoted ones hold values below 2^62 that decrease with every demotion, so the i-th change
  // point puts its task below all earlier ones (the paper's priority d − i). Ties, which have
  // probability ~2^-63, go to the lower id.
  std::vector<std::uint64_t> priorities_;
  std::uint64_t time_priority_ = 0;
  std::uint64_t next_low_ = 0;
  std::vector<std::uint64_t> change_points_;  // invariant: ascending, distinct, in [1, k_]
  std::size_t next_change_ = 0;               // first change point not reached yet
  std::uint64_t decisions_ = 0;               // picks in this execution
};

}  // namespace weft::detail
