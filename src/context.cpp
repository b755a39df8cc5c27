// src/context.cpp — contexts in both worlds, and weft's error category.
//
// A context is a node of a tree. Each node keeps strong references to its live children (so a
// cancellation reaches every descendant) and a weak one to its parent (so a child cancelled on its
// own can leave its parent's list). A node with a deadline earlier than its parent's owns a timer:
// inside a scope a detail::timer_event in the engine's heap, outside the production timer
// thread's real_timer. A node whose parent's deadline comes first has no timer of its own: the
// parent's cancellation reaches it.
//
// Cancelling never switches tasks: the cancel function takes one scheduling point first, then
// the whole cascade (closing done channels, waking their receivers, disarming timers) is plain
// state change, which is also what a deadline firing between scheduling points needs.
//
// Production locking: a node's `mutex` guards its error and children; it is never held while
// locking another node (the cascade runs after unlocking, as in Go). Order: node mutex, then the
// timer lock, then a channel's lock. The timer thread cancels from outside its own lock.
#include "weft/context.hpp"
#include "weft/detail/tsan.hpp"

#include <mutex>
#include <string>
#include <vector>

#include "engine.hpp"
#include "weft/timer.hpp"

namespace weft {

// --- error category --------------------------------------------------------------------------

namespace {

class weft_error_category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "weft"; }
  std::string message(int ev) const override {
    switch (static_cast<errc>(ev)) {
      case errc::canceled:
        return "context canceled";
      case errc::deadline_exceeded:
        return "context deadline exceeded";
    }
    return "unknown weft error " + std::to_string(ev);
  }
  // So that generic code can test `ec == std::errc::timed_out` / `operation_canceled`.
  std::error_condition default_error_condition(int ev) const noexcept override {
    switch (static_cast<errc>(ev)) {
      case errc::canceled:
        return std::make_error_condition(std::errc::operation_canceled);
      case errc::deadline_exceeded:
        return std::make_error_condition(std::errc::timed_out);
    }
    return std::error_condition(ev, *this);
  }
};

}  // namespace

const std::error_category& weft_category() noexcept {
  static const weft_error_category category;
  return category;
}

std::error_code make_error_code(errc e) noexcept {
  return std::error_code(static_cast<int>(e), weft_category());
}

namespace detail {

bool usable_now(const object_header& h) noexcept {
  scope* s = current_scope();
  if (h.owner == nullptr) return s == nullptr;
  return s == h.owner && h.generation == s->generation() && !s->tearing_down();
}

namespace {

std::int64_t steady_now_ns() noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

// --- ctx_state -------------------------------------------------------------------------------

struct ctx_state final : timer_event, real_timer, std::enable_shared_from_this<ctx_state> {
  explicit ctx_state(const weft::source_location& site) : done_ch(site) {
    register_object(header, object_kind::context, site);
  }

  object_header header;
  chan<std::monostate> done_ch;     // closed exactly when `error` becomes non-empty
  std::optional<std::int64_t> due;  // deadline in clock nanoseconds; immutable once published
  bool owns_timer = false;          // immutable once published
  // Production: guarded by `mutex`.
  std::error_code error;                             // set once, never cleared
  std::vector<std::shared_ptr<ctx_state>> children;  // live children, in creation order
  std::weak_ptr<ctx_state> parent;                   // reset once cancelled
  std::mutex mutex;

  // --- inside a scope: the deadline ---
  // Happens-before: the creator published its history into header.clock; whoever observes the
  // deadline (a done() receiver, err()) acquires it through the done channel's close clock.
  void fire(scope& s) override {
    cancel(&s, make_error_code(errc::deadline_exceeded), true, nullptr, &header.clock);
  }

  // Only a task waiting on done() of this node or of a descendant could be woken.
  bool can_wake() const override { return has_waiter(); }

  bool has_waiter() const {
    if (done_ch.state().recvq.peek_claimable() != nullptr) return true;
    for (const auto& c : children) {
      if (c->has_waiter()) return true;
    }
    return false;
  }

  // --- production: the deadline ---
  std::optional<std::int64_t> expire_locked(std::int64_t,
                                            std::vector<std::function<void()>>& later) override {
    later.emplace_back([self = shared_from_this()] {
      self->cancel(nullptr, make_error_code(errc::deadline_exceeded), true, nullptr, nullptr);
    });
    return std::nullopt;
  }

  /// Cancels this node and every descendant with `e`; `s` is null in production. `detach`:
  /// also leave the parent's list (false when the parent itself is cancelling us). Inside a
  /// scope the observers of the cancellation acquire the history of `canceller` (a task calling
  /// cancel) or else `origin` (a deadline: its creator's).
  void cancel(scope* s, std::error_code e, bool detach, task* canceller,
              const vector_clock* origin) {
    std::vector<std::shared_ptr<ctx_state>> kids;
    std::shared_ptr<ctx_state> p;
    {
      std::unique_lock<std::mutex> lock;
      if (s == nullptr) lock = std::unique_lock(mutex);
      if (error) return;
      error = e;
      auto& st = done_ch.state();
      {
        std::unique_lock<std::mutex> chan_lock;
        if (s == nullptr) chan_lock = std::unique_lock(st.mutex);
        if (!st.closed) {
          if (s != nullptr && canceller == nullptr && origin != nullptr) {
            st.close_clock.join(*origin);
          }
          st.close_waking_all(s != nullptr ? canceller : nullptr);
        }
      }
      kids.swap(children);
      if (detach) p = parent.lock();
      parent.reset();
      if (owns_timer) {
        if (s != nullptr) {
          disarm(*s, *this);
        } else {
          auto timer_lock = real_timer_lock();
          real_disarm_locked(timer_lock, *this);
        }
      }
    }
    for (auto& k : kids) k->cancel(s, e, false, canceller, origin);
    if (p != nullptr) p->remove_child(s, this);
  }

