// weft/detail/runtime.hpp — the narrow interface between primitives and the engine.
//
// Not part of the public contract. Primitives (header templates) call these hooks; the engine in
// src/ implements them. Everything a primitive needs inside a deterministic scope is here:
// scheduling points, parking and waking tasks, object registration and Go-style panics.
#pragma once

#include <cstdint>
#include <exception>
#include <string>
#include <vector>
#include "weft/detail/source_location.hpp"
#include "weft/detail/tsan.hpp"
#include "weft/detail/vector_clock.hpp"

namespace weft::detail {

class scope;  // one deterministic engine (src/engine.hpp)
struct task;  // one task of an execution

using task_id = std::uint32_t;
inline constexpr task_id no_task = ~task_id{0};

/// What a task is about to do at a scheduling point. Recorded in the schedule tail, shown in
/// reports, and offered to strategies (which only compare kinds and object ids).
enum class op_kind : std::uint8_t {
  start,
  yield,
  spawn,
  finish,
  choose,
  sleep,
  chan_send,
  chan_recv,
  chan_close,
  select,
  mutex_lock,
  mutex_try_lock,
  mutex_unlock,
  rw_lock,
  rw_try_lock,
  rw_unlock,
  rw_lock_shared,
  rw_try_lock_shared,
  rw_unlock_shared,
  wg_add,
  wg_wait,
  once_call,
  cond_wait,
  cond_notify,
  sem_acquire,
  sem_try_acquire,
  sem_release,
  atomic_load,
  atomic_store,
  atomic_rmw,
  tracked_read,
  tracked_write,
  timer_op,
  timer_fire,
  ctx_cancel,
  // wait_group::done (add(-1)). Last, so that the values above, which replay tokens digest, keep
  // their numbers.
  wg_done,
};
const char* op_name(op_kind k) noexcept;
/// True for operations that never modify the object (two of them commute).
bool op_is_read_only(op_kind k) noexcept;

enum class object_kind : std::uint8_t {
  none,
  channel,
  mutex,
  rw_mutex,
  wait_group,
  once,
  cond_var,
  semaphore,
  atomic,
  tracked,
  timer,
  context,
};
const char* object_kind_name(object_kind k) noexcept;

/// Common header of every primitive's state. Inside a scope it ties the object to the execution
/// that created it; outside (`owner == nullptr`) the object runs in production mode.
struct object_header {
  scope* owner = nullptr;        // invariant: null for production objects
  std::uint64_t generation = 0;  // execution that created it; other executions may not use it
  std::uint32_t id = 0;          // creation order within the execution: deterministic
  object_kind kind = object_kind::none;
  task_id holder = no_task;  // for locks: the task that holds it (shown in reports)
  weft::source_location created;
  vector_clock clock;  // happens-before: what releasing this object published (scope mode)
  // Channels: the number of handles (chan copies) that still exist, read by the deadlock and
  // leak reports to tell whether anyone besides the waiters could still use the channel. Null
  // for other kinds. `counted` is the argument handle_count expects.
  long (*handle_count)(const void* counted) = nullptr;
  const void* counted = nullptr;
};

/// What the inline hooks below read of the engine without a call (the engine's scope derives
/// from it). Invariant: only the thread running the scope reads or writes it.
struct scope_state {
  task* current_ = nullptr;       // the running task; null while the driver runs
  std::uint64_t generation_ = 0;  // the execution now running
  bool tearing_down_ = false;     // unwinding the tasks of an ended execution
  bool hb_active_ = false;        // happens-before clocks are maintained (see engine.cpp)
  std::uint64_t steps_ = 0;       // scheduling points so far in this execution
  // Livelock window: the step of the last progress (see op_makes_progress in engine.cpp).
  // Invariant: last_progress_ <= steps_.
  std::uint64_t last_progress_ = 0;
  // The strategy listens to forced steps and wait-group changes in this execution
  // (strategy::wants_forced, asked once per execution).
  bool report_forced_ = false;
  // Someone observes synchronization edges in this execution: happens-before clocks (hb_active_),
  // a timeline being recorded (WEFT_TRACE), or ThreadSanitizer (always, in -fsanitize=thread
  // builds). When false the hb_* hooks return inline, without a call.
  // Invariant: observe_sync_ == (hb_active_ || trace recording || TSan build).
  bool observe_sync_ = false;
  std::uint32_t next_object_id_ = 0;  // ids given to this execution's objects so far
};

/// The first member of every task record: what inline code may read of a task.
struct task_base {
  task_id id = 0;
  // Open no_unwind_here guards of the task: while non-zero, teardown never throws into it.
  std::uint32_t no_unwind = 0;
};

// The engine driving this thread (both pointers name the same object), or null outside any
// deterministic scope. constinit: read directly from thread-local storage, no wrapper call.
inline constinit thread_local scope* tls_scope = nullptr;
inline constinit thread_local scope_state* tls_scope_state = nullptr;

/// The engine driving this thread, or null outside any deterministic scope. A scope is current
/// while its tasks run (and during the body), never while the explore driver sits between
/// executions.
inline scope* current_scope() noexcept { return tls_scope; }

/// Registers a new primitive: inside a scope it belongs to the running execution. Inline for
/// the common case (a primitive constructed inside a scope); register_object_slow for the rest:
/// production objects, tracked variables (they may start race detection) and TSan builds (the
/// engine's writes are hidden from TSan there).
void register_object_slow(object_header& h, object_kind kind,
                          const weft::source_location& site) noexcept;
/// Makes `h` an object of the execution that `owner` (whose state is `st`) is running.
inline void enroll_object(object_header& h, scope* owner, scope_state& st, object_kind kind,
                          const weft::source_location& site) noexcept {
  h.owner = owner;
  h.generation = st.generation_;
  h.id = ++st.next_object_id_;
  h.kind = kind;
  h.holder = no_task;
  h.created = site;
}
inline void register_object(object_header& h, object_kind kind,
                            const weft::source_location& site) noexcept {
  scope_state* st = tls_scope_state;
  if (st == nullptr || kind == object_kind::tracked || tsan_build) {
    register_object_slow(h, kind, site);
    return;
  }
  enroll_object(h, tls_scope, *st, kind, site);
}

/// Checks that `h` may be used from here, returning the scope (null in production mode). Using a
/// scope object outside its execution, or a production object inside a scope, is a panic inside
/// a scope and a weft::usage_error outside one; `api` names the call (e.g. "chan::send").
scope* check_use_slow(const object_header& h, const char* api);
inline scope* check_use(const object_header& h, const char* api) {
  scope* s = tls_scope;
  if (h.owner == s && (s == nullptr || h.generation == tls_scope_state->generation_)) return s;
  return check_use_slow(h, api);
}

/// A scheduling point: the running task announces `op` on `obj`; the strategy may switch tasks.
void step(scope& s, op_kind op, const object_header* obj, const weft::source_location& site);

/// wait_group::add(delta) just ran and left `counter` (for the strategy: see
/// strategy::wait_group_changed).
void wait_group_changed_reported(scope& s, std::int64_t delta, std::int64_t counter);
inline void wait_group_changed(scope& s, std::int64_t delta, std::int64_t counter) {
  if (tls_scope_state->report_forced_) wait_group_changed_reported(s, delta, counter);
}

/// Blocks the running task until `wake` is called for it. Returns false when the execution is
/// being torn down instead (the caller then returns without completing the operation).
bool park(scope& s, op_kind op, const object_header* obj, const weft::source_location& site);

/// An explored choice in [0, n) that is not itself a scheduling point (e.g. which ready select
/// case runs); recorded in the schedule like every choice.
std::uint64_t explored_choice(scope& s, std::uint64_t n);

/// The running task made progress that a non-blocking operation cannot show at its scheduling
/// point (a value moved through a channel buffer): resets the livelock window.
inline void note_progress(scope&) noexcept {
  tls_scope_state->last_progress_ = tls_scope_state->steps_;
}

/// Makes a parked task runnable again (no switch happens here).
void wake(scope& s, task* t) noexcept;

/// The running task (of the current scope: `s` must be current_scope()).
inline task* running_task(scope&) noexcept { return tls_scope_state->current_; }
inline task_id id_of(const task* t) noexcept { return reinterpret_cast<const task_base*>(t)->id; }

/// Counts an operation of a task being torn down; abandons a task that never stops (engine.cpp).
void note_teardown_operation(op_kind op);
/// True while the execution is being unwound: primitives must neither block nor report. `op` is
/// the operation the primitive is about to perform: when it is one a task can be unwound at (a
/// blocking one, see engine.cpp), the running task is unwound here (task_unwind is thrown)
/// unless that is unsafe (an exception is already in flight, or the task's closure is being
/// destroyed, or a no_unwind_here guard is open). Without that, a task that teardown resumed at an
/// operation that cannot throw (an unlock, a close) would run on through its next blocking call,
/// which returns at once in teardown, into code that assumes the call waited.
inline bool tearing_down(const scope&, op_kind op = op_kind::finish) {
  if (!tls_scope_state->tearing_down_) return false;
  note_teardown_operation(op);
  return true;
}

/// Marks code that teardown must not throw task_unwind through: a destructor of weft's that
/// blocks (worker_pool joins its workers). A destructor is noexcept: an unwind thrown from a
/// blocking call inside it would reach std::terminate, where weft abandons the task (engine.cpp),
/// skipping the rest of the destructor. Within the guard the call returns instead (teardown mode),
/// the destructor finishes, and the task is unwound at its next blocking call after it.
class no_unwind_here {
 public:
  no_unwind_here() noexcept
      : task_(tls_scope_state != nullptr ? reinterpret_cast<task_base*>(tls_scope_state->current_)
                                         : nullptr) {
    if (task_ != nullptr) ++task_->no_unwind;
  }
  ~no_unwind_here() {
    if (task_ != nullptr) --task_->no_unwind;
  }
  no_unwind_here(const no_unwind_here&) = delete;
  no_unwind_here& operator=(const no_unwind_here&) = delete;

