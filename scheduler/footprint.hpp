// scheduler/footprint.hpp — where a pending operation can have effects, and the conservative
// "may not commute" relation built on it. One definition for the strategies that reason about
// commuting operations: dfs (its sleep sets) and pos (which priorities to re-draw).
#pragma once

#include <cstdint>

#include "strategy.hpp"

namespace weft::detail {

enum class footprint : std::uint8_t { local, object, global };

// Local operations touch no shared object (object 0 and a known local kind); select names only
// its first channel, cancelling a context reaches its children and their done channels, timer
// operations reach the timer's channel, and firing the clock can do any of these: all global.
inline footprint footprint_of(task_id task, op_kind op, std::uint32_t object) noexcept {
  if (task == time_task) return footprint::global;
  switch (op) {
    case op_kind::start:
    case op_kind::spawn:
    case op_kind::yield:
    case op_kind::choose:
    case op_kind::sleep:
    case op_kind::finish:
      return footprint::local;
    case op_kind::select:
    case op_kind::ctx_cancel:
    case op_kind::timer_op:
    case op_kind::timer_fire:
      return footprint::global;
    default:
      return object != 0 ? footprint::object : footprint::global;
  }
}

// Whether two pending operations may not commute: the clock conflicts with everything, local
// operations with nothing else, global ones with every non-local one, and two operations on one
// object unless both only read it.
inline bool may_conflict(task_id ta, op_kind oa, std::uint32_t a, task_id tb, op_kind ob,
                         std::uint32_t b) noexcept {
  if (ta == time_task || tb == time_task) return true;
  const footprint fa = footprint_of(ta, oa, a);
  const footprint fb = footprint_of(tb, ob, b);
  if (fa == footprint::local || fb == footprint::local) return false;
  if (fa == footprint::global || fb == footprint::global) return true;
  return a == b && !(op_is_read_only(oa) && op_is_read_only(ob));
}

}  // namespace weft::detail