  void remove_child(scope* s, const ctx_state* child) {
    std::unique_lock<std::mutex> lock;
    if (s == nullptr) lock = std::unique_lock(mutex);
    for (auto it = children.begin(); it != children.end(); ++it) {
      if (it->get() == child) {
        children.erase(it);
        return;
      }
    }
  }

  std::int64_t now(scope* s) const noexcept {
    return s != nullptr ? virtual_now(*s) : steady_now_ns();
  }

  /// A deadline that has passed counts even before its timer fires (inside a scope, a deadline
  /// tied with the event that woke the caller may not have fired yet).
  void expire_if_due(scope* s) {
    if (due && now(s) >= *due) expire(s);
  }

  // The deadline passed: cancelled with deadline_exceeded on behalf of whoever set it (an
  // inherited deadline's owner is an ancestor, whose creation also happened before ours).
  void expire(scope* s) {
    cancel(s, make_error_code(errc::deadline_exceeded), true, nullptr, &header.clock);
  }

  std::error_code current_error(scope* s) {
    if (s != nullptr) {
      // Observing the cancellation synchronizes like receiving from the closed done channel.
      if (error) hb_acquire(*s, done_ch.state().close_clock, running_task(*s));
      return error;
    }
    std::lock_guard lock(mutex);
    return error;
  }
};

cancel_scope make_child_context(const context& parent, std::optional<clock::time_point> deadline,
                                const weft::source_location& site) {
  auto st = std::make_shared<ctx_state>(site);
  scope* s = check_use(st->header, "with_cancel");
  tsan_guard tsan(s);  // weft state: invisible to TSan (tsan.hpp)
  const std::shared_ptr<ctx_state>& p = parent.state_;
  if (p != nullptr) check_use(p->header, "with_cancel");  // the parent must be of this world
  const bool live = s == nullptr || !tearing_down(*s);

  // The deadline: the earlier of ours and the parent's; a timer only if ours is earlier.
  const std::optional<std::int64_t> parent_due = p != nullptr ? p->due : std::nullopt;
  if (deadline) {
    const std::int64_t mine = deadline->time_since_epoch().count();
    if (!parent_due || mine < *parent_due) {
      st->due = mine;
      st->owns_timer = true;
    }
  }
  if (!st->owns_timer) st->due = parent_due;

  // Join the parent's tree, unless it is done already.
  std::error_code parent_error;
  if (p != nullptr && live) {
    p->expire_if_due(s);
    std::unique_lock<std::mutex> lock;
    if (s == nullptr) lock = std::unique_lock(p->mutex);
    parent_error = p->error;
    if (!parent_error) {
      p->children.push_back(st);
      st->parent = p;
    }
  }

  if (parent_error) {
    st->cancel(s, parent_error, false, nullptr, &p->done_ch.state().close_clock);
  } else if (st->owns_timer && live) {
    if (s != nullptr) hb_release(*s, st->header.clock, running_task(*s));  // see fire()
    if (*st->due <= st->now(s)) {
      st->expire(s);
    } else if (s != nullptr) {
      keep_for_execution(*s, st);  // the engine's heap may point at it until the execution ends
      arm(*s, *st, *st->due);
    } else {
      std::lock_guard lock(st->mutex);  // a concurrent cancel disarms under this lock
      if (!st->error) {
        auto timer_lock = real_timer_lock();
        real_arm_locked(timer_lock, st, *st->due);
      }
    }
  }

  auto cancel = [st, site] {
    scope* cs = check_use(st->header, "context cancel");
    tsan_guard tsan(cs);  // weft state: invisible to TSan (tsan.hpp)
    if (cs != nullptr) {
      if (tearing_down(*cs)) return;
      step(*cs, op_kind::ctx_cancel, &st->header, site);
    }
    st->cancel(cs, make_error_code(errc::canceled), true,
               cs != nullptr ? running_task(*cs) : nullptr, nullptr);
  };
  return cancel_scope{context(std::move(st)), std::move(cancel)};
}

}  // namespace detail

// --- context ---------------------------------------------------------------------------------

chan<std::monostate> context::done(weft::source_location site) const {
  if (state_ == nullptr) return chan<std::monostate>(site);
  auto& st = *state_;
  detail::scope* s = detail::check_use(st.header, "context::done");
  detail::tsan_guard tsan(s);  // weft state: invisible to TSan (tsan.hpp)
  if (s == nullptr || !detail::tearing_down(*s)) st.expire_if_due(s);
  return st.done_ch;
}

std::error_code context::err() const {
  if (state_ == nullptr) return {};
  auto& st = *state_;
  detail::scope* s = detail::check_use(st.header, "context::err");
  detail::tsan_guard tsan(s);  // weft state: invisible to TSan (tsan.hpp)
  if (s == nullptr || !detail::tearing_down(*s)) st.expire_if_due(s);
  return st.current_error(s);
}

std::optional<clock::time_point> context::deadline() const {
  if (state_ == nullptr || !state_->due) return std::nullopt;
  detail::check_use(state_->header, "context::deadline");
  return clock::time_point(clock::duration(*state_->due));
}

cancel_scope with_cancel(const context& parent, weft::source_location site) {
  return detail::make_child_context(parent, std::nullopt, site);
}

cancel_scope with_timeout(const context& parent, clock::duration d, weft::source_location site) {
  const std::int64_t due = detail::deadline_after(clock::now().time_since_epoch().count(), d);
  return detail::make_child_context(parent, clock::time_point(clock::duration(due)), site);
}

cancel_scope with_deadline(const context& parent, clock::time_point t, weft::source_location site) {
  return detail::make_child_context(parent, t, site);
}

}  // namespace weft
