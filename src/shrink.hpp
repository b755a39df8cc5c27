// src/shrink.hpp — schedule shrinking: from a failing schedule to one with fewer preemptions and
// fewer steps that fails the same way.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "engine.hpp"
#include "scheduler/guided.hpp"

namespace weft::detail {

struct shrink_outcome {
  std::vector<guide_entry> guide;  // run it with guided_strategy to get the shrunk schedule
  std::uint64_t preemptions = 0;   // of the shrunk schedule
  std::uint64_t steps = 0;
  std::uint64_t replays = 0;  // executions the search ran
  bool improved = false;      // the guide differs from the failing schedule's
  /// dfs searched every bound below `preemptions` without finding this failure.
  bool minimal = false;
};

/// Searches, within `budget` executions, for a schedule that fails with `target`'s kind at its
/// place (failure_record::place) with fewer preemptions, then fewer steps, than `failing`, which
/// ran with `preemptions` and `steps`.
shrink_outcome shrink_schedule(const options& opts, const std::function<void()>& body,
                               const std::vector<choice>& failing, const failure_record& target,
                               std::uint64_t preemptions, std::uint64_t steps,
                               std::uint64_t budget);

/// Kinds worth shrinking: those tied to a place in the program. Not step_limit, livelock,
/// too_many_tasks (any long schedule shows them) or nondeterminism (not a schedule's fault).
bool shrinkable(failure_kind k) noexcept;

}  // namespace weft::detail
