// scheduler/guided.hpp — follows a guide of choices and fills every gap with the schedule that
// preempts nobody. The schedule shrinker (src/shrink.cpp) edits a failing schedule's guide and
// re-runs it through this strategy.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "strategy.hpp"

namespace weft::detail {

/// One entry of a guide.
struct guide_entry {
  enum class kind : std::uint8_t {
    by_default,  ///< take the default
    index,       ///< the index-th option, whatever it is (a recorded schedule, before editing)
    task,        ///< pick this task if it is a candidate (survives edits that shift the choices)
    task_when_free,  ///< let the running task go on while it can; then this task, if there
    value,           ///< a data choice: this value if it is in range
  };
  kind what = kind::by_default;
  std::uint64_t value = 0;
  bool operator==(const guide_entry&) const = default;
};

/// Plays the k-th guide entry at the k-th choice when the program offers it; otherwise (a
/// by_default entry, a task that is not a candidate, a value out of range, the guide used up) it
/// takes the default: the task that reached the scheduling point if it can go on (no
/// preemption), else the runnable task with the lowest id, and 0 for data choices. Unlike replay
/// it never reports a divergence: the shrinker expects edited schedules to run differently.
/// `taken()` lists what the last execution actually chose, as task and value entries.
class guided_strategy final : public strategy {
 public:
  explicit guided_strategy(std::vector<guide_entry> guide) : guide_(std::move(guide)) {}

  bool begin_execution(std::uint64_t) override {
    position_ = 0;
    taken_.clear();
    return true;
  }
  std::size_t pick(const decision_point& d) override {
    const std::size_t n = d.candidates.size();
    auto index_of = [&](std::uint64_t task) {
      for (std::size_t i = 0; i < n; ++i) {
        if (d.candidates[i].task == task) return i;
      }
      return n;
    };
    // "Once the running task blocks or ends": not consumed while it can go on; a task entry
    // naming a task that is not there is skipped in favour of the next entry.
    while (position_ < guide_.size() &&
           guide_[position_].what == guide_entry::kind::task_when_free) {
      if (index_of(d.running) < n) return take(d, index_of(d.running));
      const std::size_t i = index_of(guide_[position_++].value);
      if (i < n) return take(d, i);
    }
    const guide_entry g = next();
    std::size_t chosen = n;
    if (g.what == guide_entry::kind::index && g.value < n) {
      chosen = static_cast<std::size_t>(g.value);
    } else if (g.what == guide_entry::kind::task) {
      chosen = index_of(g.value);
    }
    return take(d, chosen < n ? chosen : default_pick(d));
  }
  std::uint64_t choose(std::uint64_t n) override {
    const guide_entry g = next();
    const bool usable =
        (g.what == guide_entry::kind::index || g.what == guide_entry::kind::value) && g.value < n;
    const std::uint64_t v = usable ? g.value : 0;
    taken_.push_back({guide_entry::kind::value, v});
    return v;
  }
  const char* name() const override { return "guided"; }

  const std::vector<guide_entry>& taken() const noexcept { return taken_; }

 private:
  std::size_t take(const decision_point& d, std::size_t i) {
    taken_.push_back({guide_entry::kind::task, d.candidates[i].task});
    return i;
  }
  static std::size_t default_pick(const decision_point& d) noexcept {
    std::size_t lowest = d.candidates.size();
    for (std::size_t i = 0; i < d.candidates.size(); ++i) {
      if (d.candidates[i].task == d.running) return i;
      if (lowest == d.candidates.size() && d.candidates[i].task != time_task) lowest = i;
    }
    return lowest < d.candidates.size() ? lowest : 0;
  }
  guide_entry next() noexcept {
    return position_ < guide_.size() ? guide_[position_++] : guide_entry{};
  }

  std::vector<guide_entry> guide_;
  std::size_t position_ = 0;  // invariant: <= guide_.size()
  std::vector<guide_entry> taken_;
};

}  // namespace weft::detail
