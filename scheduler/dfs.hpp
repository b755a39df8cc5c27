// scheduler/dfs.hpp — exhaustive stateless model checking: preemption-bounded depth-first search
// with source-DPOR and sleep sets.
#pragma once

#include <cstdint>
#include <limits>
#include <vector>

#include "strategy.hpp"

namespace weft::detail {

/// Explores every schedule of the program, one execution per distinct behaviour, then reports
/// that nothing is left (`begin_execution` returns false, `exhausted()` is true): a passing run
/// is a proof for that program and bound, not a sample.
///
/// Stateless model checking (Godefroid, POPL 1997): no program state is stored. Each execution
/// replays a prefix of recorded choices and then branches at the deepest decision that still has
/// an alternative; data choices (`choose`: select arms, timer ties, weft::choose) are branched
/// over all their values.
///
/// Bounding (Musuvathi and Qadeer, PLDI 2007): with `preemption_bound` b >= 0 only schedules with
/// at most b preemptions are run. A preemption is picking another candidate while the running
/// task is still a candidate; switching away from a task that yields, or whose pending
/// mutex::lock would block, is free. Firing the clock while tasks could still run (the explored
/// time policy) also counts as one, so that a loop that sleeps cannot run forever for free.
/// b = -1 is unbounded: the whole space, which is finite only if the program is (a loop that
/// sleeps until another task stops it can run any number of rounds on the explored clock).
///
/// Partial-order reduction: source-DPOR with sleep sets (Abdulla, Aronis, Jonsson, Sagonas,
/// "Optimal Dynamic Partial Order Reduction", POPL 2014, Algorithm 1). Two pending operations
/// are dependent when they touch the same object (id != 0) and not both are read-only; ops on
/// object 0 (start, go, yield, choose, sleep) are local; select, context cancellation and timer
/// operations are treated as touching every object, and firing the clock as dependent with
/// everything. After each execution, every race (two dependent operations of different tasks
/// with no third operation ordered between them) is reversed by adding, at the decision before
/// the first, one task that can start the reversed order; a sleep set keeps the already explored
/// orders of independent operations from being run again. Blocking is modelled as Go programs
/// see it: a mutex::lock that parks and is later handed the mutex is equivalent to one that waits
/// and then acquires it, and likewise wait_group::wait, so such waits create no extra
/// executions; lock acquisitions race with the previous acquisition of the same mutex. Decrements
/// of a wait group's counter (wait_group::done) commute with each other as long as none takes it
/// below zero: in either order the counter ends the same, and whichever runs last wakes the
/// waiters with the same state; so the order of the `done` calls of tasks that join is not
/// explored, only their order against adds and waits.
///
/// DPOR must see every operation, including those at scheduling points that offer no choice
/// (one runnable task). Engines that report them through strategy::forced give exact
/// reduction. Without them the strategy notices the unseen steps (gaps in
/// decision_point::step) and stays sound by reversing every race those steps might be part of:
/// more executions, never fewer behaviours.
///
/// With a bound the reduction is adapted to it, as bounding and partial-order reduction do not
/// simply compose (Coons, Musuvathi, McKinley, "Bounded Partial-Order Reduction", OOPSLA 2013):
/// every candidate is tried where switching is free (so the non-preemptive schedules are all
/// run), a reversal that costs a preemption is also scheduled where the preempted task was
/// switched in, and sleep sets are off. On the programs of strategy_test it then finds every
/// behaviour the unreduced bounded search finds; a bounded search is still a heuristic cut, and
/// the exhaustive guarantee is for b = -1.
///
/// Fairness: after options::unfair_steps decisions in one execution, the rest of that execution
/// runs round-robin without branching, so a program that terminates under fair scheduling (a task
/// spinning on weft::yield) terminates here too; `fair_fallbacks()` counts such executions, whose
/// tails were not explored exhaustively (the search can then end, and report exhaustion, without
/// having branched inside those tails).
///
/// What is not reordered: plain memory shared without synchronization (weft sees only its
/// primitives' operations; make such state weft::atomic or weft::tracked).
///
/// The search is sequential: begin_execution ignores its index and runs the next schedule in
/// depth-first order. Run it with jobs = 1 and one shard: every job would repeat the search.
class dfs_strategy final : public strategy {
 public:
  /// `reduce` = false turns partial-order reduction off (every alternative of every decision,
  /// no sleep sets): the reference the reduction is tested against.
  explicit dfs_strategy(int preemption_bound,
                        std::uint64_t unfair_steps = std::numeric_limits<std::uint64_t>::max(),
                        bool reduce = true);

  bool begin_execution(std::uint64_t index) override;
  std::size_t pick(const decision_point& d) override;
  std::uint64_t choose(std::uint64_t n) override;
  void forced(const decision_point& d) override;
  bool wants_forced() const override { return true; }
  void wait_group_changed(std::int64_t delta, std::int64_t counter) override;
  void end_execution() override;
  bool exhausted() const override { return exhausted_; }
  const char* name() const override { return "dfs"; }

  /// Executions cut short by a sleep set (every candidate asleep: the rest was a repeat).
  std::uint64_t sleep_blocked() const noexcept { return sleep_blocked_; }
  /// Executions whose choices did not match the recorded prefix (the program is nondeterministic).
  std::uint64_t nondeterministic() const noexcept { return nondeterministic_; }
  /// Gaps of unreported scheduling points seen (0 when the engine reports forced steps).
  std::uint64_t hidden_gaps() const noexcept { return hidden_gaps_; }
  /// Executions that reached options::unfair_steps decisions and finished round-robin.
  std::uint64_t fair_fallbacks() const noexcept { return fair_fallbacks_; }

