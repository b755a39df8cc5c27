// src/engine.hpp — one deterministic engine: the task table, the run queue, parking and waking,
// the virtual clock, failure detection, and the loop that runs one execution.
#pragma once

#include <array>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>
#include "weft/detail/source_location.hpp"

#include "fiber.hpp"
#include "scheduler/replay.hpp"
#include "scheduler/strategy.hpp"
#include "trace.hpp"
#include "weft/detail/function.hpp"
#include "weft/detail/runtime.hpp"
#include "weft/detail/tsan.hpp"
#include "weft/options.hpp"

namespace weft::detail {

/// A broken internal invariant: prints that it is a weft bug and aborts.
[[noreturn]] void weft_bug(const char* what);

enum class task_state : std::uint8_t { runnable, blocked, finished };

/// Thrown into a task to unwind it when its execution is torn down. Deliberately not derived from
/// std::exception so that `catch (const std::exception&)` in user code lets it pass.
struct task_unwind {};

class scope;

/// Ends a sleep: wakes its task.
class sleep_event final : public timer_event {
 public:
  void fire(scope& s) override;
  bool can_wake() const override { return true; }
  bool only_ends_sleep() const override { return true; }
  task* sleeper = nullptr;
};

struct task : task_base {  // task_base first: inline hooks read `id` through it
  task_state state = task_state::runnable;
  bool started = false;
  bool kill = false;        // teardown: unwind at the next resume
  bool in_cleanup = false;  // destroying its closure (a destructor: never throw into it)
  bool abandoned = false;   // teardown gave up unwinding it
  std::string name;         // empty: shown as "task-<id>"
  weft::source_location spawn_site;
  scope* owner = nullptr;
  task_fn fn;
  fiber fib;
  // The operation the task is about to perform or is blocked in (for reports and strategies).
  op_kind op = op_kind::start;
  const object_header* op_object = nullptr;
  std::uint32_t op_object_id = 0;  // op_object->id, or 0: read at every decision (one load less)
  weft::source_location op_site;
  sleep_event sleep;
  std::uint64_t teardown_steps = 0;
  std::uint32_t unwinds_thrown = 0;  // task_unwind throws into it in this teardown
  vector_clock clock;                // happens-before: clock[id] is this task's current epoch
};

/// A failure found in user code (the first one of an execution wins).
struct failure_record {
  failure_kind kind = failure_kind::none;
  std::string headline;  // first line after "weft: <kind> — "
  std::string evidence;  // indented lines
  /// Where it happened, independent of task ids and object numbering: the sites of the blocked
  /// tasks for a deadlock or leak, else the failing task's spawn site and last operation's site.
  /// The shrinker keeps only schedules that fail with the same kind at the same place.
  std::string place;
};

/// One entry of the schedule tail kept for reports (a fixed ring: no allocation per step).
struct step_record {
  std::uint64_t step = 0;
  task_id task = 0;
  op_kind op = op_kind::start;
  object_kind object = object_kind::none;
  std::uint32_t object_id = 0;
  bool blocks = false;  // the task parked here
  weft::source_location site;
};

/// The choices of the running execution, in order. Appending runs at every recorded decision and
/// inlines to a store and an increment (std::vector::push_back, with its reallocation path, is
/// not inlined there); growing is out of line. The buffer is kept across executions.
class choice_log {
 public:
  [[gnu::always_inline]] void push(choice c) {
    if (size_ == capacity_) [[unlikely]]
      grow();
    data_[size_++] = c;
  }
  void clear() noexcept { size_ = 0; }
  std::span<const choice> view() const noexcept { return {data_.get(), size_}; }
  std::size_t capacity() const noexcept { return capacity_; }
  /// Makes room for `n` choices in all, keeping those recorded.
  void reserve(std::size_t n);
  void swap(choice_log& other) noexcept {
    data_.swap(other.data_);
    std::swap(size_, other.size_);
    std::swap(capacity_, other.capacity_);
  }

 private:
  [[gnu::noinline]] void grow() { reserve(capacity_ < 1024 ? 1024 : capacity_ * 2); }

  std::unique_ptr<choice[]> data_;  // capacity_ entries, the first size_ recorded
  std::size_t size_ = 0;            // invariant: size_ <= capacity_
  std::size_t capacity_ = 0;
};

class scope : public scope_state {
 public:
  scope(const options& opts, strategy& strat);
  ~scope();
  scope(const scope&) = delete;
  scope& operator=(const scope&) = delete;

