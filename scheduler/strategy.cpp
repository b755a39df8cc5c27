// scheduler/strategy.cpp — the strategy factory.
#include "strategy.hpp"

#include "random.hpp"

namespace weft::detail {

std::unique_ptr<strategy> make_strategy(const options& opts) {
  switch (opts.strategy) {
    case weft::strategy::random:
      return std::make_unique<random_strategy>(opts.seed);
    case weft::strategy::pct:
    case weft::strategy::pos:
    case weft::strategy::dfs:
    case weft::strategy::portfolio:
      break;
  }
  // Strategies not built yet fall back to random: see the README's status section.
  return std::make_unique<random_strategy>(opts.seed);
}

}  // namespace weft::detail