 private:
  struct sleeper {
    task_id task;
    op_kind op;
    std::uint32_t object;
    // Kept asleep across another task's wait_group::done on the same group until the engine
    // says what that done left (wait_group_changed): the two commute if it left the counter >= 1.
    bool awaiting_outcome = false;
  };

  /// A decision on the current path (a pick, or a data choice).
  struct node {
    bool is_pick = true;
    std::uint64_t n = 0;       // data choice: number of values
    std::uint64_t value = 0;   // data choice: the value on the current path
    task_id chosen = no_task;  // pick: the task on the current path
    task_id running = no_task;
    bool free_switch = false;       // leaving `running` here is not a preemption
    std::uint32_t preemptions = 0;  // on the path before this node
    std::int32_t switched_in = -1;  // the node where `running` last started running, or -1
    std::vector<candidate> candidates;
    // Invariants: explored ⊆ backtrack ⊆ candidates' tasks; explored.back() == chosen; every
    // entry of backtrack is within the preemption bound here.
    std::vector<task_id> backtrack;  // the source set so far
    std::vector<task_id> explored;   // in exploration order
    std::vector<sleeper> sleep;      // the sleep set on arrival
  };

  /// One operation of the execution: the chosen candidate of a scheduling point.
  struct event {
    task_id task;
    op_kind op;
    std::uint32_t object;
    std::int32_t node;       // the pick node that chose it; -1 when nothing was chosen
    std::int32_t edge = -1;  // the event that woke or created its task (happens-before), or -1
    bool parked = false;     // its task vanished right after it and came back later
    bool resumed = false;    // its task had parked just before it
    bool certain = true;     // parked / resumed are known (no unseen steps around it)
    // A wait_group::add that decremented the counter and left it >= 0 (reported by the engine
    // after the operation ran: strategy::wait_group_changed).
    bool decrement = false;
  };

  /// Unseen scheduling points between two recorded events: operations of unknown tasks on
  /// unknown objects, all ordered after event `anchor` (see dfs.cpp).
  struct wildcard {
    std::size_t before;  // events recorded before it
    std::int32_t anchor;
  };

  struct task_info {
    std::int32_t pending_edge = -1;  // edge for the task's next event
    std::int32_t vanished_at = -1;   // its last event, if it is not runnable now
    bool resuming = false;           // its next event completes a parked operation
    bool uncertain_next = false;     // its next event follows unseen steps
  };

  struct lock_info {
    task_id holder = no_task;  // no_task: free (or unknown)
    std::uint32_t waiting = 0;
  };

  // Recording (pick and forced).
  void observe(const decision_point& d);
  void on_gap();
  void record(const candidate& c, std::int32_t node);
  void filter_sleep(const candidate& ran);
  task_info& info(task_id t);
  bool predicted_blocked(const candidate& c);

  // Decisions.
  std::size_t decide_new(const decision_point& d);
  std::size_t round_robin(const decision_point& d);
  bool is_preemption(const node& n, task_id q) const;
  bool within_bound(const node& n, task_id q) const;
  static bool has_candidate(const node& n, task_id q);
  static bool asleep(const node& n, task_id q);

  // Race analysis (end of execution).
  void analyze();
  void add_backtrack(std::size_t node_index, const std::vector<std::uint32_t>& initials,
                     std::uint32_t preferred, bool all);
  void add_task(std::size_t node_index, task_id q);

  const int bound_;  // < 0: unbounded
  const std::uint64_t unfair_steps_;
  const bool reduce_;

  std::vector<node> path_;  // the current branch of the search tree, root first
  bool started_ = false;
  bool exhausted_ = false;

  // Per execution.
  std::size_t cursor_ = 0;  // next node of path_ to replay or create
  std::vector<event> events_;
  std::vector<wildcard> wildcards_;
  std::vector<task_info> tasks_;
  std::vector<lock_info> locks_;           // by object id: the mutex model behind predicted_blocked
  std::vector<std::int32_t> switched_in_;  // by task id: the node where it last started running
  std::vector<sleeper> sleep_;             // the running sleep set
  std::vector<sleeper> next_sleep_;        // scratch for the child's sleep set (pick)
  bool outcome_pending_ = false;           // some sleeper in sleep_ is awaiting_outcome
  std::vector<candidate> prev_candidates_;
  bool have_position_ = false;
  bool forced_reported_ = false;  // the engine reports forced steps (no gaps to infer)
  std::uint64_t last_step_ = 0;
  task_id last_executor_ = no_task;
  std::uint32_t preemptions_ = 0;
  std::uint64_t decisions_ = 0;
  bool off_path_ = false;  // sleep-blocked or fair: no more nodes, recording or branching
  task_id rr_last_ = no_task;
  std::size_t limit_ = 0;  // events before going off path: the part that is analyzed

  std::uint64_t sleep_blocked_ = 0;
  std::uint64_t nondeterministic_ = 0;
  std::uint64_t hidden_gaps_ = 0;
  std::uint64_t fair_fallbacks_ = 0;
};

}  // namespace weft::detail
