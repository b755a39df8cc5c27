// src/engine.cpp — the deterministic engine.
//
// Control flow. The thread that calls run_execution ("main") creates task 0 for the body and
// switches to it. From then on tasks switch *directly* to each other at scheduling points (one
// fcontext jump per step, no trip through a scheduler loop); only when an execution ends (all
// tasks finished, a failure, a deadlock or a leak) does the running task switch back to main,
// which then unwinds every task still alive (teardown) so nothing survives into the next
// execution.
//
// Determinism. Every choice that could differ between runs goes through the strategy and is
// recorded in `choices_`: which runnable task goes next, whether the clock jumps now (explored
// time policy), which of several timers due at one instant fires first, select arms and
// weft::choose. Tasks, objects and timers are numbered in creation order; nothing depends on
// addresses, real time or hash iteration order.
#include "engine.hpp"
#include "engine_inline.hpp"

#include "weft/detail/tsan.hpp"
#include "weft/task.hpp"

#include <cxxabi.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <map>
#include <string_view>
#include <typeinfo>

namespace weft::detail {

void weft_bug(const char* what) {
  std::fprintf(stderr, "weft: internal error (this is a weft bug, please report it): %s\n", what);
  std::abort();
}

namespace {

bool timer_later(const auto& a, const auto& b) {
  return a.deadline != b.deadline ? a.deadline > b.deadline : a.seq > b.seq;
}

std::string demangled_current_exception_type() {
  std::type_info* type = abi::__cxa_current_exception_type();
  if (type == nullptr) return "an exception";
  int status = 0;
  char* name = abi::__cxa_demangle(type->name(), nullptr, nullptr, &status);
  std::string result = (status == 0 && name != nullptr) ? name : type->name();
  std::free(name);
  return result;
}

// Describes the exception held by `error` (called outside any catch handler of the task).
std::string describe_exception(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    return demangled_current_exception_type() + ": " + e.what();
  } catch (...) {
    return demangled_current_exception_type();
  }
}

}  // namespace

// --- free hooks (weft/detail/runtime.hpp) ----------------------------------------------------
//
// Every entry point below that runs on a task's fiber holds a tsan_guard (weft/detail/tsan.hpp):
// the engine's tables are shared by all fibers, ordered by the one thread, which TSan cannot see.

void register_object_slow(object_header& h, object_kind kind,
                          const weft::source_location& site) noexcept {
  if (scope* s = tls_scope) {
    tsan_guard guard(s);
    s->register_object(h, kind, site);
  } else {
    h.owner = nullptr;
    h.kind = kind;
    h.created = site;
  }
}

std::string format_site(const weft::source_location& site) {
  std::string_view file = site.file_name();
  if (std::size_t slash = file.find_last_of('/'); slash != std::string_view::npos) {
    file.remove_prefix(slash + 1);
  }
  return std::string(file) + ":" + std::to_string(site.line());
}

std::string describe(const object_header& h) {
  std::string out = std::string(object_kind_name(h.kind)) + "#" + std::to_string(h.id);
  // An object built by std::make_shared records a line of the standard library, which says
  // nothing about the program: leave it out.
  // g++ names it /usr/include/c++/12/..., clang /usr/bin/../lib/gcc/.../include/c++/12/...
  const std::string_view file = h.created.file_name() != nullptr ? h.created.file_name() : "";
  if (file.starts_with("/usr/") || file.find("/include/c++/") != std::string_view::npos) return out;
  return out + " (created at " + format_site(h.created) + ")";
}

scope* check_use_slow(const object_header& h, const char* api) {
  scope* s = tls_scope;
  if (h.owner == nullptr && s == nullptr) return nullptr;
  tsan_guard guard(s);
  if (h.owner == nullptr) {
    s->panic(std::string(api) + ": this " + object_kind_name(h.kind) + " was created outside any " +
                 "deterministic scope (at " + format_site(h.created) +
                 ") and cannot be used inside one; create it inside the test body",
             h.created);
  }
  if (s == nullptr) {
    throw usage_error(std::string(api) + ": " + describe(h) +
                      " belongs to a deterministic scope and cannot be used outside it (from a "
                      "real thread, or after its execution ended)");
  }
  if (s != h.owner || h.generation != s->generation()) {
    s->panic(std::string(api) + ": " + describe(h) +
                 " belongs to another execution (objects created in one execution, e.g. kept "
                 "in a static, cannot be reused by the next one)",
             h.created);
  }
  return s;
}

void step(scope& s, op_kind op, const object_header* obj, const weft::source_location& site) {
  tsan_guard guard(&s);
  s.step_inline(op, obj, site);
}
void wait_group_changed_reported(scope& s, std::int64_t delta, std::int64_t counter) {
  s.wait_group_changed(delta, counter);
}
bool park(scope& s, op_kind op, const object_header* obj, const weft::source_location& site) {
  tsan_guard guard(&s);
  return s.park_inline(op, obj, site);
}
void wake(scope& s, task* t) noexcept {
  tsan_guard guard(&s);
  s.wake(t);
}
void note_teardown_operation(op_kind op) {
  if (tls_scope != nullptr) {
    tsan_guard guard(tls_scope);
    tls_scope->teardown_point(op, false);
  }
}
std::uint64_t explored_choice(scope& s, std::uint64_t n) {
  tsan_guard guard(&s);
  return s.explored_choice(n);
}
std::int64_t virtual_now(const scope& s) noexcept {
  tsan_guard guard(&s);
  return s.now();
}
void arm(scope& s, timer_event& e, std::int64_t deadline) {
  tsan_guard guard(&s);
  s.arm(e, deadline);
}
bool disarm(scope& s, timer_event& e) noexcept {
  tsan_guard guard(&s);
  return s.disarm(e);
}

void panic(scope* s, const std::string& message, const weft::source_location& site) {
  if (s == nullptr) throw usage_error(message);
  tsan_guard guard(s);
  s->panic(message, site);
}

void spawn(scope& s, std::string&& name, task_fn&& fn, const weft::source_location& site) {
  tsan_guard guard(&s);
  s.spawn(std::move(name), std::move(fn), site);
}
void spawn_from_event(scope& s, std::string&& name, task_fn&& fn,
                      const weft::source_location& site) {
  tsan_guard guard(&s);
  s.spawn_detached(std::move(name), std::move(fn), site);
}
std::uint64_t scope_choose(scope& s, std::uint64_t n, const weft::source_location& site) {
  tsan_guard guard(&s);
  return s.choose(n, site);
}
void scope_yield(scope& s, const weft::source_location& site) {
  tsan_guard guard(&s);
  s.step(op_kind::yield, nullptr, site);  // in teardown: unwinds the task (a spinning loop)
}

void sleep_event::fire(scope& s) { s.wake(sleeper); }

// --- happens-before -------------------------------------------------------------------------
//
// Vector clocks along the edges of Go's memory model: every task's clock has its own component
// as its current epoch; releasing publishes the clock into a sync object's clock and starts a new
// epoch (so later accesses are not covered by that release); acquiring joins a sync object's
// clock into the task's. An access is ordered after another iff the other's epoch is <= the
// accessing task's component for the other task.

