// weft/context.hpp — Go's context: cancellation and deadlines that flow down a tree of tasks.
//
//   auto [ctx, cancel] = weft::with_timeout(weft::context::background(), std::chrono::seconds(2));
//   weft::go([ctx = ctx] {
//     while (!ctx.err()) {
//       weft::select(weft::on_recv(jobs, handle),
//                    weft::on_recv(ctx.done()));        // stops waiting once ctx is done
//     }
//   });
//   ...
//   cancel();   // always call it when done: it releases the context's timer and its parent link
//
// A context is a cheap copyable handle. `done()` is a channel that is closed when the context is
// cancelled or its deadline passes; `err()` then says why (weft::errc::canceled or
// weft::errc::deadline_exceeded, compared as `ctx.err() == weft::errc::canceled`). Cancelling a
// context cancels every context derived from it, with the same error; a child never outlives its
// parent's deadline (its deadline() is the earlier of the two). The background context is never
// cancelled and has no deadline; its done() channel is never closed.
//
// Time: deadlines run on weft's clock (virtual inside a scope). A deadline that no task waits on
// through done() (directly or through a derived context, alone or in a select) does not keep
// virtual time moving, so a deadlock beside it is still a deadlock; a context whose deadline has
// passed reports it from err() and done() even if its timer has not fired yet.
//
// Blocking: nothing here blocks except receiving from done(). Inside a scope calling `cancel` is
// a scheduling point; creating contexts, done(), err() and deadline() are not. `cancel` is
// idempotent and may be called from any task (outside a scope, any thread).
// Misuse: a context made inside a scope belongs to that execution (like a channel).
#pragma once

#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <system_error>
#include <type_traits>
#include <variant>

#include "weft/chan.hpp"
#include "weft/detail/source_location.hpp"
#include "weft/time.hpp"

namespace weft {

/// Why a context is done.
enum class errc {
  canceled = 1,       ///< its cancel function (or an ancestor's) was called
  deadline_exceeded,  ///< its deadline (or an ancestor's) passed
};

/// The "weft" error category of weft::errc.
const std::error_category& weft_category() noexcept;
std::error_code make_error_code(errc e) noexcept;

}  // namespace weft

template <>
struct std::is_error_code_enum<weft::errc> : std::true_type {};

namespace weft {

struct cancel_scope;
class context;

namespace detail {
struct ctx_state;  // src/context.cpp
/// Shared by the with_* functions: a child of `parent`, with its own deadline if given.
cancel_scope make_child_context(const context& parent, std::optional<clock::time_point> deadline,
                                const weft::source_location& site);
/// True if `h` may be used from here right now: a production object outside any scope, or an
/// object of the execution that is running and not being torn down. Destructors that would
/// operate on their object check this first (an object may die after its execution ended).
bool usable_now(const object_header& h) noexcept;
}  // namespace detail

class context {
 public:
  /// The background context (same as background()).
  context() noexcept = default;
  /// The root of every context tree: never cancelled, no deadline.
  static context background() noexcept { return context(); }

  /// Closed when the context is cancelled or past its deadline. For the background context, a
  /// new channel that is never closed.
  chan<std::monostate> done(weft::source_location site = weft::source_location::current()) const;
  /// {} while live; weft::errc::canceled or weft::errc::deadline_exceeded once done.
  std::error_code err() const;
  /// When the context will be done by itself, if ever (the earliest deadline on its path).
  std::optional<clock::time_point> deadline() const;

  friend bool operator==(const context& a, const context& b) noexcept {
    return a.state_ == b.state_;
  }

 private:
  friend cancel_scope detail::make_child_context(const context& parent,
                                                 std::optional<clock::time_point> deadline,
                                                 const weft::source_location& site);
  explicit context(std::shared_ptr<detail::ctx_state> state) noexcept : state_(std::move(state)) {}
  std::shared_ptr<detail::ctx_state> state_;  // null: the background context
};

/// A derived context and the function that cancels it (`auto [ctx, cancel] = with_cancel(p);`).
struct cancel_scope {
  context ctx;
  std::function<void()> cancel;
};

/// A child of `parent` that is done when `cancel` is called or the parent is done.
cancel_scope with_cancel(const context& parent,
                         weft::source_location site = weft::source_location::current());
/// A child of `parent` that is also done once `d` has passed (capped by the parent's deadline).
cancel_scope with_timeout(const context& parent, clock::duration d,
                          weft::source_location site = weft::source_location::current());
/// A child of `parent` that is also done at `t` (capped by the parent's deadline; a time already
/// passed gives a context that is done at once with errc::deadline_exceeded).
cancel_scope with_deadline(const context& parent, clock::time_point t,
                           weft::source_location site = weft::source_location::current());

}  // namespace weft
