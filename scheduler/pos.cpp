// scheduler/pos.cpp — POS (Yuan, Yang, Gu, CAV 2018); see pos.hpp for the contract.
#include "pos.hpp"

#include "footprint.hpp"

namespace weft::detail {

bool pos_strategy::races(const candidate& a, const candidate& b) noexcept {
  return may_conflict(a.task, a.op, a.object, b.task, b.op, b.object);
}

bool pos_strategy::begin_execution(std::uint64_t index) {
  rng_.reseed(seed_ ^ mix_seed(index));
  priorities_.clear();
  time_priority_ = 0;
  last_picked_ = no_task;
  last_pick_step_ = 0;
  decisions_ = 0;
  return true;
}

std::uint64_t& pos_strategy::priority(task_id t) {
  if (t == time_task) return time_priority_;
  if (priorities_.size() <= t) priorities_.resize(static_cast<std::size_t>(t) + 1, 0);
  return priorities_[t];
}

std::size_t pos_strategy::pick(const decision_point& d) {
  ++decisions_;
  if (decisions_ > unfair_steps_) return rng_.below(d.candidates.size());
  // The task that reached this point ran since we last picked if it is not the one we picked
  // (it ran through scheduling points that offered no choice): its pending operation is new.
  // Unless nothing ran at all: a firing is followed by another pick at the same scheduling
  // point, and the task that reached it has not executed its pending operation yet.
  const bool fired_here = last_picked_ == time_task && d.step == last_pick_step_;
  if (!fired_here && d.running != last_picked_ && d.running != no_task) priority(d.running) = 0;
  last_pick_step_ = d.step;
  // Firing that only ends sleeps races with nothing: taken at once (see pos.hpp). The time
  // pseudo-candidate is always last (its id is the largest).
  if (d.time_ends_sleeps && d.candidates.back().task == time_task) {
    time_priority_ = 0;  // the next firing is a new event
    last_picked_ = time_task;
    return d.candidates.size() - 1;
  }
  std::size_t top = 0;
  std::uint64_t top_priority = 0;
  for (std::size_t i = 0; i < d.candidates.size(); ++i) {
    std::uint64_t& p = priority(d.candidates[i].task);
    if (p == 0) p = rng_.next() | 1;  // in candidate (id) order: deterministic draws
    if (p > top_priority) {           // ties (probability ~2^-63) keep the lower id
      top = i;
      top_priority = p;
    }
  }
  // The time pseudo-task races with nothing here: what a firing does next is its woken tasks'
  // operations, which get priorities of their own when they become candidates.
  const candidate& ran = d.candidates[top];
  for (std::size_t i = 0; i < d.candidates.size(); ++i) {
    const candidate& c = d.candidates[i];
    if (i != top && c.task != time_task && ran.task != time_task && races(c, ran)) {
      priority(c.task) = rng_.next() | 1;
    }
  }
  priority(ran.task) = 0;
  last_picked_ = ran.task;
  return top;
}

}  // namespace weft::detail
