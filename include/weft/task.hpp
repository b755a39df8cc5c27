// weft/task.hpp — starting tasks, yielding, and explored nondeterministic choice.
//
// `go` starts a task: inside a deterministic scope a fiber scheduled by weft, outside a detached
// std::thread (like a goroutine, it is not joined; use a wait_group or a channel to wait for it).
//
//   weft::wait_group wg;
//   wg.add(2);
//   weft::go("producer", [&] { produce(); wg.done(); });
//   weft::go([&] { consume(); wg.done(); });
//   wg.wait();
//
// Blocking: `go` itself never blocks, but inside a scope it is a scheduling point *after* the new
// task exists: the child may run first, or the parent may continue.
//
// Lifetime: inside a scope, tasks may outlive the body (they then run to completion after it
// returns, or are reported as leaked if they stay blocked). A task must therefore not use the
// body's stack locals once the body may have returned. Share state through handles (`chan` is a
// handle) or a std::shared_ptr captured by value:
//
//   auto state = std::make_shared<my_state>();
//   weft::go([state] { state->work(); });   // safe even if the body returns first
//
// Errors: an exception escaping a task fails the scope with kind `uncaught_exception` (outside a
// scope it reaches std::terminate, as an unrecovered Go panic ends the process).
//
// End of an execution: when an execution ends with tasks still alive (a failure, or a leak), weft
// unwinds each of them, newest first, by throwing an internal exception (not derived from
// std::exception) at the blocking call it waits in, or at its next one; its destructors run and
// nothing leaks into the next execution. Meanwhile primitives neither block nor report. So a
// `catch (...)` in a task must rethrow (a task that swallows the unwind again and again is
// abandoned without its destructors). A destructor that blocks (a RAII joiner waiting for tasks)
// cannot be thrown through (destructors are noexcept): if an execution ends while a task waits
// inside one that runs in normal flow, weft abandons that task there — its remaining destructors
// do not run, so what they would free stays allocated — and reports the failure as usual.
// weft's own blocking destructor (~worker_pool) finishes instead, and the task is unwound after
// it. Joining explicitly before the owner goes out of scope avoids the abandonment.
#pragma once

#include <cstdint>
#include <string>
#include <thread>
#include <utility>
#include "weft/detail/source_location.hpp"

#include "weft/detail/function.hpp"
#include "weft/detail/runtime.hpp"

namespace weft {

namespace detail {
// By reference: the name and the closure are moved once, into the task record.
void spawn(scope& s, std::string&& name, task_fn&& fn, const weft::source_location& site);
/// Creates a task without a scheduling point: for engine callbacks that run between steps
/// (a timer firing, e.g. after_func), where no task may switch.
void spawn_from_event(scope& s, std::string&& name, task_fn&& fn,
                      const weft::source_location& site);
std::uint64_t production_choose(std::uint64_t n);
std::uint64_t scope_choose(scope& s, std::uint64_t n, const weft::source_location& site);
void scope_yield(scope& s, const weft::source_location& site);
}  // namespace detail

/// True inside a deterministic scope (while a weft::explore / run / check execution runs).
inline bool in_scope() noexcept { return detail::current_scope() != nullptr; }

/// Starts `fn` as a new named task; names appear in reports.
template <class F>
void go(std::string name, F&& fn, weft::source_location site = weft::source_location::current()) {
  if (detail::scope* s = detail::current_scope()) {
    detail::spawn(*s, std::move(name), detail::task_fn(std::forward<F>(fn)), site);
  } else {
    std::thread(std::forward<F>(fn)).detach();
  }
}

/// Starts `fn` as a new task (named "task-N" in reports, N its creation index).
template <class F>
void go(F&& fn, weft::source_location site = weft::source_location::current()) {
  go(std::string{}, std::forward<F>(fn), site);
}

/// A bare scheduling point (std::this_thread::yield outside a scope).
inline void yield(weft::source_location site = weft::source_location::current()) {
  if (detail::scope* s = detail::current_scope()) {
    detail::scope_yield(*s, site);
  } else {
    std::this_thread::yield();
  }
}

/// An explored nondeterministic choice in [0, n): inside a scope the strategy decides and the
/// choice is recorded in the schedule (so replays repeat it); outside, uniformly random.
/// Misuse: n == 0 is a usage_error (a panic inside a scope).
inline std::uint64_t choose(std::uint64_t n,
                            weft::source_location site = weft::source_location::current()) {
  if (detail::scope* s = detail::current_scope()) return detail::scope_choose(*s, n, site);
  return detail::production_choose(n);
}

}  // namespace weft
