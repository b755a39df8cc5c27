// weft/timer.hpp — Go's timers: after, timer, ticker and after_func, on weft's clock.
//
//   weft::chan<int> result;
//   weft::select(
//       weft::on_recv(result, [](std::optional<int> v) { use(*v); }),
//       weft::on_recv(weft::after(std::chrono::seconds(1)), [](auto) { give_up(); }));
//
//   weft::ticker tick(std::chrono::milliseconds(100));
//   for (int i = 0; i < 3; ++i) tick.channel().recv();   // three ticks, 100 ms apart
//   tick.stop();
//
//   weft::timer t = weft::after_func(std::chrono::seconds(5), [] { flush(); });
//   if (t.stop()) { /* flush() will never run */ }
//
// Time: inside a deterministic scope every timer runs on the virtual clock (see weft/time.hpp):
// the clock jumps to a timer's deadline when every task is blocked and a task waits on that
// timer's channel; under time_policy::explored the strategy may also fire it at any scheduling
// point, so a timeout racing ordinary work is explored both ways. A timer or ticker whose channel
// no task waits on does not keep time moving: a deadlock beside a live ticker is still reported
// as a deadlock. Deadlines still pending when every task has finished never fire. Outside a scope
// one background thread per process (started on first use) fires timers on the real
// (steady) clock, and each after_func callback runs on a new std::thread.
//
// Channels follow Go 1.23+: after `stop()` or `reset()` returns, no value from before the call is
// received (a fired but not yet received value is discarded, and counts as "not fired yet" for
// the return value). The channel holds at most one value (capacity() is 1). Receive from it only:
// sending on or closing a timer channel is a misuse weft does not check (the timer then drops
// its value).
//
// Lifetime: `timer` is a copyable handle (like Go's *Timer): destroying the handles does not stop
// it, so `weft::after_func(d, fn);` with the result discarded still runs fn. `ticker` owns its
// ticker: it is move-only, and destroying it stops it. Timers created inside a scope belong to
// that execution, like channels.
//
// Blocking: nothing here blocks except receiving from a channel. Inside a scope `stop()` and
// `reset()` are scheduling points; creating a timer is not.
// Misuse: a non-positive ticker period is a panic (weft::usage_error outside a scope).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "weft/chan.hpp"
#include "weft/detail/runtime.hpp"
#include "weft/detail/source_location.hpp"
#include "weft/time.hpp"

namespace weft {

namespace detail {

struct timer_state;  // src/timer.cpp

/// Production mode: something the process-wide timer thread fires at a steady_clock deadline.
/// The thread keeps a std::shared_ptr to every armed entry, so an armed timer lives until it
/// fires or is disarmed.
class real_timer {
 public:
  virtual ~real_timer() = default;
  /// Runs on the timer thread with the timer lock held, at or after the deadline. It may take a
  /// channel's lock (a leaf lock) but no other; work that needs more (cancelling a context,
  /// starting an after_func thread) goes into `later`, which runs once the lock is released.
  /// Returns the deadline to re-arm at (a ticker), or nullopt.
  virtual std::optional<std::int64_t> expire_locked(std::int64_t now,
                                                    std::vector<std::function<void()>>& later) = 0;

  // Guarded by the timer lock. Invariant: real_seq == 0 exactly when not armed.
  std::int64_t real_deadline = 0;  // steady_clock nanoseconds
  std::uint64_t real_seq = 0;
};

/// The timer thread's lock: hold it around real_arm_locked / real_disarm_locked.
std::unique_lock<std::mutex> real_timer_lock();
/// Arms `t` at `deadline` (steady_clock nanoseconds), replacing any previous deadline.
void real_arm_locked(std::unique_lock<std::mutex>& lock, std::shared_ptr<real_timer> t,
                     std::int64_t deadline);
/// Disarms `t`; returns whether it was armed.
bool real_disarm_locked(std::unique_lock<std::mutex>& lock, real_timer& t) noexcept;

/// Keeps `p` alive until the current execution of `s` has ended. The engine's timer heap may
/// still point at a disarmed timer_event until then, so an event must not die earlier.
void keep_for_execution(scope& s, std::shared_ptr<void> p);

/// `now + d` in nanoseconds, saturating instead of overflowing.
std::int64_t deadline_after(std::int64_t now, clock::duration d) noexcept;

}  // namespace detail

/// A one-shot timer: its channel receives the time once, `d` after it was started.
///
///   weft::timer t(std::chrono::milliseconds(50));
///   weft::select(weft::on_recv(done), weft::on_recv(t.channel(), [](auto) { timed_out(); }));
///   t.stop();   // after this returns, t.channel() never yields the old value
class timer {
 public:
  /// Starts a timer that fires after `d` (d <= 0: fires as soon as possible).
  explicit timer(clock::duration d, weft::source_location site = weft::source_location::current());

  /// The channel that receives the firing time (never, for a timer made by after_func).
  chan<clock::time_point> channel() const;
  /// Stops the timer. True if this stopped it before it fired (a fired, unreceived value is
  /// discarded and counts as not fired); false if it had already fired or been stopped.
  bool stop(weft::source_location site = weft::source_location::current());
  /// Stops the timer and starts it again to fire `d` from now; returns what stop() would have.
  /// For an after_func timer this schedules the function again.
  bool reset(clock::duration d, weft::source_location site = weft::source_location::current());

 private:
  friend timer after_func(clock::duration d, std::function<void()> fn, weft::source_location site);
  explicit timer(std::shared_ptr<detail::timer_state> state) : state_(std::move(state)) {}
  std::shared_ptr<detail::timer_state> state_;
};

/// A ticker: its channel receives the time every `period`. It holds at most one undelivered tick;
/// ticks nobody receives are dropped (a slow receiver sees fewer ticks, never a backlog).
/// Move-only; destroying it stops it.
///
///   weft::ticker heartbeat(std::chrono::seconds(1));
///   for (;;) weft::select(weft::on_recv(heartbeat.channel(), [](auto) { ping(); }),
///                         weft::on_recv(quit, [&](auto) { heartbeat.stop(); }));
class ticker {
 public:
  /// Starts ticking. A non-positive period is a panic (weft::usage_error outside a scope).
  explicit ticker(clock::duration period,
                  weft::source_location site = weft::source_location::current());
  ticker(ticker&&) noexcept = default;
  ticker& operator=(ticker&& other) noexcept;
  ticker(const ticker&) = delete;
  ticker& operator=(const ticker&) = delete;
  ~ticker();

  chan<clock::time_point> channel() const;
  /// Stops ticking; after it returns no tick (not even an undelivered one) is received.
  void stop(weft::source_location site = weft::source_location::current());
  /// Stops and restarts with a new period (the next tick is `period` from now). Like Go's
  /// Ticker.Reset; a non-positive period is a panic.
  void reset(clock::duration period, weft::source_location site = weft::source_location::current());

 private:
  void stop_quietly() noexcept;
  std::shared_ptr<detail::timer_state> state_;
};

/// A channel that receives the time once, after `d` (Go's time.After).
chan<clock::time_point> after(clock::duration d,
                              weft::source_location site = weft::source_location::current());

/// Runs `fn` in its own task (a new std::thread outside a scope) after `d`. The returned timer's
/// stop() cancels it (true if fn will not run; false once it has started); its channel never
/// receives. An exception escaping fn is an uncaught exception like in any task.
timer after_func(clock::duration d, std::function<void()> fn,
                 weft::source_location site = weft::source_location::current());

}  // namespace weft