 private:
  task_base* task_;
};

/// True if `e` is the engine's own unwinding of a task (teardown or a panic), which code that
/// catches everything (errgroup) must let through.
bool is_task_unwind(const std::exception_ptr& e) noexcept;

/// A Go-style panic in the running task: the execution fails with kind `panic` and `message`,
/// and the task is unwound. Outside a scope (s == nullptr) it throws weft::usage_error instead.
[[noreturn]] void panic(scope* s, const std::string& message, const weft::source_location& site);

/// Something that happens at a virtual instant: a sleep ending, a timer firing. Armed events sit
/// in the engine's timer heap until their deadline; the clock jumps from deadline to deadline.
class timer_event {
 public:
  virtual ~timer_event() = default;
  /// Runs at the deadline (the clock already shows it). May wake tasks or spawn one.
  virtual void fire(scope& s) = 0;
  /// Whether firing could let a blocked task proceed. Events that cannot (a timer whose channel
  /// nobody waits on) do not keep virtual time moving: a deadlock beside them is still one.
  virtual bool can_wake() const = 0;
  /// Whether firing only ends a sleep: it wakes its task and touches no shared object (see
  /// decision_point::time_ends_sleeps).
  virtual bool only_ends_sleep() const { return false; }

  std::uint64_t armed_seq = 0;  // invariant: 0 when not armed; else the heap entry that is live
  std::int64_t deadline = 0;    // nanoseconds since the Unix epoch, virtual
};

/// Virtual now, in nanoseconds since the Unix epoch (starts at 2000-01-01T00:00:00Z).
std::int64_t virtual_now(const scope& s) noexcept;
/// Arms `e` to fire at `deadline` (re-arming replaces the previous deadline).
void arm(scope& s, timer_event& e, std::int64_t deadline);
/// Cancels `e` if armed; returns whether it was.
bool disarm(scope& s, timer_event& e) noexcept;

// --- happens-before (Go's memory model; see src/engine.cpp) -------------------------------
// Each task carries a vector clock. Primitives call these at every synchronization edge; the
// engine also emits them to ThreadSanitizer in -fsanitize=thread builds. All are no-ops when
// race detection is off. `t` is the task on whose behalf the edge happens (not always the
// running one: a sender completing a parked receiver's operation synchronizes that receiver).

// Each hook is an inline check of scope_state::observe_sync_ in front of the work (the *_observed
// functions, engine.cpp): most executions have no observer, and a call per edge would cost more
// than the check.

/// t acquires what `c` published.
void hb_acquire_observed(scope& s, const vector_clock& c, task* t);
inline void hb_acquire(scope& s, const vector_clock& c, task* t) {
  if (tls_scope_state->observe_sync_) hb_acquire_observed(s, c, t);
}
/// t publishes its history into `c` (and starts a new epoch).
void hb_release_observed(scope& s, vector_clock& c, task* t);
inline void hb_release(scope& s, vector_clock& c, task* t) {
  if (tls_scope_state->observe_sync_) hb_release_observed(s, c, t);
}
/// Both, in that order (a buffered channel slot, an atomic read-modify-write).
void hb_acquire_release_observed(scope& s, vector_clock& c, task* t);
inline void hb_acquire_release(scope& s, vector_clock& c, task* t) {
  if (tls_scope_state->observe_sync_) hb_acquire_release_observed(s, c, t);
}
/// a and b synchronize with each other (an unbuffered rendezvous).
void hb_rendezvous_observed(scope& s, task* a, task* b);
inline void hb_rendezvous(scope& s, task* a, task* b) {
  if (tls_scope_state->observe_sync_) hb_rendezvous_observed(s, a, b);
}

/// The FastTrack state of one tracked variable (Flanagan & Freund, PLDI 2009): the last write's
/// epoch, and the last read's epoch — or, once reads are concurrent, one epoch per reader.
struct access_record {
  task_id task = no_task;  // no_task: none
  std::uint32_t epoch = 0;
  std::uint64_t step = 0;
  weft::source_location site;
};
struct access_history {
  access_record write;
  access_record read;                // used while reads are totally ordered
  std::vector<access_record> reads;  // used once they are not (shared mode)
  bool shared = false;
  std::uint64_t generation = 0;  // execution the history belongs to
};
/// Checks one access of the running task against `history` (a scheduling point must precede it);
/// an access unordered with a conflicting earlier one is a data_race failure.
void check_access(scope& s, access_history& history, const object_header& h, bool write,
                  const weft::source_location& site);

/// "chan#3 (created at file.cpp:12)" for messages.
std::string describe(const object_header& h);
/// "file.cpp:12" (basename and line): stable across machines and runs.
std::string format_site(const weft::source_location& site);

}  // namespace weft::detail