//
// ThreadSanitizer (weft/detail/tsan.hpp): each edge is also emitted as __tsan_acquire /
// __tsan_release on the address of the sync object's clock, on behalf of `t` (which need not be
// running), always: independent of hb_active() (lazy, and off without detect_races), since TSan
// checks plain memory. The `go` edge is TSan's own fiber creation (a fiber happens after its
// creator); switches to and from the driver synchronize (fiber.cpp).

void hb_acquire_observed(scope& s, const vector_clock& c, task* t) {
  if (t != nullptr) tsan_acquire_as(t->fib.tsan_fiber, &c);
  if (trace_recorder* tr = s.trace(); tr != nullptr && t != nullptr) {
    tr->acquired(&c, t->id, s.trace_time());
  }
  if (!s.hb_active() || t == nullptr) return;
  t->clock.join(c);
}

void hb_release_observed(scope& s, vector_clock& c, task* t) {
  if (t != nullptr) tsan_release_as(t->fib.tsan_fiber, &c);
  if (trace_recorder* tr = s.trace(); tr != nullptr && t != nullptr) {
    tr->released(&c, t->id, s.trace_time());
  }
  if (!s.hb_active() || t == nullptr) return;
  c.join(t->clock);
  t->clock.tick(t->id);
}

void hb_acquire_release_observed(scope& s, vector_clock& c, task* t) {
  if (trace_recorder* tr = s.trace(); tr != nullptr && t != nullptr) {
    tr->acquired(&c, t->id, s.trace_time());
    tr->released(&c, t->id, s.trace_time());
  }
  if (t != nullptr) {
    tsan_acquire_as(t->fib.tsan_fiber, &c);
    tsan_release_as(t->fib.tsan_fiber, &c);
  }
  if (!s.hb_active() || t == nullptr) return;
  t->clock.join(c);
  c.join(t->clock);
  t->clock.tick(t->id);
}

void hb_rendezvous_observed(scope& s, task* a, task* b) {
  if (trace_recorder* tr = s.trace(); tr != nullptr && a != nullptr && b != nullptr) {
    // Both directions are edges of Go's memory model for an unbuffered channel.
    tr->rendezvous(a->id, b->id, s.trace_time());
    tr->rendezvous(b->id, a->id, s.trace_time());
  }
  if (a != nullptr && b != nullptr) {  // each publishes on its own clock's address
    tsan_release_as(a->fib.tsan_fiber, &a->clock);
    tsan_release_as(b->fib.tsan_fiber, &b->clock);
    tsan_acquire_as(a->fib.tsan_fiber, &b->clock);
    tsan_acquire_as(b->fib.tsan_fiber, &a->clock);
  }
  if (!s.hb_active() || a == nullptr || b == nullptr) return;
  a->clock.join(b->clock);
  b->clock.join(a->clock);
  a->clock.tick(a->id);
  b->clock.tick(b->id);
}

void check_access(scope& s, access_history& history, const object_header& h, bool write,
                  const weft::source_location& site) {
  tsan_guard guard(&s);
  if (s.hb_active()) s.check_access(history, h, write, site);
}

// --- scope -------------------------------------------------------------------------------

void choice_log::reserve(std::size_t n) {
  if (n <= capacity_) return;
  auto bigger = std::make_unique_for_overwrite<choice[]>(n);
  std::copy(data_.get(), data_.get() + size_, bigger.get());
  data_ = std::move(bigger);
  capacity_ = n;
}

namespace {
// The recorded-schedule buffer of the last engine this thread destroyed, handed to the next one:
// a test binary runs many explorations, and a long execution's schedule would otherwise fault
// its pages in again each time. Kept only up to a bound, so a huge one is not held forever.
// Invariant: empty (its capacity is what is kept). Freed with its thread.
thread_local choice_log cached_choices;
constexpr std::size_t max_cached_choices = std::size_t{1} << 20;  // 12 MiB
}  // namespace

bool is_task_unwind(const std::exception_ptr& e) noexcept {
  if (!e) return false;
  try {
    std::rethrow_exception(e);
  } catch (const task_unwind&) {
    return true;
  } catch (...) {
    return false;
  }
}

namespace {
// Teardown throws task_unwind at a blocking call; when that call runs inside a destructor in
// normal flow (a user's RAII joiner waiting for tasks), the throw leaves a noexcept function and
// the runtime calls std::terminate. weft cannot see that coming, so it handles it there: if the
// running task of a scope being torn down is unwinding with weft's exception, the task is
// abandoned (its stack dropped without its remaining destructors, as for a task that swallows
// the unwind) and teardown goes on; anything else goes to the handler installed before.
// Installed once per process (set_terminate is process-wide; the check is per thread).
std::terminate_handler previous_terminate = nullptr;

[[noreturn]] void terminate_in_teardown() {
  scope* s = tls_scope;
  if (s != nullptr && s->tearing_down() && is_task_unwind(std::current_exception())) {
    // The runtime caught the exception on its way to std::terminate (__cxa_begin_catch): end that
    // catch, which frees the exception, before the task's stack is dropped with it.
    abi::__cxa_end_catch();
    s->abandon_running_task();  // does not return
  }
  if (previous_terminate != nullptr) previous_terminate();
  std::abort();
}
}  // namespace

scope::scope(const options& opts, strategy& strat)
    : opts_(opts), strategy_(strat), stacks_(opts.stack_size, opts.guard_pages) {
  static const bool terminate_handled = [] {
    previous_terminate = std::set_terminate(&terminate_in_teardown);
    return true;
  }();
  (void)terminate_handled;
  fiber_init_main(main_fiber_);
  tasks_.reserve(64);
  runnable_.reserve(64);
  candidates_.reserve(64);
  choices_.swap(cached_choices);  // whatever capacity the last engine left
  choices_.reserve(1024);
  timers_.reserve(64);
}

scope::~scope() {
  for (auto& t : pool_) fiber_destroy(t->fib);
  if (choices_.capacity() <= max_cached_choices &&
      choices_.capacity() > cached_choices.capacity()) {
    choices_.clear();
    cached_choices.swap(choices_);
  }
}

void scope::register_object(object_header& h, object_kind kind,
                            const weft::source_location& site) noexcept {
  enroll_object(h, this, *this, kind, site);
  if (kind == object_kind::tracked && !hb_active_ && opts_.detect_races) activate_happens_before();
}

// Happens-before clocks are maintained only once the execution has created a tracked object:
// programs without tracked state pay nothing for race detection. Starting late is sound: an
// edge that completed before the first tracked object existed orders no tracked access (there
// were none), and every edge from now on is recorded. Each live task starts at epoch 1 so that
// its accesses are distinguishable from "no access".
void scope::activate_happens_before() {
  hb_active_ = true;
  observe_sync_ = true;
  for (task* t : tasks_) {
    t->clock.clear();
    if (t->state != task_state::finished) t->clock.set(t->id, 1);
  }
}

