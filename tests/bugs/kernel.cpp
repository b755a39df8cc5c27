#include "kernel.hpp"

#include <algorithm>
#include <cstring>

namespace weft::bugs {
namespace {

struct registry_state {
  std::vector<kernel> kernels;
  bool sorted = true;
};

registry_state& state() {
  static registry_state s;
  return s;
}

}  // namespace

std::vector<kernel>& registry() {
  registry_state& s = state();
  if (!s.sorted) {
    // Static initialisation order across translation units is unspecified: sort so that every
    // run (and every shard) sees the kernels in the same order.
    std::sort(s.kernels.begin(), s.kernels.end(),
              [](const kernel& a, const kernel& b) { return std::strcmp(a.name, b.name) < 0; });
    s.sorted = true;
  }
  return s.kernels;
}

registrar::registrar(kernel k) {
  registry_state& s = state();
  s.kernels.push_back(k);
  s.sorted = false;
}

}  // namespace weft::bugs
