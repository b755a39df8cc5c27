// scheduler/replay.hpp — re-runs one recorded schedule, choice by choice.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "strategy.hpp"

namespace weft::detail {

/// Feeds back the choices of a recorded schedule. Whenever what the program offers differs from
/// what was recorded (another number of candidates, other tasks or operations, or choices left
/// over or missing), it notes the first differing step: the engine then ends the execution with
/// kind `nondeterminism` instead of silently running a different schedule.
class replay_strategy final : public strategy {
 public:
  explicit replay_strategy(std::vector<choice> choices) : choices_(std::move(choices)) {}

  bool begin_execution(std::uint64_t) override {
    position_ = 0;
    divergence_.clear();
    return true;
  }
  std::size_t pick(const decision_point& d) override {
    return next(d.candidates.size(), d.step,
                [&d](std::uint32_t index) { return decision_check(d, index); });
  }
  std::uint64_t choose(std::uint64_t n) override {
    return next(n, no_step, [n](std::uint32_t) { return choose_check(n); });
  }
  const char* name() const override { return "replay"; }

  bool diverged() const noexcept { return !divergence_.empty(); }
  /// Why the run diverged (empty if it did not).
  const std::string& divergence() const noexcept { return divergence_; }
  /// True when every recorded choice was consumed.
  bool complete() const noexcept { return position_ == choices_.size(); }
  std::size_t position() const noexcept { return position_; }

 private:
  static constexpr std::uint64_t no_step = ~std::uint64_t{0};

  template <class Check>
  std::size_t next(std::uint64_t n, std::uint64_t step, Check check_of) {
    if (diverged()) return 0;
    auto where = [&] {
      return "at choice " + std::to_string(position_ + 1) +
             (step == no_step ? std::string() : " (step " + std::to_string(step) + ")");
    };
    if (position_ >= choices_.size()) {
      divergence_ = where() + " this run made a choice the recorded schedule does not have (it " +
                    "recorded " + std::to_string(choices_.size()) + " choices)";
      return 0;
    }
    const choice& c = choices_[position_];
    if (c.n != n || c.check != check_of(c.index)) {
      divergence_ = where() + " the recorded schedule offered " + std::to_string(c.n) +
                    " options, this run offers " + std::to_string(n) +
                    (c.n == n ? " different ones (other tasks or operations)" : "");
      return 0;
    }
    ++position_;
    return c.index;
  }

  std::vector<choice> choices_;
  std::size_t position_ = 0;
  std::string divergence_;
};

}  // namespace weft::detail
