// scheduler/portfolio.cpp — see portfolio.hpp.
#include "portfolio.hpp"

#include "pct.hpp"
#include "pos.hpp"
#include "random.hpp"

namespace weft::detail {

namespace {
// Member j's seed: the master seed pushed through splitmix64 with a per-member offset, so members
// share no stream even though random, pct and pos all derive execution seeds the same way.
std::uint64_t member_seed(std::uint64_t seed, std::uint64_t j) noexcept {
  return mix_seed(seed + 0x632be59bd9b4e019ULL * (j + 1));
}
}  // namespace

portfolio_strategy::portfolio_strategy(std::uint64_t seed, std::uint64_t unfair_steps)
    : members_{std::make_unique<random_strategy>(member_seed(seed, 0)),
               std::make_unique<pct_strategy>(member_seed(seed, 1), 1, unfair_steps),
               std::make_unique<pct_strategy>(member_seed(seed, 2), 2, unfair_steps),
               std::make_unique<pct_strategy>(member_seed(seed, 3), 3, unfair_steps),
               std::make_unique<pos_strategy>(member_seed(seed, 4), unfair_steps)},
      current_(members_[0].get()) {}

bool portfolio_strategy::begin_execution(std::uint64_t index) {
  current_ = members_[index % size].get();
  return current_->begin_execution(index);
}

}  // namespace weft::detail
