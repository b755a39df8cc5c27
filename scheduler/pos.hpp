// scheduler/pos.hpp — partial order sampling: random priorities, re-drawn for racing operations.
#pragma once

#include <cstdint>
#include <vector>

#include "strategy.hpp"

namespace weft::detail {

/// POS, from Yuan, Yang, Gu, "Partial Order Aware Concurrency Sampling", CAV 2018.
///
/// Every pending operation gets a random priority and the highest-priority candidate runs. Once
/// it has run, every candidate whose pending operation races with it draws a new priority, and
/// so does the task that ran (its next operation is a new one). Re-drawing exactly the racing
/// operations is what makes POS sample *partial orders* nearly uniformly: a random walk
/// over-samples the orders of operations that commute, which all lead to the same behaviour. The
/// paper shows that, unlike PCT, POS needs no estimate of the execution's length or of the bug's
/// depth.
///
/// Two operations race when they may not commute (races()). A candidate names one object, so the
/// relation is the conservative one dfs uses for its sleep sets: same object and not both
/// read-only; a select (it names only its first channel), a context cancel (it reaches the
/// children and their done channels) and a timer operation (it reaches the timer's channel) race
/// with every operation that touches an object; start, spawn, choose, sleep and finish race with
/// nothing. Under-approximating the relation would keep stale priorities for operations that do
/// race, which is what the re-draw exists to prevent.
///
/// Time (time_policy::explored). The time pseudo-candidate holds a priority like a task, re-drawn
/// after each firing, except when firing would only end sleeps (decision_point::time_ends_sleeps):
/// then it touches no shared object, so in the paper's terms it races with nothing, and it is
/// taken at once, as the POS scheduler of Fray (OOPSLA 2025, github.com/cmu-pasta/fray) takes
/// every non-racing operation before the racing ones. What the woken task does next is a racing
/// operation with its own priority, so every order of the racing operations stays reachable; a
/// priority on the wake itself only adds a gate in front of the sleeper, which over-samples the
/// schedules where the sleeper loses every race after its deadline. Firings that send on a
/// timer's channel, cancel a context or time a condition variable out keep their priority: they
/// race with the operations on those objects, and taking them at once would make a timeout win
/// every race against the message it waits for. The task-local operations (start, spawn, ...)
/// keep their priority too: taking them first was measured on the bug benchmark and helped some
/// kernels and hurt others (bench/RESULTS.md, issue 5). Cost of the exception: virtual time runs
/// ahead whenever only sleepers wait on it, so a timer armed later gets a later deadline than it
/// could have (deadline arithmetic is a hidden read of the clock); the other portfolio members
/// keep that freedom.
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

  /// Whether two pending operations (of tasks, not the time pseudo-task) may not commute; see
  /// the class comment.
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
  std::uint64_t last_pick_step_ = 0;  // decision_point::step of the last pick
  std::uint64_t decisions_ = 0;
};

}  // namespace weft::detail
