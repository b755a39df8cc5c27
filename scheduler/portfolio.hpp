// scheduler/portfolio.hpp — rotates executions between random, pct (d = 1, 2, 3) and pos.
#pragma once

#include <array>
#include <cstdint>
#include <memory>

#include "strategy.hpp"

namespace weft::detail {

/// No single randomized strategy wins on every bug: a random walk finds shallow bugs with many
/// interleavings fastest, PCT with a small d finds bugs that need a few precise orderings, POS
/// finds bugs that need a particular partial order among many commuting operations. The
/// portfolio runs execution i with member i % 5 of
///
///     random, pct (d = 1), pct (d = 2), pct (d = 3), pos
///
/// each seeded independently from the master seed, so its odds on any bug are at least a fifth of
/// the best member's, and execution i still depends only on (seed, i).
class portfolio_strategy final : public strategy {
 public:
  portfolio_strategy(std::uint64_t seed, std::uint64_t unfair_steps);

  bool begin_execution(std::uint64_t index) override;
  std::size_t pick(const decision_point& d) override { return current_->pick(d); }
  std::uint64_t choose(std::uint64_t n) override { return current_->choose(n); }
  void forced(const decision_point& d) override { current_->forced(d); }
  bool wants_forced() const override { return current_->wants_forced(); }
  void wait_group_changed(std::int64_t delta, std::int64_t counter) override {
    current_->wait_group_changed(delta, counter);
  }
  void end_execution() override { current_->end_execution(); }
  const char* name() const override { return "portfolio"; }

  static constexpr std::size_t size = 5;
  /// The member that runs execution `index`, e.g. "pct" (several members share a name).
  const strategy& member_for(std::uint64_t index) const noexcept { return *members_[index % size]; }

 private:
  std::array<std::unique_ptr<strategy>, size> members_;
  strategy* current_;  // invariant: one of members_
};

}  // namespace weft::detail
