// weft/time.hpp — weft's clock and sleeping: virtual inside a deterministic scope, real outside.
//
//   auto start = weft::clock::now();
//   weft::sleep_for(std::chrono::hours(24));   // in a scope: instant in wall time
//   assert(weft::clock::now() - start == std::chrono::hours(24));
//
// Inside a scope time starts at 2000-01-01T00:00:00Z at the beginning of every execution and
// only moves forward, from one deadline to the next: when every task is blocked it jumps to the
// earliest deadline that can wake someone; under time_policy::explored (the default) the
// strategy may also fire that deadline at any scheduling point, as if the running tasks were slow,
// so a timeout racing ordinary work is explored both ways. A sleeping task is never a deadlock.
// Outside a scope `now()` is std::chrono::steady_clock's and sleeping really sleeps.
#pragma once

#include <chrono>
#include "weft/detail/source_location.hpp"

namespace weft {

/// A std::chrono Clock (steady). Inside a scope its epoch is the Unix epoch and it starts at
/// 2000-01-01T00:00:00Z; outside it is steady_clock's reading.
struct clock {
  using duration = std::chrono::nanoseconds;
  using rep = duration::rep;
  using period = duration::period;
  using time_point = std::chrono::time_point<clock, duration>;
  static constexpr bool is_steady = true;
  static time_point now() noexcept;
};

/// Blocks the calling task for `d` (virtual time in a scope). A scheduling point even when d <= 0.
void sleep_for(clock::duration d, weft::source_location site = weft::source_location::current());
/// Blocks the calling task until `t` (virtual time in a scope).
void sleep_until(clock::time_point t,
                 weft::source_location site = weft::source_location::current());

}  // namespace weft