std::string scope::task_label(task_id id) const {
  if (id >= tasks_.size() || tasks_[id]->name.empty()) return "task-" + std::to_string(id);
  const std::string& name = tasks_[id]->name;
  // Several tasks share the name (spawned in a loop): tell them apart by their index.
  for (const task* t : tasks_) {
    if (t->id != id && t->name == name) return name + "#" + std::to_string(id);
  }
  return name;
}

void scope::run_execution(const std::function<void()>& body) {
  if (tls_scope != nullptr) {
    throw usage_error(
        "weft::explore/run/check: called inside a deterministic scope; scopes do not nest");
  }
  ++generation_;
  hb_active_ = false;
  observe_sync_ = trace_ != nullptr || tsan_build;
  next_object_id_ = 0;
  steps_ = 0;
  last_progress_ = 0;
  preemptions_ = 0;
  choices_.clear();
  schedule_hash_ = fnv_basis;
  if (failure_.kind != failure_kind::none) failure_ = failure_record{};
  tail_count_ = 0;
  tasks_.clear();
  runnable_.clear();
  live_ = 0;
  body_returned_ = false;
  tearing_down_ = false;
  ended_ = false;
  report_forced_ = strategy_.wants_forced();
  uniform_ = strategy_.uniform_generator();
  timers_.clear();
  armed_timers_ = 0;
  now_ = epoch_ns;
  current_ = nullptr;

  tls_scope = this;
  tls_scope_state = this;
  const weft::source_location body_site = weft::source_location::current();
  task* body_task = create_task(std::string(), task_fn([&body] { body(); }), body_site);
  body_task->spawn_site = body_site;
  if (task* first = choose_next_inline()) {
    current_ = first;
    fiber_switch(main_fiber_, first->fib);
  }
  current_ = nullptr;
  if (trace_ != nullptr) {
    trace_->finish(trace_time());
    for (const task* t : tasks_) trace_->label(t->id, task_label(t->id));
    trace_ = nullptr;  // teardown is not part of the execution's timeline
    observe_sync_ = hb_active_ || tsan_build;
  }
  // Most executions end with every task finished and no timer left: nothing to tear down.
  if (live_ != 0 || !timers_.empty()) {
    // Teardown unwinds an execution that has ended: nothing it touches is a race of the program.
    tsan_guard guard(this);
    teardown();
  }
  tsan_acquire_as(nullptr, this);  // every task's end (finish_running_task)
  tls_scope = nullptr;
  tls_scope_state = nullptr;
}

task* scope::create_task(std::string&& name, task_fn&& fn, const weft::source_location& site) {
  const auto id = static_cast<task_id>(tasks_.size());
  if (id == pool_.size()) pool_.push_back(std::make_unique<task>());
  task* t = pool_[id].get();
  fiber_destroy(t->fib);  // a previous execution's fiber record (sanitizer state only)
  t->id = id;
  t->state = task_state::runnable;
  t->started = false;
  t->kill = false;
  t->abandoned = false;
  // Task 0 is always the body, named "main"; most other tasks have no name. Touch the string
  // only when it changes: copying even a short one costs a library call.
  if (id == 0) {
    if (t->name.empty()) t->name = "main";
  } else if (!name.empty() || !t->name.empty()) {
    t->name = std::move(name);
  }
  t->spawn_site = site;
  t->owner = this;
  t->fn = std::move(fn);
  t->op = op_kind::start;
  t->op_object = nullptr;
  t->op_object_id = 0;
  t->op_site = site;
  t->sleep.sleeper = t;
  t->sleep.armed_seq = 0;
  t->teardown_steps = 0;
  t->unwinds_thrown = 0;
  t->no_unwind = 0;
  // go: everything the parent did so far happens before the child's first step.
  t->clock.clear();
  if (hb_active_) {
    if (current_ != nullptr) {
      t->clock.join(current_->clock);
      current_->clock.tick(current_->id);
    }
    t->clock.tick(id);
  }
  // The `go` edge for TSan: fiber creation makes the child happen after the running fiber.
  fiber_create(t->fib, stacks_.acquire(), &scope::task_entry, t);
  tsan_name_fiber(t->fib.tsan_fiber, id, t->name.c_str());
  tasks_.push_back(t);
  runnable_.push_back(t);  // ids grow, so runnable_ stays sorted
  if (trace_ != nullptr) {
    trace_->task_started(id, trace_time());
    if (current_ != nullptr) trace_->spawned(current_->id, id, trace_time());
  }
  ++live_;
  return t;
}

void scope::spawn(std::string&& name, task_fn&& fn, const weft::source_location& site) {
  if (tearing_down_) return;  // the closure is destroyed here; nothing new starts in teardown
  if (live_ >= opts_.max_live_tasks) {
    // Name the spawn site responsible for most live tasks (std::map: deterministic order).
    std::map<std::pair<std::string, std::uint32_t>, std::size_t> by_site;
    for (const task* t : tasks_) {
      if (t->state != task_state::finished) {
        ++by_site[{t->spawn_site.file_name(), t->spawn_site.line()}];
      }
    }
    auto worst = std::max_element(by_site.begin(), by_site.end(),
                                  [](const auto& a, const auto& b) { return a.second < b.second; });
    std::string evidence = "  " + std::to_string(live_) + " tasks are alive (limit " +
                           std::to_string(opts_.max_live_tasks) +
                           ", options::max_live_tasks / WEFT_MAX_LIVE_TASKS)\n";
    if (worst != by_site.end()) {
      std::string file = worst->first.first;
      if (auto slash = file.find_last_of('/'); slash != std::string::npos) file.erase(0, slash + 1);
      evidence += "  most were spawned at " + file + ":" + std::to_string(worst->first.second) +
                  " (" + std::to_string(worst->second) + " live tasks)\n";
    }
    evidence += "  the spawn that went over the limit is at " + format_site(site) + " in task \"" +
                task_label(current_->id) + "\"\n";
    report_failure(failure_kind::too_many_tasks,
                   "more than " + std::to_string(opts_.max_live_tasks) +
                       " live tasks: unbounded task creation",
                   std::move(evidence));
    throw task_unwind{};
  }
  create_task(std::move(name), std::move(fn), site);
  step_inline(op_kind::spawn, nullptr, site);
}

void scope::spawn_detached(std::string&& name, task_fn&& fn, const weft::source_location& site) {
  if (tearing_down_ || failure_.kind != failure_kind::none) return;
  // Not a child of whichever task happens to run while time moves: no `go` edge from it (the
  // event's creator publishes its own history through the timer).
  task* running = current_;
  current_ = nullptr;
  create_task(std::move(name), std::move(fn), site);
  current_ = running;
}

