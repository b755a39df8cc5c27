// src/schedule.hpp — a recorded schedule (every explored choice of one execution) and its replay
// token: one printable line, versioned and checksummed.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "scheduler/strategy.hpp"
#include "weft/options.hpp"

namespace weft::detail {

struct recorded_schedule {
  std::vector<choice> choices;
  std::uint64_t steps = 0;      // scheduling points of the whole execution
  std::uint32_t test_hash = 0;  // hash of options::test_name; 0 = not bound to a test
  weft::time_policy time_policy = weft::time_policy::explored;
  std::uint64_t max_steps = 0;
  std::uint64_t max_live_tasks = 0;
  std::uint64_t progress_steps = 0;  // 0: livelock detection off
  /// Shrinking proved that no schedule with fewer preemptions fails the same way.
  bool minimal = false;
};

inline constexpr std::string_view token_prefix = "w1.";

/// Encodes a schedule as "w1.<base64url payload>", the payload ending in a CRC-32.
std::string encode_token(const recorded_schedule& s);
/// Decodes a token; throws weft::usage_error saying exactly what is wrong with a malformed one.
recorded_schedule decode_token(std::string_view token);

/// Runs a recorded schedule under the options it was recorded with (those that change what an
/// execution does: time policy and the step, task and progress bounds).
inline void apply_recorded(options& o, const recorded_schedule& r) noexcept {
  o.time_policy = r.time_policy;
  o.max_steps = r.max_steps;
  o.max_live_tasks = r.max_live_tasks;
  o.progress_steps = r.progress_steps;
}

/// FNV-1a of a test name; 0 is reserved for "no test".
std::uint32_t test_name_hash(std::string_view name) noexcept;

/// For a single replay of options::replay: decodes it, checks that it was recorded by the test
/// now running, and applies the options it was recorded with to `opts`. Throws usage_error for a
/// malformed token or another test's; `source` names what the user handed over ("the replay
/// token (WEFT_REPLAY)") and `remedy` says where the right test is named.
recorded_schedule load_replay(options& opts, std::string_view source, std::string_view remedy);

}  // namespace weft::detail
