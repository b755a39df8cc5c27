// scheduler/strategy.cpp — the strategy factory.
#include "strategy.hpp"

#include "dfs.hpp"
#include "pct.hpp"
#include "portfolio.hpp"
#include "pos.hpp"
#include "random.hpp"

namespace weft::detail {

std::unique_ptr<strategy> make_strategy(const options& opts) {
  switch (opts.strategy) {
    case weft::strategy::random:
      return std::make_unique<random_strategy>(opts.seed);
    case weft::strategy::pct:
      return std::make_unique<pct_strategy>(opts.seed, opts.pct_depth, opts.unfair_steps);
    case weft::strategy::pos:
      return std::make_unique<pos_strategy>(opts.seed, opts.unfair_steps);
    case weft::strategy::dfs:
      return std::make_unique<dfs_strategy>(opts.preemption_bound, opts.unfair_steps);
    case weft::strategy::portfolio:
      return std::make_unique<portfolio_strategy>(opts.seed, opts.unfair_steps);
  }
  return std::make_unique<random_strategy>(opts.seed);
}

}  // namespace weft::detail
