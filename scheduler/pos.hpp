// scheduler/pos.hpp — partial order sampling: random priorities, re-drawn for racing operations.
#pragma once

#include <cstdint>
#include <vector>

#include "strategy.hpp"

namespace weft::detail {

/// POS, from Yuan, Yang, Gu, "Partial Order Aware Concurrency Sampling", CAV 2018.
///
/// Every pending operation gets a random priority and the highest-priority candidate runs. Once
/// it has run, every candidate whose pending operation races with it (same object, at least one
/// of the two not read-only) draws a new priority, and so does the task that ran (its next
/// operation is a new one). Re-drawing exactly the racing operations is what makes POS sample
/// *partial orders* nearly uniformly: a random walk over-samples the orders of operations that
/// commute, which all lead to the same behaviour. The paper shows that, unlike PCT, POS needs no
/// estimate of the execution's length or of the bug's depth.
///
/// Fairness: after options::unfair_steps decisions in one execution the strategy continues with
/// a uniform random walk, so a program that terminates under fair scheduling terminates here too.
/// Execution i depends only on (seed, i). Data choices (choose) are uniform.
class pos_strategy final : public strategy {
 public:
  pos_strategy(std::uint64_t seed, std::uint64_t unfair_steps) noexcept
      : seed_(seed), unfair_steps_(unfair_steps) {}

  bool begin_execution(std::uint64_t index) override;
  std::size_t pick(const decision_point& d) override;
  std::uint64_t choose(std::uint64_t n) override { return rng_.below(n); }
  const char* name() const override { return "pos"; }

  /// Whether two pending operations race: same object (not 0), not both read-only.
  static bool races(const candidate& a, const candidate& b) noexcept;

 private:
  std::uint64_t& priority(task_id t);

  std::uint64_t seed_;
  std::uint64_t unfair_steps_;
  prng rng_;
  // Priority of each task's pending operation, by task id; 0 = none drawn yet (drawn when the
  // task is next a candidate). Invariant: a task that ran since its priority was drawn holds 0.
  std::vector<std::uint64_t> priorities_;
  std::uint64_t time_priority_ = 0;
  task_id last_picked_ = no_task;
  std::uint64_t decisions_ = 0;
};

}  // namespace weft::detail
