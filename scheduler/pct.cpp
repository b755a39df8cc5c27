// scheduler/pct.cpp — PCT (Burckhardt et al., ASPLOS 2010); see pct.hpp for the contract.
#include "pct.hpp"

#include <algorithm>

namespace weft::detail {
namespace {

constexpr std::uint64_t high_band = std::uint64_t{1} << 63;  // never-demoted priorities
constexpr std::uint64_t low_start = std::uint64_t{1} << 62;  // first demoted priority
constexpr std::uint64_t unassigned = 0;                      // no priority drawn yet

// The ladder of step estimates; see pct.hpp for why k is drawn rather than measured.
constexpr std::uint64_t k_ladder[] = {8, 32, 128, 512, 2048, 8192};

}  // namespace

pct_strategy::pct_strategy(std::uint64_t seed, int depth, std::uint64_t unfair_steps) noexcept
    : seed_(seed), depth_(depth < 1 ? 1 : depth), unfair_steps_(unfair_steps) {}

bool pct_strategy::begin_execution(std::uint64_t index) {
  rng_.reseed(seed_ ^ mix_seed(index));
  priorities_.clear();
  time_priority_ = high_band | rng_.next();
  next_low_ = low_start;
  decisions_ = 0;
  next_change_ = 0;
  change_points_.clear();
  k_ = k_ladder[rng_.below(std::size(k_ladder))];
  // d − 1 distinct change points, uniform over 1..k (fewer if k is smaller than that).
  const auto wanted = std::min<std::uint64_t>(static_cast<std::uint64_t>(depth_ - 1), k_);
  while (change_points_.size() < wanted) {
    const std::uint64_t c = 1 + rng_.below(k_);
    if (std::find(change_points_.begin(), change_points_.end(), c) == change_points_.end()) {
      change_points_.push_back(c);
    }
  }
  std::sort(change_points_.begin(), change_points_.end());
  return true;
}

std::uint64_t& pct_strategy::priority(task_id t) {
  if (t == time_task) return time_priority_;
  // Tasks are numbered in creation order, so drawing for every id up to t, in order, keeps the
  // draws independent of which tasks happen to be candidates now.
  while (priorities_.size() <= t) priorities_.push_back(high_band | rng_.next());
  return priorities_[t];
}

void pct_strategy::demote(task_id t) { priority(t) = --next_low_; }

std::size_t pct_strategy::highest(const decision_point& d) {
  std::size_t best = 0;
  std::uint64_t best_priority = unassigned;
  for (std::size_t i = 0; i < d.candidates.size(); ++i) {
    const std::uint64_t p = priority(d.candidates[i].task);
    if (i == 0 || p > best_priority) {  // candidates are sorted by id: ties keep the lower id
      best = i;
      best_priority = p;
    }
  }
  return best;
}

std::size_t pct_strategy::pick(const decision_point& d) {
  ++decisions_;
  if (decisions_ > unfair_steps_) return rng_.below(d.candidates.size());
  std::size_t top = highest(d);
  if (next_change_ < change_points_.size() && change_points_[next_change_] == decisions_) {
    ++next_change_;
    demote(d.candidates[top].task);
    top = highest(d);
  }
  if (d.candidates[top].op == op_kind::yield) {
    demote(d.candidates[top].task);
    top = highest(d);
  }
  return top;
}

}  // namespace weft::detail
