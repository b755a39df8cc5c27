// weft/detail/vector_clock.hpp — vector clocks for the happens-before relation (Lamport 1978;
// Mattern 1989). One component per task of the execution, indexed by task id; missing components
// are zero, so clocks only grow as far as the tasks they have heard of.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

namespace weft::detail {

class vector_clock {
 public:
  std::uint32_t get(std::uint32_t task) const noexcept { return task < c_.size() ? c_[task] : 0; }
  void set(std::uint32_t task, std::uint32_t value) {
    if (task >= c_.size()) c_.resize(task + 1, 0);
    c_[task] = value;
  }
  void tick(std::uint32_t task) { set(task, get(task) + 1); }
  /// this = max(this, other), component-wise.
  void join(const vector_clock& other) {
    if (other.c_.size() > c_.size()) c_.resize(other.c_.size(), 0);
    for (std::size_t i = 0; i < other.c_.size(); ++i) c_[i] = std::max(c_[i], other.c_[i]);
  }
  /// Keeps the allocation: clocks are reused across executions.
  void clear() noexcept { c_.clear(); }
  bool empty() const noexcept { return c_.empty(); }
  std::size_t size() const noexcept { return c_.size(); }

 private:
  std::vector<std::uint32_t> c_;
};

}  // namespace weft::detail