  /// Runs one execution of `body` to its end (all tasks finished, or a failure), then unwinds
  /// every task still alive. Strategy::begin_execution must have been called.
  void run_execution(const std::function<void()>& body);

  // Results of the last execution.
  const failure_record& failure() const noexcept { return failure_; }
  std::span<const choice> choices() const noexcept { return choices_.view(); }
  /// FNV-1a over the (index, n) of every choice so far, kept as they are recorded (the explore
  /// driver counts distinct schedules by it without a pass over the schedule).
  std::uint64_t schedule_hash() const noexcept { return schedule_hash_; }
  std::uint64_t steps() const noexcept { return steps_; }
  /// Picks that switched away from a task that could have gone on (firing the clock early
  /// included): what the shrinker minimises.
  std::uint64_t preemptions() const noexcept { return preemptions_; }
  /// The schedule tail and blocked-task evidence as report lines.
  std::string describe_schedule_tail() const;
  void set_replay(replay_strategy* r) noexcept { replay_ = r; }
  /// Records the timeline of the following executions into `t` (null: stop). For WEFT_TRACE.
  void set_trace(trace_recorder* t) noexcept {
    trace_ = t;
    observe_sync_ = hb_active_ || trace_ != nullptr || tsan_build;
  }
  trace_recorder* trace() const noexcept { return trace_; }
  /// Now, on the trace's display axis.
  double trace_time() const noexcept {
    return trace_recorder::display_time(now_ - epoch_ns, steps_);
  }

  // --- hooks used by primitives (see weft/detail/runtime.hpp) ---------------------------
  /// Starts maintaining happens-before clocks (at the first tracked object of an execution).
  void activate_happens_before();
  void check_access(access_history& history, const object_header& h, bool write,
                    const weft::source_location& site);
  void step(op_kind op, const object_header* obj, const weft::source_location& site);
  bool park(op_kind op, const object_header* obj, const weft::source_location& site);
  /// The same, inlined into their callers (defined in engine_inline.hpp, which the caller must
  /// include): the hot path of engine.cpp and of the primitives in sync.cpp.
  void step_inline(op_kind op, const object_header* obj, const weft::source_location& site);
  bool park_inline(op_kind op, const object_header* obj, const weft::source_location& site);
  void wake(task* t) noexcept;
  void spawn(std::string&& name, task_fn&& fn, const weft::source_location& site);
  void spawn_detached(std::string&& name, task_fn&& fn, const weft::source_location& site);
  std::uint64_t choose(std::uint64_t n, const weft::source_location& site);
  std::uint64_t explored_choice(std::uint64_t n);
  [[noreturn]] void panic(const std::string& message, const weft::source_location& site);
  /// Records a failure found in user code (e.g. a failed assertion) without unwinding: the
  /// execution ends at the running task's next scheduling point.
  void report_failure(failure_kind kind, std::string headline, std::string evidence);
  void register_object(object_header& h, object_kind kind,
                       const weft::source_location& site) noexcept;
  /// In teardown: unwinds the running task if `op` allows it (see engine.cpp), or abandons it
  /// after max_teardown_steps operations; returns false.
  bool teardown_point(op_kind op, bool blocking);
  /// In teardown: drops the running task's stack without running its remaining destructors and
  /// goes back to teardown (a task that cannot be unwound, see engine.cpp). Does not return.
  [[noreturn]] void abandon_running_task();
  static constexpr std::uint64_t max_teardown_steps = 100'000;
  /// A task that caught and swallowed this many unwinds is abandoned at its next scheduling
  /// point instead of being thrown into again (each throw costs a stack unwind).
  static constexpr std::uint32_t max_swallowed_unwinds = 16;

  task* running() const noexcept { return current_; }
  bool tearing_down() const noexcept { return tearing_down_; }
  bool hb_active() const noexcept { return hb_active_; }
  std::uint64_t generation() const noexcept { return generation_; }
  std::int64_t now() const noexcept { return now_; }
  void arm(timer_event& e, std::int64_t deadline);
  bool disarm(timer_event& e) noexcept;
  std::string task_label(task_id id) const;
  const options& opts() const noexcept { return opts_; }

