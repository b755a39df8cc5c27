// scheduler/strategy.hpp — the one interface every exploration strategy implements.
//
// The engine calls `pick` at every scheduling point where more than one candidate could go next,
// and `choose` for every other explored choice (select arm, timer tie, weft::choose). A strategy
// sees only task ids and pending operations (kind + object id): it knows nothing of primitives.
// Recording the schedule, replay and metrics wrap strategies; they do not live inside them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "weft/detail/runtime.hpp"
#include "weft/options.hpp"

namespace weft::detail {

/// The pseudo-task offered under time_policy::explored: "fire the earliest pending deadline now".
inline constexpr task_id time_task = no_task - 1;

/// One thing that could run next: a task and the operation it will perform when it runs.
struct candidate {
  task_id task;
  op_kind op;
  std::uint32_t object;  // object id within the execution, 0 when the op touches no object
};

struct decision_point {
  std::span<const candidate> candidates;  // invariant: size() >= 2, sorted by task id
  std::uint64_t step;                     // scheduling points so far in this execution
  task_id running;                        // the task that reached this point (may be blocked now)
  /// True when the engine also reports every scheduling point that offers no choice, through
  /// strategy::forced. An engine that does not leaves it false (the default).
  bool forced_reported = false;
  /// True when `candidates` offers the time pseudo-task and firing it would only end sleeps: every
  /// timer due up to the earliest deadline that can wake someone is a sleep, so advancing the
  /// clock wakes sleepers and touches no shared object (no channel, context or condition
  /// variable). Not part of choice::check: replay tokens are unaffected.
  bool time_ends_sleeps = false;
};

/// One explored choice as recorded in a schedule: `index` among `n` options. `check` digests
/// what was offered (candidate tasks and their operations) so that a replay notices the first
/// step where the program behaves differently.
struct choice {
  std::uint32_t n;
  std::uint32_t index;
  std::uint8_t check;
};

/// The digest stored in choice::check for a pick: the number of candidates and what the chosen
/// one was about to do. O(1): it is computed at every recorded decision.
inline std::uint8_t decision_check(std::size_t n, const candidate& c) noexcept {
  std::uint32_t h = 2166136261u;
  h = (h ^ static_cast<std::uint32_t>(n)) * 16777619u;
  h = (h ^ c.task) * 16777619u;
  // wg_done is digested as wg_add, as before it existed: older tokens stay valid.
  const op_kind op = c.op == op_kind::wg_done ? op_kind::wg_add : c.op;
  h = (h ^ static_cast<std::uint32_t>(op)) * 16777619u;
  h = (h ^ c.object) * 16777619u;
  return static_cast<std::uint8_t>(h ^ (h >> 8) ^ (h >> 16) ^ (h >> 24));
}
/// The same, for the candidate at `index` of a decision point.
inline std::uint8_t decision_check(const decision_point& d, std::size_t index) noexcept {
  return decision_check(d.candidates.size(), d.candidates[index]);
}
/// The digest stored for a data choice among n.
inline std::uint8_t choose_check(std::uint64_t n) noexcept {
  return static_cast<std::uint8_t>(0xA5u ^ (n * 0x9Du));
}

class prng;

class strategy {
 public:
  virtual ~strategy() = default;
  /// Prepares execution `index` (0-based). False: nothing left to explore (exhaustive strategies).
  virtual bool begin_execution(std::uint64_t index) = 0;
  /// Index into `d.candidates` of the one that goes next.
  virtual std::size_t pick(const decision_point& d) = 0;
  /// A data choice in [0, n), n >= 2.
  virtual std::uint64_t choose(std::uint64_t n) = 0;
  /// A scheduling point without a choice: `d.candidates` holds the one task that runs next (or
  /// the time pseudo-task when nothing is runnable and the clock jumps), and size() may be 1.
  /// Nothing is recorded. Only dfs listens: a dependency can sit in a step that nobody chose, and
  /// partial-order reduction must see it. Engines that call this set
  /// decision_point::forced_reported on every point they report.
  virtual void forced(const decision_point& d) { (void)d; }
  /// Whether this strategy listens to `forced` in the execution that begin_execution prepared.
  /// The engine asks once per execution and reports forced points only then, so that the
  /// strategies that ignore them pay nothing on the hot path.
  virtual bool wants_forced() const { return false; }
  /// A strategy whose every pick and data choice is one uniform draw from a single generator
  /// returns that generator: the engine then draws from it itself, saving a virtual call at every
  /// scheduling point. Contract for a non-null result, for the execution that begin_execution
  /// prepared: pick(d) is exactly `gen->below(d.candidates.size())`, choose(n) is exactly
  /// `gen->below(n)`, and nothing else is done by either (so the draws, hence the schedule, are
  /// the same whichever way they are made). The engine asks once per execution.
  virtual prng* uniform_generator() noexcept { return nullptr; }
  /// wait_group::add(delta) (wait_group::done is add(-1)), the operation announced at the last
  /// scheduling point, has just run and left the counter at `counter`. The announcement cannot
  /// say this: other tasks may change the counter between it and the operation. dfs uses it to
  /// let decrements commute. Reported only in executions where wants_forced() is true.
  virtual void wait_group_changed(std::int64_t delta, std::int64_t counter) {
    (void)delta;
    (void)counter;
  }
  /// Called when an execution ends (after the last pick).
  virtual void end_execution() {}
  /// Exhaustive strategies: true once every schedule within their bound has been run.
  virtual bool exhausted() const { return false; }
  virtual const char* name() const = 0;
};

/// The strategy selected by `opts` (not replay; see replay.hpp).
std::unique_ptr<strategy> make_strategy(const options& opts);

/// splitmix64 (Steele, Lea, Flood, OOPSLA 2014): the seed mixer behind every per-execution seed.
inline std::uint64_t mix_seed(std::uint64_t x) noexcept {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

/// xoshiro256** (Blackman & Vigna, 2018): fast, small-state PRNG for strategies. Deterministic
/// for a given seed on every platform.
///
/// One output is kept ready ahead (`ahead_`): a scheduling decision waits for its draw, and with
/// the output computed at the previous draw the decision's critical path is one multiply instead
/// of the generator's loads, multiplies and rotations, which now overlap with the rest of the
/// step. The sequence of outputs is the same either way.
class prng {
 public:
  explicit prng(std::uint64_t seed = 0) noexcept { reseed(seed); }
  void reseed(std::uint64_t seed) noexcept {
    // The first four outputs of SplitMix64 started at `seed` (mix_seed(seed + i * golden) is its
    // i-th output), as Blackman and Vigna recommend for seeding xoshiro. The four are independent
    // of each other, so they are computed in parallel: this runs at the start of every execution.
    for (std::uint64_t i = 0; i < 4; ++i) s_[i] = mix_seed(seed + i * 0x9e3779b97f4a7c15ULL);
    ahead_ = advance();
  }
  std::uint64_t next() noexcept {
    const std::uint64_t result = ahead_;
    ahead_ = advance();
    return result;
  }
  /// Uniform in [0, n) (Lemire's multiply-shift; the tiny bias is irrelevant for scheduling).
  std::uint64_t below(std::uint64_t n) noexcept {
    return static_cast<std::uint64_t>((static_cast<unsigned __int128>(next()) * n) >> 64);
  }

 private:
  // One xoshiro256** step: returns the output and moves the state on.
  std::uint64_t advance() noexcept {
    const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }
  static std::uint64_t rotl(std::uint64_t x, int k) noexcept { return (x << k) | (x >> (64 - k)); }
  std::uint64_t s_[4];
  std::uint64_t ahead_;  // invariant: the output advance() returned last, not yet handed out
};

}  // namespace weft::detail
