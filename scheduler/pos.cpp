// scheduler/pos.cpp — POS (Yuan, Yang, Gu, CAV 2018); see pos.hpp for the contract.
#include "pos.hpp"

namespace weft::detail {

bool pos_strategy::races(const candidate& a, const candidate& b) noexcept {
  return a.object != 0 && a.object == b.object && !(op_is_read_only(a.op) && op_is_read_only(b.op));
}

bool pos_strategy::begin_execution(std::uint64_t index) {
  rng_.reseed(seed_ ^ mix_seed(index));
  priorities_.clear();
  time_priority_ = 0;
  last_picked_ = no_task;
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
  if (d.running != last_picked_ && d.running != no_task) priority(d.running) = 0;
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
  const candidate& ran = d.candidates[top];
  for (std::size_t i = 0; i < d.candidates.size(); ++i) {
    if (i != top && races(d.candidates[i], ran)) priority(d.candidates[i].task) = rng_.next() | 1;
  }
  priority(ran.task) = 0;
  last_picked_ = ran.task;
  return top;
}

}  // namespace weft::detail