void scope::task_entry(void* arg) {
  task* t = static_cast<task*>(arg);
  scope& s = *t->owner;
  t->started = true;
  std::exception_ptr error;
  bool unwound = false;
  try {
    t->fn();
  } catch (const task_unwind&) {
    unwound = true;
  } catch (...) {
    error = std::current_exception();
  }
  // Outside every handler now: the closure's destructors may reach scheduling points.
  t->in_cleanup = true;
  t->fn.reset();
  t->in_cleanup = false;
  s.finish_running_task(std::move(error), unwound);
}

void scope::finish_running_task(std::exception_ptr error, bool unwound) {
  tsan_task_exit_begin();  // weft state from here; fiber_exit ends the ignore (tsan.hpp)
  task* t = current_;
  // TSan: task end -> the driver, which acquires after the execution (run_execution) and so
  // happens after every task before it reuses their records, closures and stacks.
  tsan_release_as(t->fib.tsan_fiber, this);
  (void)unwound;
  if (error && !tearing_down_ && failure_.kind == failure_kind::none) {
    std::string what = describe_exception(error);
    error = nullptr;
    report_failure(failure_kind::uncaught_exception,
                   "an exception escaped task \"" + task_label(t->id) + "\"",
                   "  task \"" + task_label(t->id) + "\" (" +
                       (t->id == 0 ? std::string("the test body")
                                   : "spawned at " + format_site(t->spawn_site)) +
                       ") threw " + what + "\n  last operation: " + op_name(t->op) + " at " +
                       format_site(t->op_site) + "\n");
  }
  error = nullptr;
  t->state = task_state::finished;
  t->op = op_kind::finish;
  last_progress_ = steps_;
  if (trace_ != nullptr) trace_->task_finished(t->id, trace_time());
  --live_;
  remove_runnable(t);
  if (t->id == 0) body_returned_ = true;
  task* next = nullptr;
  if (!tearing_down_ && !ended_) {
    if (failure_.kind == failure_kind::none) record_step(op_kind::finish, nullptr, t->op_site);
    next = choose_next_inline();
  }
  // Only now is the stack free: choose_next may fire a timer that spawns a task (which takes a
  // stack from the pool), and we are still standing on this one.
  stacks_.release(t->fib.stack);
  if (next == nullptr) {
    if (!tearing_down_) ended_ = true;
    current_ = nullptr;
    fiber_exit(t->fib, main_fiber_);
  }
  current_ = next;
  fiber_exit(t->fib, next->fib);
}

void scope::wake(task* t) noexcept {
  if (t->state != task_state::blocked) return;
  last_progress_ = steps_;  // a blocked operation completes: a value handed over, a lock passed
  if (trace_ != nullptr) trace_->woken(t->id, trace_time());
  t->state = task_state::runnable;
  if (runnable_.size() < few_runnable) {  // see remove_runnable
    runnable_.push_back(t);
    task** r = runnable_.data();
    std::size_t i = runnable_.size() - 1;
    for (; i > 0 && r[i - 1]->id > t->id; --i) r[i] = r[i - 1];
    r[i] = t;
    return;
  }
  runnable_.insert(std::lower_bound(runnable_.begin(), runnable_.end(), t->id, id_below), t);
}

void scope::step(op_kind op, const object_header* obj, const weft::source_location& site) {
  step_inline(op, obj, site);
}

bool scope::park(op_kind op, const object_header* obj, const weft::source_location& site) {
  return park_inline(op, obj, site);
}

namespace {
// Operations at which teardown may throw task_unwind into a task: the ones that block or spin.
// The others (unlock, done, close, notify, release, stores...) are what destructors do, and a
// throw out of a destructor would end the process, so the task continues to its next one.
bool throwable_op(op_kind op) noexcept {
  switch (op) {
    case op_kind::start:
    case op_kind::yield:
    case op_kind::choose:
    case op_kind::sleep:
    case op_kind::chan_send:
    case op_kind::chan_recv:
    case op_kind::select:
    case op_kind::mutex_lock:
    case op_kind::rw_lock:
    case op_kind::rw_lock_shared:
    case op_kind::wg_wait:
    case op_kind::once_call:
    case op_kind::cond_wait:
    case op_kind::sem_acquire:
      return true;
    default:
      return false;
  }
}
}  // namespace

bool scope::teardown_point(op_kind op, bool blocking) {
  task* t = current_;
  if (t == nullptr || !t->kill) return false;
  tsan_ignore_rest_of_fiber();  // being unwound by teardown: see run_execution
  const bool swallowing = t->unwinds_thrown >= max_swallowed_unwinds;
  if ((blocking || throwable_op(op)) && std::uncaught_exceptions() == 0 && !t->in_cleanup &&
      t->no_unwind == 0 && !swallowing) {
    ++t->unwinds_thrown;
    throw task_unwind{};  // `kill` stays set: a `catch (...)` that swallows it meets it again
  }
  if (++t->teardown_steps > max_teardown_steps || swallowing) {
    // The task keeps running without reaching a point where it can be unwound (it swallows the
    // unwind, or spins in destructors): abandon its stack without running its destructors.
    abandon_running_task();
  }
  return false;
}

void scope::abandon_running_task() {
  task* t = current_;
  if (t == nullptr || !tearing_down_) weft_bug("abandoning a task outside teardown");
  t->abandoned = true;
  current_ = nullptr;
  tsan_end_all_ignores();  // its last switch (tsan.hpp)
  fiber_switch(t->fib, main_fiber_);
  weft_bug("an abandoned task was resumed");
}

std::uint64_t scope::choose(std::uint64_t n, const weft::source_location& site) {
  if (n == 0) panic("weft::choose(0): n must be at least 1", site);
  if (tearing_down_) return 0;
  step(op_kind::choose, nullptr, site);
  if (n == 1) return 0;
  return decide_choose(n);
}

std::uint64_t scope::explored_choice(std::uint64_t n) {
  if (n <= 1 || tearing_down_ || failure_.kind != failure_kind::none) return 0;
  return decide_choose(n);
}

std::uint64_t scope::decide_choose(std::uint64_t n) {
  std::uint64_t v = uniform_ != nullptr ? uniform_->below(n) : strategy_.choose(n);
  if (check_replay()) return 0;
  if (v >= n) weft_bug("strategy chose out of range");
  record_choice({static_cast<std::uint32_t>(n), static_cast<std::uint32_t>(v), choose_check(n)});
  return v;
}

std::size_t scope::decide_pick() {
  std::size_t index = 0;
  if (uniform_ != nullptr) {
    // == strategy_.pick(d): a uniform strategy reads only the number of candidates.
    index = static_cast<std::size_t>(uniform_->below(candidates_.size()));
  } else {
    const bool time_offered = candidates_.back().task == time_task;
    const decision_point d{candidates_, steps_, current_ != nullptr ? current_->id : no_task,
                           report_forced_, time_offered && time_ends_sleeps()};
    index = strategy_.pick(d);
    if (check_replay()) return 0;
    if (index >= candidates_.size()) weft_bug("strategy picked out of range");
  }
  if (current_ != nullptr) {
    // Arithmetic, not a branch: whether the pick switched is the random outcome itself, and a
    // branch on it would be mispredicted at half the decisions.
    const bool switched = candidates_[index].task != current_->id;
    const bool could_go_on = current_->state == task_state::runnable;
    preemptions_ += static_cast<std::uint64_t>(switched & could_go_on);
  }
  record_choice({static_cast<std::uint32_t>(candidates_.size()), static_cast<std::uint32_t>(index),
                 decision_check(candidates_.size(), candidates_[index])});
  return index;
}

