// src/engine_inline.hpp — the engine's hot path, inlined into every scheduling point: the step
// and park that primitives call, the decision in its common case, the switch, and the records
// they keep. Included by engine.cpp and by the primitives' sources (sync.cpp), so that a
// primitive reaches the switch without a call in between: the fewer frames between a primitive
// and the switch, the fewer returns the resumed task makes before its next call, each one a
// chance for a mispredicted return (see fiber.cpp). Everything here is a member of scope or a
// helper of one; scope::step and scope::park (engine.cpp) are the out-of-line entry points.
#pragma once

#include <algorithm>

#include "engine.hpp"

namespace weft::detail {

inline bool id_below(const task* t, task_id id) noexcept { return t->id < id; }

// Most programs have a handful of runnable tasks: for them one pass finds the slot and shifts the
// rest, cheaper than a binary search and a call to memmove. Many runnable tasks (a wake-up of
// thousands) take the binary search.
inline constexpr std::size_t few_runnable = 16;

[[gnu::always_inline]] inline void scope::remove_runnable(task* t) noexcept {
  const std::size_t n = runnable_.size();
  if (n <= few_runnable) {
    task** r = runnable_.data();
    std::size_t i = 0;
    while (i < n && r[i] != t) ++i;
    if (i == n) return;
    for (; i + 1 < n; ++i) r[i] = r[i + 1];
    runnable_.pop_back();
    return;
  }
  auto it = std::lower_bound(runnable_.begin(), runnable_.end(), t->id, id_below);
  if (it != runnable_.end() && *it == t) runnable_.erase(it);
}

// It runs at every scheduling point, and its call frame cost more than its stores.
[[gnu::always_inline]] inline void scope::record_step(op_kind op, const object_header* obj,
                                                      const weft::source_location& site,
                                                      bool blocks) {
  step_record& r = tail_[tail_count_ & (tail_size - 1)];
  r.step = steps_;
  r.task = current_ != nullptr ? current_->id : no_task;
  r.op = op;
  r.object = obj != nullptr ? obj->kind : object_kind::none;
  r.object_id = obj != nullptr ? obj->id : 0;
  r.blocks = blocks;
  r.site = site;
  ++tail_count_;
  if (trace_ != nullptr) {
    trace_->step(r.task, op, r.object, r.object_id, trace_time(), steps_, site, blocks);
    if (blocks) trace_->blocked(r.task, trace_time());
  }
}

// Operations that change shared state whenever they run: a task performing one is not spinning.
// Operations whose effect depends on what they find (a receive, a lock, a select, a CAS) count
// when they complete something: through wake() or note_progress(). A loop that only reads,
// yields, fails try-locks or receives from a closed channel makes none.
inline constexpr bool op_makes_progress(op_kind op) noexcept {
  switch (op) {
    case op_kind::spawn:
    case op_kind::finish:
    case op_kind::sleep:
    case op_kind::chan_close:
    case op_kind::mutex_unlock:
    case op_kind::rw_unlock:
    case op_kind::rw_unlock_shared:
    case op_kind::wg_add:
    case op_kind::wg_done:
    case op_kind::once_call:
    case op_kind::cond_notify:
    case op_kind::sem_release:
    case op_kind::atomic_store:
    case op_kind::tracked_write:
    case op_kind::timer_fire:
    case op_kind::ctx_cancel:
      return true;
    default:
      return false;
  }
}

// step and park, with switch_to inlined into them, are what the wrappers of runtime.hpp
// (detail::step, detail::park) and the primitives of sync.cpp run (see the top of this file).
[[gnu::always_inline]] inline void scope::step_inline(op_kind op, const object_header* obj,
                                                      const weft::source_location& site) {
  if (tearing_down_) {
    teardown_point(op, false);
    return;
  }
  if (op_makes_progress(op)) last_progress_ = steps_;
  task* self = current_;
  self->op = op;
  self->op_object = obj;
  self->op_object_id = obj != nullptr ? obj->id : 0;
  self->op_site = site;
  record_step(op, obj, site);
  task* next = choose_next_inline();
  if (next != self) switch_to(next);
}

[[gnu::always_inline]] inline bool scope::park_inline(op_kind op, const object_header* obj,
                                                      const weft::source_location& site) {
  if (tearing_down_) {
    teardown_point(op, true);
    return false;
  }
  task* self = current_;
  self->op = op;
  self->op_object = obj;
  self->op_object_id = obj != nullptr ? obj->id : 0;
  self->op_site = site;
  record_step(op, obj, site, true);
  self->state = task_state::blocked;
  remove_runnable(self);
  task* next = choose_next_inline();
  if (next != self) switch_to(next);
  return !tearing_down_;
}

[[gnu::always_inline]] inline void scope::switch_to(task* next) {
  task* self = current_;
  if (next == nullptr) {
    ended_ = true;
    current_ = nullptr;
    fiber_switch(self->fib, main_fiber_);
  } else {
    current_ = next;
    fiber_switch(self->fib, next->fib);
  }
  // Resumed (current_ == self again). Teardown resumes a task only to unwind it.
  if (self->kill) teardown_point(self->op, false);
}

// Every recorded choice goes through here: the schedule and its running hash stay in step. The
// hash chain is off the critical path of a decision (nothing waits for it).
[[gnu::always_inline]] inline void scope::record_choice(choice c) {
  choices_.push(c);
  schedule_hash_ = ((schedule_hash_ ^ c.index) * fnv_prime ^ c.n) * fnv_prime;
}

// decide_pick for a uniform strategy (uniform_generator) when the candidates are exactly the
// runnable tasks: the draw needs only their number and the recorded check only the chosen one,
// so the candidate list is not built. Records the same choice, check and preemption count as
// decide_pick would. (A uniform strategy is never the replay strategy and ignores forced
// points, so neither needs looking at here.)
[[gnu::always_inline]] inline task* scope::pick_uniform(std::size_t n) {
  const std::size_t index = static_cast<std::size_t>(uniform_->below(n));
  task* t = runnable_[index];
  const candidate c{t->id, t->op, t->op_object_id};
  if (current_ != nullptr) {
    const bool switched = t != current_;  // arithmetic, not a branch: see decide_pick
    const bool could_go_on = current_->state == task_state::runnable;
    preemptions_ += static_cast<std::uint64_t>(switched & could_go_on);
  }
  record_choice(
      {static_cast<std::uint32_t>(n), static_cast<std::uint32_t>(index), decision_check(n, c)});
  return t;
}

// The common case of choose_next, inlined into every scheduling point: no failure, no limit
// reached, no timer armed, and either one runnable task that no strategy needs to hear about or a
// uniform strategy's draw. Anything else takes choose_next, from the same state (nothing is
// changed before the fall-back), so both return the same task and record the same choice.
[[gnu::always_inline]] inline task* scope::choose_next_inline() {
  const std::uint64_t step = steps_ + 1;
  const std::size_t n = runnable_.size();
  const bool common =
      failure_.kind == failure_kind::none && step <= opts_.max_steps &&
      (step - last_progress_ <= opts_.progress_steps || opts_.progress_steps == 0) &&
      armed_timers_ == 0;
  if (common) {
    if (n == 0 && live_ == 0) {  // every task finished: the execution ends
      steps_ = step;
      return nullptr;
    }
    if (n == 1 && !report_forced_) {
      steps_ = step;
      return runnable_[0];
    }
    if (n > 1 && uniform_ != nullptr) {
      steps_ = step;
      return pick_uniform(n);
    }
  }
  return choose_next();
}

}  // namespace weft::detail
