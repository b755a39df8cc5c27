// scheduler/random.hpp — uniform random walk over the candidates at every scheduling point.
#pragma once

#include "strategy.hpp"

namespace weft::detail {

/// Picks uniformly among the candidates at each step, with the seed of execution i derived from
/// the master seed and i (so any execution can be re-run on its own and shards are independent).
/// Simple, and surprisingly good at shallow bugs; PCT and POS beat it on deep ones.
class random_strategy final : public strategy {
 public:
  explicit random_strategy(std::uint64_t seed) noexcept : seed_(seed) {}
  bool begin_execution(std::uint64_t index) override {
    rng_.reseed(seed_ ^ mix_seed(index));
    return true;
  }
  std::size_t pick(const decision_point& d) override { return rng_.below(d.candidates.size()); }
  std::uint64_t choose(std::uint64_t n) override { return rng_.below(n); }
  prng* uniform_generator() noexcept override { return &rng_; }  // pick and choose: one draw
  const char* name() const override { return "random"; }

 private:
  std::uint64_t seed_;
  prng rng_;
};

}  // namespace weft::detail
