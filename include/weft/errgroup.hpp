// weft/errgroup.hpp — a group of tasks working on one job (golang.org/x/sync/errgroup).
//
//   weft::errgroup g(parent_ctx);          // g.ctx() is cancelled on the first failure
//   g.set_limit(4);                        // at most 4 tasks at once
//   for (const auto& url : urls) {
//     g.go([ctx = g.ctx(), url] { fetch(ctx, url); });   // throw to fail, or return an error_code
//   }
//   g.wait();                              // waits for all, then rethrows the first failure
//
// `go(fn)` starts fn in a task. fn returns void (it fails by throwing) or std::error_code (a
// non-empty code is a failure, rethrown by wait() as std::system_error). The first failure is
// kept, and with a parent context it cancels ctx() so that the others can stop early; later
// failures are dropped. An exception inside a group task is captured for wait(), never reported
// as an uncaught exception. wait() also cancels ctx() once every task has finished, like Go's.
//
// Blocking: go() blocks while the limit is reached; try_go() returns false instead; wait()
// blocks until every task started so far has finished. Inside a scope these are scheduling
// points (the limit is a buffered channel, the bookkeeping a weft::mutex and wait_group).
// Misuse: set_limit while tasks of the group are running is a panic (weft::usage_error outside
// a scope), as in Go. With set_limit(0), go() blocks forever and try_go() always fails.
// Lifetime: the tasks share the group's state, so the errgroup may be destroyed before they end
// (but then nobody waits for them).
#pragma once

#include <atomic>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <type_traits>
#include <utility>
#include <variant>

#include "weft/chan.hpp"
#include "weft/context.hpp"
#include "weft/detail/source_location.hpp"
#include "weft/mutex.hpp"
#include "weft/select.hpp"
#include "weft/task.hpp"
#include "weft/wait_group.hpp"

namespace weft {

class errgroup {
 public:
  /// A group without a context (ctx() is the background context).
  explicit errgroup(weft::source_location site = weft::source_location::current())
      : state_(std::make_shared<state>(site)) {}
  /// A group whose ctx() derives from `parent` and is cancelled by the first failure.
  explicit errgroup(const context& parent,
                    weft::source_location site = weft::source_location::current())
      : state_(std::make_shared<state>(site)) {
    cancel_scope derived = with_cancel(parent, site);
    ctx_ = derived.ctx;
    state_->cancel = std::move(derived.cancel);
  }
  errgroup(const errgroup&) = delete;
  errgroup& operator=(const errgroup&) = delete;

  /// The group's context: done after the first failure, or once wait() returned.
  const context& ctx() const noexcept { return ctx_; }

  /// At most `n` tasks of the group run at once (n < 0: no limit). Panics while tasks run.
  void set_limit(int n, weft::source_location site = weft::source_location::current()) {
    const int active = state_->active.load();
    if (active != 0) {
      detail::panic(detail::current_scope(),
                    "errgroup::set_limit: modify limit while " + std::to_string(active) +
                        " tasks of the group are still active",
                    site);
    }
    if (n < 0) {
      state_->slots.reset();
    } else {
      state_->slots.emplace(static_cast<std::size_t>(n), site);
    }
  }

  /// Starts fn() in a new task, first waiting for a free slot if a limit is set.
  template <class F>
  void go(F&& fn, weft::source_location site = weft::source_location::current()) {
    go(std::string("errgroup"), std::forward<F>(fn), site);
  }
  /// The same, with a task name for reports.
  template <class F>
  void go(std::string name, F&& fn, weft::source_location site = weft::source_location::current()) {
    if (state_->slots) state_->slots->send(std::monostate{}, site);
    start(std::move(name), std::forward<F>(fn), site);
  }

  /// Starts fn() only if a slot is free now; false (fn not started) at the limit.
  template <class F>
  bool try_go(F&& fn, weft::source_location site = weft::source_location::current()) {
    if (state_->slots) {
      const std::size_t taken =
          weft::select(on_send(*state_->slots, std::monostate{}, {}, site), on_default({}, site));
      if (taken != 0) return false;
    }
    start(std::string("errgroup"), std::forward<F>(fn), site);
    return true;
  }

  /// Waits for every task started so far, cancels ctx(), then rethrows the first failure.
  void wait(weft::source_location site = weft::source_location::current()) {
    state_->tasks.wait(site);
    if (state_->cancel) state_->cancel();
    state_->mutex.lock(site);
    std::exception_ptr first = state_->first;
    state_->mutex.unlock(site);
    if (first) std::rethrow_exception(first);
  }

 private:
  struct state {
    explicit state(const weft::source_location& site) : tasks(site), mutex(site) {}
    wait_group tasks;
    weft::mutex mutex;                          // guards `first`
    std::exception_ptr first;                   // the first failure
    std::function<void()> cancel;               // empty without a parent context
    std::optional<chan<std::monostate>> slots;  // the limit: one value per running task
    std::atomic<int> active{0};                 // tasks started and not finished

    void fail(std::exception_ptr error, const weft::source_location& site) {
      mutex.lock(site);
      const bool was_first = !first;
      if (was_first) first = std::move(error);
      mutex.unlock(site);
      if (was_first && cancel) cancel();
    }
  };

  template <class F>
  void start(std::string name, F&& fn, const weft::source_location& site) {
    state_->tasks.add(1, site);
    state_->active.fetch_add(1);
    weft::go(
        std::move(name),
        [st = state_, fn = std::forward<F>(fn), site]() mutable {
          std::exception_ptr error;
          try {
            if constexpr (std::is_convertible_v<std::invoke_result_t<std::decay_t<F>&>,
                                                std::error_code>) {
              if (std::error_code ec = fn()) error = std::make_exception_ptr(std::system_error(ec));
            } else {
              static_assert(std::is_void_v<std::invoke_result_t<std::decay_t<F>&>>,
                            "errgroup::go: fn must return void or std::error_code");
              fn();
            }
          } catch (...) {
            error = std::current_exception();
            if (detail::is_task_unwind(error)) throw;  // weft unwinding the task: not a failure
          }
          // Outside the handler: recording the failure takes scheduling points.
          if (error) st->fail(std::move(error), site);
          if (st->slots) st->slots->recv(site);
          st->active.fetch_sub(1);
          st->tasks.done(site);
        },
        site);
  }

  std::shared_ptr<state> state_;
  context ctx_;
};

}  // namespace weft