  /// Virtual time at the start of every execution: 2000-01-01T00:00:00Z.
  static constexpr std::int64_t epoch_ns = 946'684'800LL * 1'000'000'000LL;

  /// wait_group::add ran (weft::detail::wait_group_changed); forwarded to the strategy when it
  /// listens to forced steps.
  void wait_group_changed(std::int64_t delta, std::int64_t counter);

 private:
  static void task_entry(void* arg);
  [[noreturn]] void finish_running_task(std::exception_ptr error, bool unwound);
  /// Task 0 is the body and is always named "main" (its `name` is ignored).
  task* create_task(std::string&& name, task_fn&& fn, const weft::source_location& site);
  void record_choice(choice c);
  task* choose_next();
  task* choose_next_inline();
  std::size_t decide_pick();
  task* pick_uniform(std::size_t n);
  void report_forced(task_id only);
  std::uint64_t decide_choose(std::uint64_t n);
  bool check_replay() { return replay_ != nullptr && check_replay_slow(); }
  bool check_replay_slow();
  void switch_to(task* next);
  void record_step(op_kind op, const object_header* obj, const weft::source_location& site,
                   bool blocks = false);
  void fire_next_timer();
  bool has_wakeful_timer();
  bool time_ends_sleeps() const;
  void end_with_blocked_tasks();
  void report_livelock();
  void teardown();
  void remove_runnable(task* t) noexcept;
  std::string blocked_task_lines() const;
  std::string wait_for_graph() const;

  options opts_;
  strategy& strategy_;
  replay_strategy* replay_ = nullptr;  // set while replaying: divergence checks
  trace_recorder* trace_ = nullptr;    // set while recording a timeline (WEFT_TRACE)
  stack_pool stacks_;
  fiber main_fiber_;

  // Task table. Invariant: tasks_[i]->id == i; records come from pool_ and are reused.
  std::vector<std::unique_ptr<task>> pool_;
  std::vector<task*> tasks_;
  // Invariant: exactly the runnable tasks, sorted by id. Pointers, not ids: a decision reads the
  // chosen task without going through tasks_.
  std::vector<task*> runnable_;
  std::vector<candidate> candidates_;  // scratch for decisions, reused
  // The strategy's uniform generator when it picks uniformly (random): drawn from directly,
  // without a virtual call or a candidate list per decision (pick_uniform). Null otherwise.
  // Set per execution.
  prng* uniform_ = nullptr;
  std::size_t live_ = 0;  // tasks not finished
  bool body_returned_ = false;
  bool ended_ = false;  // the execution reached its end; tasks switch to main

  // Virtual clock. Heap entries are lazily deleted: an entry is live iff its seq equals the
  // event's armed_seq.
  struct timer_entry {
    std::int64_t deadline;
    std::uint64_t seq;
    timer_event* event;
  };
  std::vector<timer_entry> timers_;  // min-heap on (deadline, seq)
  std::vector<timer_entry> due_scratch_;
  mutable std::vector<std::size_t> sleep_scan_scratch_;  // time_ends_sleeps: heap indices
  std::uint64_t timer_seq_ = 0;
  std::size_t armed_timers_ = 0;
  std::int64_t now_ = epoch_ns;

  std::uint64_t preemptions_ = 0;
  choice_log choices_;
  static constexpr std::uint64_t fnv_basis = 0xcbf29ce484222325ULL;
  static constexpr std::uint64_t fnv_prime = 0x100000001b3ULL;
  std::uint64_t schedule_hash_ = fnv_basis;  // of choices_ (schedule_hash)
  failure_record failure_;
  // The ring holds tail_size records (a power of two: the index is a mask on the hot path);
  // reports show the last tail_shown of them.
  static constexpr std::size_t tail_size = 32;
  static constexpr std::size_t tail_shown = 24;
  static_assert((tail_size & (tail_size - 1)) == 0 && tail_shown <= tail_size);
  static constexpr std::size_t max_table_columns = 4;
  std::array<step_record, tail_size> tail_{};
  std::uint64_t tail_count_ = 0;
};

/// Runs `body` once, as execution 0 of `strat` on `engine` (a single replay), and returns the
/// report fields every single execution has: one execution and schedule, its steps, the seed and
/// the wall time. The caller adds what the execution did.
report run_single_execution(scope& engine, strategy& strat, const std::function<void()>& body,
                            const options& opts);

}  // namespace weft::detail