// A scheduling point that offers no choice, told to strategies that reason about dependencies
// (dfs): a conflicting operation can sit in a step nobody chose. Nothing is recorded.
report run_single_execution(scope& engine, strategy& strat, const std::function<void()>& body,
                            const options& opts) {
  strat.begin_execution(0);
  const auto start = std::chrono::steady_clock::now();
  engine.run_execution(body);
  strat.end_execution();
  report r;
  r.executions = 1;
  r.distinct_schedules = 1;
  r.steps = engine.steps();
  r.seed = opts.seed;
  r.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

void scope::wait_group_changed(std::int64_t delta, std::int64_t counter) {
  if (report_forced_) strategy_.wait_group_changed(delta, counter);
}

void scope::report_forced(task_id only) {
  candidates_.clear();
  if (only == time_task) {
    candidates_.push_back({time_task, op_kind::timer_fire, 0});
  } else {
    const task* t = tasks_[only];
    candidates_.push_back({only, t->op, t->op_object_id});
  }
  const decision_point d{candidates_, steps_, current_ != nullptr ? current_->id : no_task, true};
  strategy_.forced(d);
}

bool scope::check_replay_slow() {
  if (!replay_->diverged()) return false;
  if (failure_.kind == failure_kind::none) {
    std::string evidence = "  " + replay_->divergence() + "\n  offered now:";
    for (const candidate& c : candidates_) {
      evidence += c.task == time_task
                      ? std::string(" [advance virtual time]")
                      : " [task \"" + task_label(c.task) + "\" " + op_name(c.op) + "]";
    }
    evidence +=
        "\n  the program does not behave the same way under the same schedule: it depends on "
        "something weft does not control (real time, real randomness, addresses, unordered "
        "containers, global state kept between executions), or the token comes from another "
        "build of the test\n";
    report_failure(failure_kind::nondeterminism, "the replayed schedule diverged",
                   std::move(evidence));
  }
  return true;
}

bool scope::has_wakeful_timer() {
  for (const timer_entry& e : timers_) {
    if (e.event->armed_seq == e.seq && e.event->can_wake()) return true;
  }
  return false;
}

// Whether fire_next_timer would only end sleeps (decision_point::time_ends_sleeps). O(1) unless
// several timers share the earliest deadline: the heap's top is the earliest entry, and a live
// sleep can always wake its task, so when the top is one, the target deadline is the top's and
// only the entries due at that same instant (a subtree at the root: a child is never due before
// its parent) can fire with it. Any other top (a timer, a timeout, a context deadline, a stale
// entry) answers false without a scan: conservative, and the strategies stay correct either way.
bool scope::time_ends_sleeps() const {
  if (timers_.empty()) return false;
  const timer_entry& top = timers_.front();
  if (top.event->armed_seq != top.seq || !top.event->only_ends_sleep()) {
    return false;
  }
  std::vector<std::size_t>& pending = sleep_scan_scratch_;
  pending.clear();
  for (std::size_t child : {std::size_t{1}, std::size_t{2}}) pending.push_back(child);
  while (!pending.empty()) {
    const std::size_t i = pending.back();
    pending.pop_back();
    if (i >= timers_.size() || timers_[i].deadline != top.deadline) continue;
    const timer_entry& e = timers_[i];
    if (e.event->armed_seq == e.seq && !e.event->only_ends_sleep()) {
      return false;
    }
    pending.push_back(2 * i + 1);
    pending.push_back(2 * i + 2);
  }
  return true;
}

void scope::fire_next_timer() {
  // Earliest deadline among events that can wake someone. The heap's top has the earliest
  // deadline of all: when it can wake someone (a sleep always can) it is the answer, in O(1);
  // only a top that cannot (a timer nobody listens to) needs the scan.
  std::int64_t target = 0;
  bool found = false;
  if (!timers_.empty() && timers_.front().event->armed_seq == timers_.front().seq &&
      timers_.front().event->can_wake()) {
    target = timers_.front().deadline;
    found = true;
  } else {
    for (const timer_entry& e : timers_) {
      if (e.event->armed_seq == e.seq && e.event->can_wake() && (!found || e.deadline < target)) {
        target = e.deadline;
        found = true;
      }
    }
  }
  if (!found) weft_bug("fire_next_timer without a wakeful timer");
  // Everything due before it fires first, in deadline order: time never skips a deadline.
  auto later = [](const timer_entry& a, const timer_entry& b) { return timer_later(a, b); };
  while (!timers_.empty() && timers_.front().deadline < target) {
    std::pop_heap(timers_.begin(), timers_.end(), later);
    timer_entry e = timers_.back();
    timers_.pop_back();
    if (e.event->armed_seq != e.seq) continue;
    now_ = std::max(now_, e.deadline);
    e.event->armed_seq = 0;
    --armed_timers_;
    e.event->fire(*this);
  }
  now_ = std::max(now_, target);
  // Several wakeful events due at this instant: which goes first is an explored choice.
  std::size_t due = 0;
  std::vector<timer_entry>& scratch = due_scratch_;
  scratch.clear();
  while (!timers_.empty() && timers_.front().deadline == target) {
    std::pop_heap(timers_.begin(), timers_.end(), later);
    timer_entry e = timers_.back();
    timers_.pop_back();
    if (e.event->armed_seq != e.seq) continue;
    scratch.push_back(e);
    if (e.event->can_wake()) ++due;
  }
  std::size_t pick = (due > 1) ? static_cast<std::size_t>(decide_choose(due)) : 0;
  timer_event* chosen = nullptr;
  for (const timer_entry& e : scratch) {
    if (!e.event->can_wake()) continue;
    if (pick-- == 0) {
      chosen = e.event;
      continue;
    }
  }
  for (const timer_entry& e : scratch) {
    if (e.event != chosen) {
      timers_.push_back(e);
      std::push_heap(timers_.begin(), timers_.end(), later);
    }
  }
  if (chosen != nullptr) {
    chosen->armed_seq = 0;
    --armed_timers_;
    chosen->fire(*this);
  }
}

void scope::arm(timer_event& e, std::int64_t deadline) {
  disarm(e);
  e.armed_seq = ++timer_seq_;
  e.deadline = deadline;
  timers_.push_back({deadline, e.armed_seq, &e});
  std::push_heap(timers_.begin(), timers_.end(),
                 [](const timer_entry& a, const timer_entry& b) { return timer_later(a, b); });
  ++armed_timers_;
}

bool scope::disarm(timer_event& e) noexcept {
  if (e.armed_seq == 0) return false;
  // Remove every entry of this event now (not lazily): the event may be destroyed right after,
  // and the heap must never point at it.
  auto dead = std::remove_if(timers_.begin(), timers_.end(),
                             [&e](const timer_entry& t) { return t.event == &e; });
  e.armed_seq = 0;
  // No entry: armed in an execution that has ended (teardown dropped the heap).
  if (dead == timers_.end()) return false;
  timers_.erase(dead, timers_.end());
  std::make_heap(timers_.begin(), timers_.end(),
                 [](const timer_entry& a, const timer_entry& b) { return timer_later(a, b); });
  --armed_timers_;
  return true;
}

task* scope::choose_next() {
  if (failure_.kind != failure_kind::none) return nullptr;
  if (++steps_ > opts_.max_steps) {
    report_failure(failure_kind::step_limit,
                   "the execution exceeded " + std::to_string(opts_.max_steps) +
                       " scheduling points (options::max_steps / WEFT_MAX_STEPS)",
                   "  tasks still alive:\n" + blocked_task_lines());
    return nullptr;
  }
  if (steps_ - last_progress_ > opts_.progress_steps && opts_.progress_steps != 0) {
    report_livelock();
    return nullptr;
  }
  for (;;) {
    const bool timers = armed_timers_ > 0 && has_wakeful_timer();
    const bool offer_time = timers && opts_.time_policy == weft::time_policy::explored;
    const std::size_t n = runnable_.size();
    if (n == 0) {
      if (live_ == 0) return nullptr;  // every task finished: pending deadlines never fire
      if (timers) {
        if (report_forced_) report_forced(time_task);
        fire_next_timer();
        if (failure_.kind != failure_kind::none) return nullptr;
        continue;
      }
      if (live_ > 0) end_with_blocked_tasks();
      return nullptr;
    }
    if (n == 1 && !offer_time) {
      if (report_forced_) report_forced(runnable_[0]->id);
      return runnable_[0];
    }
    if (uniform_ != nullptr && !offer_time) return pick_uniform(n);
    candidates_.clear();
    for (const task* t : runnable_) candidates_.push_back({t->id, t->op, t->op_object_id});
    if (offer_time) candidates_.push_back({time_task, op_kind::timer_fire, 0});
    const std::size_t index = decide_pick();
    if (failure_.kind != failure_kind::none) return nullptr;
    const task_id chosen = candidates_[index].task;
    if (chosen == time_task) {
      fire_next_timer();
      if (failure_.kind != failure_kind::none) return nullptr;
      continue;
    }
    return tasks_[chosen];
  }
}

std::string scope::blocked_task_lines() const {
  std::string out;
  for (const task* t : tasks_) {
    if (t->state == task_state::finished) continue;
    out +=
        "  task \"" + task_label(t->id) + "\" (" +
        (t->id == 0 ? std::string("the test body") : "spawned at " + format_site(t->spawn_site)) +
        ") ";
    if (t->state == task_state::runnable) {
      out += "is runnable, about to " + std::string(op_name(t->op)) + " at " +
             format_site(t->op_site) + "\n";
      continue;
    }
    out += "is blocked in " + std::string(op_name(t->op));
    if (t->op_object != nullptr) out += " on " + describe(*t->op_object);
    out += " at " + format_site(t->op_site);
    if (t->op_object != nullptr && t->op_object->holder != no_task) {
      out += ", held by task \"" + task_label(t->op_object->holder) + "\"";
    }
    out += "\n";
  }
  return out;
}

// The wait-for graph of a deadlock or leak: every blocked task points at the object it waits
// on, and a lock points at the task holding it. Each task waits on one object and each lock has
// one holder, so following "waits for the holder of" from any task either stops or enters a
// cycle; every cycle is printed once, from its lowest task id (deterministic). Channels have no
// holder; for them the report says whether anyone besides the waiters still has a handle.
std::string scope::wait_for_graph() const {
  auto holder_of = [this](const task* t) -> const task* {
    if (t->state != task_state::blocked || t->op_object == nullptr) return nullptr;
    const task_id h = t->op_object->holder;
    if (h == no_task || h >= tasks_.size() || h == t->id) return nullptr;
    const task* next = tasks_[h];
    return next->state == task_state::finished ? nullptr : next;
  };
  auto object_name = [](const object_header& h) {
    return std::string(object_kind_name(h.kind)) + "#" + std::to_string(h.id);
  };
  std::string out = "  wait-for graph:\n";
  std::vector<bool> in_cycle(tasks_.size(), false);
  for (const task* start : tasks_) {
    // Walk at most tasks_.size() edges; a cycle through `start` comes back to it.
    const task* t = start;
    bool back = false;
    for (std::size_t k = 0; k < tasks_.size() && t != nullptr; ++k) {
      t = holder_of(t);
      if (t == start) {
        back = true;
        break;
      }
      if (t != nullptr && t->id < start->id) break;  // printed from its lowest id already
    }
    if (!back) continue;
    std::string line = "    cycle: \"" + task_label(start->id) + "\"";
    t = start;
    do {
      in_cycle[t->id] = true;
      const task* h = holder_of(t);
      line += " → " + object_name(*t->op_object) + " (held by \"" + task_label(h->id) + "\")";
      t = h;
    } while (t != start);
    out += line + "\n";
  }
  for (const task* t : tasks_) {
    if (t->state != task_state::blocked || in_cycle[t->id]) continue;
    std::string line = "    \"" + task_label(t->id) + "\" waits in " + op_name(t->op);
    const object_header* obj = t->op_object;
    if (obj == nullptr) {
      out += line + "\n";
      continue;
    }
    line += " on " + object_name(*obj);
    if (const task* h = holder_of(t)) {
      line += " (held by \"" + task_label(h->id) + "\", itself blocked)";
    } else if (obj->handle_count != nullptr) {
      long waiting = 0;
      for (const task* u : tasks_) {
        waiting += (u->state == task_state::blocked && u->op_object == obj) ? 1 : 0;
      }
      const long handles = obj->handle_count(obj->counted);
      const char* verb = t->op == op_kind::chan_send ? "receive from" : "send to or close";
      if (handles <= waiting) {
        line += ": no task besides the " + std::to_string(waiting) +
                " blocked on it holds this channel, so nobody can ever " + verb + " it";
      } else {
        line += ": " + std::to_string(handles - waiting) +
                " more handle(s) exist, but every task that could " + verb + " it is blocked";
      }
    }
    out += line + "\n";
  }
  return out;
}

// No task made progress for progress_steps scheduling points. The spinning task is the one that
// ran most often in the schedule tail (the last tail_shown steps); where it spins is its most
// recent site there.
void scope::report_livelock() {
  const std::uint64_t shown = std::min<std::uint64_t>(tail_count_, tail_shown);
  std::vector<std::pair<task_id, unsigned>> counts;
  const step_record* last_of_spinner = nullptr;
  for (std::uint64_t k = tail_count_ - shown; k < tail_count_; ++k) {
    const step_record& r = tail_[k & (tail_size - 1)];
    auto it = std::find_if(counts.begin(), counts.end(),
                           [&](const auto& c) { return c.first == r.task; });
    if (it == counts.end()) {
      counts.emplace_back(r.task, 1);
    } else {
      ++it->second;
    }
  }
  task_id spinner = no_task;
  unsigned most = 0;
  for (const auto& [id, n] : counts) {
    if (n > most || (n == most && id < spinner)) {
      spinner = id;
      most = n;
    }
  }
  for (std::uint64_t k = tail_count_ - shown; k < tail_count_; ++k) {
    const step_record& r = tail_[k & (tail_size - 1)];
    if (r.task == spinner) last_of_spinner = &r;
  }
  std::string where = "?";
  if (last_of_spinner != nullptr) {
    where = std::string(op_name(last_of_spinner->op)) + " at " + format_site(last_of_spinner->site);
  }
  const std::string name = spinner == no_task ? std::string("?") : task_label(spinner);
  report_failure(
      failure_kind::livelock,
      "no task made progress in " + std::to_string(steps_ - last_progress_) +
          " scheduling points; task \"" + name + "\" keeps running (" + where + ")",
      "  progress is a value passing through a channel, a lock released, a wait-group done, a "
      "task finishing, a timer firing, a store; since step " +
          std::to_string(last_progress_) + " the tasks have only polled, yielded or retried\n" +
          "  (the bound is options::progress_steps / WEFT_PROGRESS_STEPS, 0 = off)\n" +
          "  tasks still alive:\n" + blocked_task_lines());
}

void scope::end_with_blocked_tasks() {
  std::size_t blocked = 0;
  for (const task* t : tasks_) blocked += t->state == task_state::blocked ? 1 : 0;
  if (body_returned_) {
    report_failure(failure_kind::leak,
                   "the body returned but " + std::to_string(blocked) +
                       (blocked == 1 ? " task stays" : " tasks stay") + " blocked forever",
                   blocked_task_lines() + wait_for_graph());
  } else {
    report_failure(failure_kind::deadlock,
                   "every task is blocked and no timer can wake any of them",
                   blocked_task_lines() + wait_for_graph());
  }
}

void scope::report_failure(failure_kind kind, std::string headline, std::string evidence) {
  if (failure_.kind != failure_kind::none || tearing_down_) return;
  failure_.kind = kind;
  failure_.headline = std::move(headline);
  failure_.evidence = std::move(evidence);
  std::vector<std::string> sites;
  if (kind == failure_kind::deadlock || kind == failure_kind::leak) {
    for (const task* t : tasks_) {
      if (t->state == task_state::blocked) sites.push_back(format_site(t->op_site));
    }
    std::sort(sites.begin(), sites.end());
  } else if (current_ != nullptr) {
    sites.push_back(format_site(current_->spawn_site));
    sites.push_back(format_site(current_->op_site));
  }
  for (const std::string& site : sites) failure_.place += site + ";";
}

void scope::panic(const std::string& message, const weft::source_location& site) {
  task* t = current_;
  report_failure(failure_kind::panic, message,
                 "  in task \"" + (t != nullptr ? task_label(t->id) : std::string("?")) + "\" at " +
                     format_site(site) + "\n");
  if (std::uncaught_exceptions() == 0) throw task_unwind{};
  // A panic while the task is already unwinding (from a destructor): like a Go panic during a
  // panic, this cannot be recovered from.
  std::fprintf(stderr, "weft: panic while unwinding: %s\n", message.c_str());
  std::abort();
}

void scope::check_access(access_history& history, const object_header& h, bool write,
                         const weft::source_location& site) {
  task* t = current_;
  if (t == nullptr || tearing_down_ || failure_.kind != failure_kind::none) return;
  if (history.generation != generation_) {  // first access in this execution
    history = access_history{};
    history.generation = generation_;
  }
  const vector_clock& now = t->clock;
  const access_record mine{t->id, now.get(t->id), steps_, site};
  auto unordered = [&](const access_record& earlier) {
    return earlier.task != no_task && earlier.task != t->id &&
           earlier.epoch > now.get(earlier.task);
  };
  auto race = [&](const access_record& earlier, bool earlier_write) {
    auto line = [&](const access_record& a, bool is_write) {
      return std::string("  ") + (is_write ? "write" : "read") + " by task \"" +
             task_label(a.task) + "\" at " + format_site(a.site) + " (step " +
             std::to_string(a.step) + ")\n";
    };
    report_failure(
        failure_kind::data_race,
        describe(h) + " is " + (earlier_write ? "written" : "read") + " by task \"" +
            task_label(earlier.task) + "\" and " + (write ? "written" : "read") + " by task \"" +
            task_label(t->id) + "\" with no happens-before order between them",
        line(earlier, earlier_write) + line(mine, write) +
            "  nothing orders the two accesses (no channel operation, lock, wait group, once, "
            "atomic or other synchronization connects them), so another schedule can run them "
            "in either order or at the same time, whether or not this one did\n");
  };
  if (unordered(history.write)) {
    race(history.write, true);
    return;
  }
  if (!write) {
    if (history.shared) {
      for (access_record& r : history.reads) {
        if (r.task == t->id) {
          r = mine;
          return;
        }
      }
      history.reads.push_back(mine);
    } else if (unordered(history.read)) {
      history.shared = true;  // concurrent readers: keep one epoch per reader
      history.reads.clear();
      history.reads.push_back(history.read);
      history.reads.push_back(mine);
    } else {
      history.read = mine;
    }
    return;
  }
  if (history.shared) {
    for (const access_record& r : history.reads) {
      if (unordered(r)) {
        race(r, false);
        return;
      }
    }
  } else if (unordered(history.read)) {
    race(history.read, false);
    return;
  }
  history.shared = false;
  history.reads.clear();
  history.read = access_record{};
  history.write = mine;
}

void scope::teardown() {
  tearing_down_ = true;
  // Newest first: children are unwound before the tasks that may own what they reference.
  for (std::size_t i = live_ != 0 ? tasks_.size() : 0; i-- > 0;) {
    task* t = tasks_[i];
    if (t->state == task_state::finished) continue;
    if (t->started) {
      t->kill = true;
      current_ = t;
      fiber_switch(main_fiber_, t->fib);  // unwinds, then exits back here (or is abandoned)
      current_ = nullptr;
      if (t->state == task_state::finished) continue;
    }
    // Never started (its closure is destroyed here), or abandoned by teardown_point.
    t->fn.reset();
    t->state = task_state::finished;
    --live_;
    stacks_.release(t->fib.stack);
  }
  runnable_.clear();
  timers_.clear();
  armed_timers_ = 0;
  tearing_down_ = false;
}

// The schedule tail as a table, one column per task and one row per step, like Lincheck's
// interleaving traces: reading down a column shows what one task did, reading across shows who
// ran when. The site of each step is the last column (one step per row, so it is unambiguous).
// With more than max_table_columns tasks in the tail the table would not fit a terminal: it
// becomes one line per step naming the task.
std::string scope::describe_schedule_tail() const {
  const std::uint64_t shown = std::min<std::uint64_t>(tail_count_, tail_shown);
  std::string out = "  last " + std::to_string(shown) + " of " + std::to_string(steps_) +
                    " scheduling points (most recent last):\n";
  if (shown == 0) return out;
  // Columns: the tasks that appear in the tail, by id (deterministic).
  std::vector<task_id> columns;
  for (std::uint64_t k = tail_count_ - shown; k < tail_count_; ++k) {
    const task_id id = tail_[k & (tail_size - 1)].task;
    if (std::find(columns.begin(), columns.end(), id) == columns.end()) columns.push_back(id);
  }
  std::sort(columns.begin(), columns.end());
  auto cell_of = [](const step_record& r) {
    std::string c = op_name(r.op);
    if (r.object != object_kind::none) {
      c += " " + std::string(object_kind_name(r.object)) + "#" + std::to_string(r.object_id);
    }
    if (r.blocks) c += " (blocks)";
    return c;
  };
  std::vector<std::size_t> width(columns.size());
  std::size_t step_width = 4;
  for (std::size_t c = 0; c < columns.size(); ++c) {
    width[c] = columns[c] == no_task ? 1 : task_label(columns[c]).size();
  }
  for (std::uint64_t k = tail_count_ - shown; k < tail_count_; ++k) {
    const step_record& r = tail_[k & (tail_size - 1)];
    const std::size_t c = static_cast<std::size_t>(
        std::find(columns.begin(), columns.end(), r.task) - columns.begin());
    width[c] = std::max(width[c], cell_of(r).size());
    step_width = std::max(step_width, std::to_string(r.step).size() + 1);
  }
  auto pad = [](std::string text, std::size_t w) {
    // Task labels may hold multi-byte UTF-8; count code points, not bytes.
    std::size_t cps = 0;
    for (unsigned char ch : text) cps += (ch & 0xC0) != 0x80 ? 1 : 0;
    if (cps < w) text.append(w - cps, ' ');
    return text;
  };
  if (columns.size() > max_table_columns) {
    // Too many tasks for a readable table: one line per step, the task named on each.
    std::size_t name_width = 1;
    for (task_id id : columns) {
      name_width = std::max(name_width, id == no_task ? 1 : task_label(id).size());
    }
    std::size_t cell_width = 1;
    for (std::uint64_t k = tail_count_ - shown; k < tail_count_; ++k) {
      cell_width = std::max(cell_width, cell_of(tail_[k & (tail_size - 1)]).size());
    }
    for (std::uint64_t k = tail_count_ - shown; k < tail_count_; ++k) {
      const step_record& r = tail_[k & (tail_size - 1)];
      out += "    " + pad("#" + std::to_string(r.step), step_width) + " " +
             pad(r.task == no_task ? std::string("?") : task_label(r.task), name_width) + " " +
             pad(cell_of(r), cell_width) + " " + format_site(r.site) + "\n";
    }
    return out;
  }
  std::string header = "    " + pad("step", step_width);
  for (std::size_t c = 0; c < columns.size(); ++c) {
    header += " | " + pad(columns[c] == no_task ? "?" : task_label(columns[c]), width[c]);
  }
  out += header + " | at\n";
  for (std::uint64_t k = tail_count_ - shown; k < tail_count_; ++k) {
    const step_record& r = tail_[k & (tail_size - 1)];
    std::string line = "    " + pad("#" + std::to_string(r.step), step_width);
    for (std::size_t c = 0; c < columns.size(); ++c) {
      line += " | " + pad(columns[c] == r.task ? cell_of(r) : std::string(), width[c]);
    }
    out += line + " | " + format_site(r.site) + "\n";
  }
  return out;
}

// --- names -----------------------------------------------------------------------------------

const char* op_name(op_kind k) noexcept {
  switch (k) {
    case op_kind::start:
      return "start";
    case op_kind::yield:
      return "yield";
    case op_kind::spawn:
      return "go";
    case op_kind::finish:
      return "finish";
    case op_kind::choose:
      return "choose";
    case op_kind::sleep:
      return "sleep";
    case op_kind::chan_send:
      return "chan::send";
    case op_kind::chan_recv:
      return "chan::recv";
    case op_kind::chan_close:
      return "chan::close";
    case op_kind::select:
      return "select";
    case op_kind::mutex_lock:
      return "mutex::lock";
    case op_kind::mutex_try_lock:
      return "mutex::try_lock";
    case op_kind::mutex_unlock:
      return "mutex::unlock";
    case op_kind::rw_lock:
      return "rw_mutex::lock";
    case op_kind::rw_try_lock:
      return "rw_mutex::try_lock";
    case op_kind::rw_unlock:
      return "rw_mutex::unlock";
    case op_kind::rw_lock_shared:
      return "rw_mutex::lock_shared";
    case op_kind::rw_try_lock_shared:
      return "rw_mutex::try_lock_shared";
    case op_kind::rw_unlock_shared:
      return "rw_mutex::unlock_shared";
    case op_kind::wg_add:
      return "wait_group::add";
    case op_kind::wg_done:
      return "wait_group::done";
    case op_kind::wg_wait:
      return "wait_group::wait";
    case op_kind::once_call:
      return "once::call";
    case op_kind::cond_wait:
      return "cond_var::wait";
    case op_kind::cond_notify:
      return "cond_var::notify";
    case op_kind::sem_acquire:
      return "semaphore::acquire";
    case op_kind::sem_try_acquire:
      return "semaphore::try_acquire";
    case op_kind::sem_release:
      return "semaphore::release";
    case op_kind::atomic_load:
      return "atomic::load";
    case op_kind::atomic_store:
      return "atomic::store";
    case op_kind::atomic_rmw:
      return "atomic::read_modify_write";
    case op_kind::tracked_read:
      return "tracked::read";
    case op_kind::tracked_write:
      return "tracked::write";
    case op_kind::timer_op:
      return "timer";
    case op_kind::timer_fire:
      return "timer fires";
    case op_kind::ctx_cancel:
      return "context::cancel";
  }
  return "?";
}

bool op_is_read_only(op_kind k) noexcept {
  switch (k) {
    case op_kind::atomic_load:
    case op_kind::tracked_read:
    case op_kind::yield:
    case op_kind::start:
    case op_kind::choose:
      return true;
    default:
      return false;
  }
}

const char* object_kind_name(object_kind k) noexcept {
  switch (k) {
    case object_kind::none:
      return "object";
    case object_kind::channel:
      return "chan";
    case object_kind::mutex:
      return "mutex";
    case object_kind::rw_mutex:
      return "rw_mutex";
    case object_kind::wait_group:
      return "wait_group";
    case object_kind::once:
      return "once";
    case object_kind::cond_var:
      return "cond_var";
    case object_kind::semaphore:
      return "semaphore";
    case object_kind::atomic:
      return "atomic";
    case object_kind::tracked:
      return "tracked";
    case object_kind::timer:
      return "timer";
    case object_kind::context:
      return "context";
  }
  return "object";
}

}  // namespace weft::detail
