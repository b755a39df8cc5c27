// tests/timer_test.cpp — after, timer, ticker and after_func: on the virtual clock inside a scope
// and on the real clock outside one.
#include "weft/timer.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <thread>

#include "weft/explore.hpp"
#include "weft/gtest.hpp"
#include "weft/mutex.hpp"
#include "weft/select.hpp"
#include "weft/task.hpp"
#include "weft/time.hpp"
#include "weft/tracked.hpp"

namespace {

using namespace std::chrono_literals;
using weft::clock;

weft::options quick(std::uint64_t iterations = 50) {
  weft::options o;
  o.iterations = iterations;
  return o;
}

// True if `ch` has nothing to receive right now (a select with a default: no blocking).
template <class T>
bool nothing_ready(const weft::chan<T>& ch) {
  return weft::select(weft::on_recv(ch), weft::on_default()) == 1;
}

// --- inside a scope ------------------------------------------------------------------------

TEST(TimerScope, AfterReceivesOnceAtTheDeadline) {
  weft::report r = weft::explore(quick(), [] {
    const auto t0 = clock::now();
    auto ch = weft::after(5s);
    auto v = ch.recv();
    if (!v || *v != t0 + 5s) throw std::logic_error("wrong time value");
    if (clock::now() != t0 + 5s) throw std::logic_error("clock did not jump to the deadline");
    if (!nothing_ready(ch)) throw std::logic_error("after() delivered twice");
  });
  EXPECT_TRUE(r.ok()) << r.message;
}

TEST(TimerScope, StopBeforeFiringReturnsTrueAndNothingIsReceived) {
  weft::report r = weft::explore(quick(), [] {
    const auto t0 = clock::now();
    weft::timer t(1s);
    if (!t.stop()) throw std::logic_error("stop of a pending timer returned false");
    if (t.stop()) throw std::logic_error("second stop returned true");
    std::size_t which = weft::select(weft::on_recv(t.channel()), weft::on_recv(weft::after(10s)));
    if (which != 1) throw std::logic_error("a stopped timer delivered");
    if (clock::now() != t0 + 10s) throw std::logic_error("clock");
  });
  EXPECT_TRUE(r.ok()) << r.message;
}

TEST(TimerScope, StopAfterFiringDiscardsTheUnreceivedValue) {
  weft::report r = weft::explore(quick(), [] {
    weft::timer t(1s);
    weft::sleep_for(2s);  // the timer fires on the way (nobody receives it)
    if (!t.stop()) throw std::logic_error("Go 1.23: an unreceived value counts as not fired");
    if (!nothing_ready(t.channel())) throw std::logic_error("stale value after stop");
  });
  EXPECT_TRUE(r.ok()) << r.message;
}

TEST(TimerScope, StopAfterReceiveReturnsFalse) {
  weft::report r = weft::explore(quick(), [] {
    weft::timer t(1s);
    t.channel().recv();
    if (t.stop()) throw std::logic_error("stop after the value was received returned true");
  });
  EXPECT_TRUE(r.ok()) << r.message;
}

TEST(TimerScope, ResetRestartsAndDropsTheStaleValue) {
  weft::report r = weft::explore(quick(), [] {
    const auto t0 = clock::now();
    weft::timer t(1s);
    weft::sleep_for(2s);  // fired, unreceived
    if (!t.reset(5s)) throw std::logic_error("reset of an unreceived timer returned false");
    auto v = t.channel().recv();
    if (!v || *v != t0 + 7s) throw std::logic_error("reset timer fired at the wrong time");
    if (t.reset(1s)) throw std::logic_error("reset after receive returned true");
    if (t.channel().recv() != t0 + 8s) throw std::logic_error("second reset");
  });
  EXPECT_TRUE(r.ok()) << r.message;
}

TEST(TimerScope, TickerTicksEveryPeriodAndDropsUnreceivedTicks) {
  weft::report r = weft::explore(quick(), [] {
    const auto t0 = clock::now();
    weft::ticker tick(1s);
    for (int i = 1; i <= 3; ++i) {
      if (tick.channel().recv() != t0 + i * 1s) throw std::logic_error("tick time");
    }
    weft::sleep_for(2500ms);  // now t0+5.5s: the 4s tick waits, the 5s tick is dropped
    if (tick.channel().recv() != t0 + 4s) throw std::logic_error("held tick");
    if (tick.channel().recv() != t0 + 6s) throw std::logic_error("tick after a gap");
    tick.stop();
    std::size_t which = weft::select(weft::on_recv(tick.channel()), weft::on_recv(weft::after(1h)));
    if (which != 1) throw std::logic_error("a stopped ticker ticked");
  });
  EXPECT_TRUE(r.ok()) << r.message;
}

TEST(TimerScope, TickerResetChangesThePeriod) {
  weft::report r = weft::explore(quick(), [] {
    const auto t0 = clock::now();
    weft::ticker tick(1s);
    weft::sleep_for(1500ms);  // one tick waiting
    tick.reset(10s);          // dropped; next tick 10s from now
    if (tick.channel().recv() != t0 + 11500ms) throw std::logic_error("reset ticker");
  });
  EXPECT_TRUE(r.ok()) << r.message;
}

TEST(TimerScope, NonPositiveTickerPeriodIsAPanic) {
  weft::report r = weft::explore(quick(1), [] { weft::ticker tick(0s); });
  EXPECT_EQ(r.kind, weft::failure_kind::panic) << r.message;
  EXPECT_NE(r.message.find("non-positive period"), std::string::npos) << r.message;
}

TEST(TimerScope, AfterFuncRunsInItsOwnTaskAfterTheDelay) {
  weft::report r = weft::explore(quick(), [] {
    const auto t0 = clock::now();
    weft::chan<clock::time_point> ran(1);
    weft::timer t = weft::after_func(3s, [ran] { ran.send(clock::now()); });
    if (ran.recv() != t0 + 3s) throw std::logic_error("after_func ran at the wrong time");
    if (t.stop()) throw std::logic_error("stop after after_func fired returned true");
    std::size_t which = weft::select(weft::on_recv(t.channel()), weft::on_recv(weft::after(1s)));
    if (which != 1) throw std::logic_error("an after_func timer's channel received");
  });
  EXPECT_TRUE(r.ok()) << r.message;
}

// stop() is a scheduling point, so the callback may already have fired (as if the body were
// slow): stop() returns true exactly when the callback never runs, and both happen.
TEST(TimerScope, AfterFuncStopReturnsWhetherItStoppedInTime) {
  int stopped = 0;
  int fired = 0;
  weft::report r = weft::explore(quick(200), [&] {
    weft::chan<int> ran(1);
    auto stop_won = std::make_shared<bool>(false);
    weft::timer t = weft::after_func(1s, [ran, stop_won] {
      if (*stop_won) throw std::logic_error("the callback ran although stop() returned true");
      ran.send(1);
    });
    *stop_won = t.stop();
    if (*stop_won) {
      weft::sleep_for(1h);  // a callback still armed would fire on the way
      ++stopped;
    } else {
      ran.recv();  // it fired: it runs (a deadlock here would be a failure)
      ++fired;
    }
  });
  EXPECT_TRUE(r.ok()) << r.message;
  EXPECT_GT(stopped, 0);
  EXPECT_GT(fired, 0);
}

TEST(TimerScope, AfterFuncExceptionIsUncaught) {
  weft::report r = weft::explore(quick(1), [] {
    weft::after_func(1s, [] { throw std::runtime_error("callback failed"); });
    weft::sleep_for(2s);
  });
  EXPECT_EQ(r.kind, weft::failure_kind::uncaught_exception) << r.message;
  EXPECT_NE(r.message.find("callback failed"), std::string::npos) << r.message;
}

// The timeout races ordinary work: with time explored, both outcomes are reachable.
TEST(TimerScope, ExploredTimeReachesBothOutcomesOfATimeoutRace) {
  int results = 0;
  int timeouts = 0;
  weft::options opts = quick(300);
  weft::report r = weft::explore(opts, [&] {
    weft::chan<int> result(1);
    weft::go([result] {
      weft::yield();
      result.send(7);
    });
    std::size_t which = weft::select(weft::on_recv(result), weft::on_recv(weft::after(100ms)));
    (which == 0 ? results : timeouts)++;
  });
  EXPECT_TRUE(r.ok()) << r.message;
  EXPECT_GT(results, 0);
  EXPECT_GT(timeouts, 0);
}

// Under idle_only the timeout fires only when every task is blocked.
TEST(TimerScope, IdleOnlyTimeoutFiresOnlyWhenEveryoneIsBlocked) {
  int results = 0;
  int timeouts = 0;
  weft::options opts = quick(300);
  opts.time_policy = weft::time_policy::idle_only;
  weft::report r = weft::explore(opts, [&] {
    weft::chan<int> result(1);
    weft::go([result] {
      weft::yield();
      result.send(7);
    });
    std::size_t which = weft::select(weft::on_recv(result), weft::on_recv(weft::after(100ms)));
    (which == 0 ? results : timeouts)++;
  });
  EXPECT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(results, 300);
  EXPECT_EQ(timeouts, 0);

  results = timeouts = 0;
  r = weft::explore(opts, [&] {
    weft::chan<int> result(1);
    weft::chan<int> never;
    weft::go([result, never] {
      never.recv();  // blocked until the body gives up
      result.send(7);
    });
    const auto t0 = clock::now();
    std::size_t which = weft::select(weft::on_recv(result), weft::on_recv(weft::after(100ms)));
    (which == 0 ? results : timeouts)++;
    if (clock::now() != t0 + 100ms) throw std::logic_error("clock");
    never.close();
  });
  EXPECT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(results, 0);
  EXPECT_EQ(timeouts, 300);
}

TEST(TimerScope, DeadlockBesideALiveTickerIsADeadlock) {
  weft::report r = weft::explore(quick(5), [] {
    weft::ticker tick(1ms);
    weft::chan<int> never;
    never.recv();
  });
  EXPECT_EQ(r.kind, weft::failure_kind::deadlock) << r.message;
}

TEST(TimerScope, DeadlockBesideAPendingTimerIsADeadlock) {
  weft::report r = weft::explore(quick(5), [] {
    weft::timer t(1s);
    auto ch = weft::after(2s);
    weft::mutex mu;
    mu.lock();
    mu.lock();
  });
  EXPECT_EQ(r.kind, weft::failure_kind::deadlock) << r.message;
}

TEST(TimerScope, TimersPendingWhenAllTasksFinishNeverFire) {
  weft::report r = weft::explore(quick(), [] {
    weft::timer t(1s);
    weft::ticker tick(1s);
    auto ch = weft::after(1s);
    weft::go([] { weft::sleep_for(500ms); });
  });
  EXPECT_TRUE(r.ok()) << r.message;
}

// "Deadlines still pending when every task has finished never fire": an after_func, too.
TEST(TimerScope, AfterFuncPendingWhenAllTasksFinishNeverRuns) {
  // idle_only: under `explored` the hour may legitimately pass while task-1 is still runnable
  // (as if it were slow); here the clock only moves when everyone is blocked.
  weft::options o = quick();
  o.time_policy = weft::time_policy::idle_only;
  weft::report r = weft::explore(o, [] {
    weft::go([] { weft::sleep_for(500ms); });
    weft::after_func(1h, [] { throw std::logic_error("fired after every task finished"); });
  });
  EXPECT_TRUE(r.ok()) << r.message;
}

TEST(TimerScope, TimerReceiveInsideASelectFromAnotherTask) {
  weft::report r = weft::explore(quick(), [] {
    weft::timer t(1s);
    weft::chan<int> done;
    weft::go([t, done] { weft::select(weft::on_recv(t.channel()), weft::on_recv(done)); });
    weft::sleep_for(10ms);
    done.close();
  });
  EXPECT_TRUE(r.ok()) << r.message;
}

TEST(TimerScope, UsingATimerOutsideItsExecutionIsAUsageError) {
  std::shared_ptr<weft::timer> kept;
  weft::report r = weft::run([&] { kept = std::make_shared<weft::timer>(1s); });
  ASSERT_TRUE(r.ok()) << r.message;
  EXPECT_THROW(kept->stop(), weft::usage_error);
}

// Happens-before: starting or resetting a timer happens before whoever observes its firing, and
// nothing the starter does afterwards does.
TEST(TimerScope, FiringOrdersTheStarterBeforeTheReceiver) {
  auto program = [](bool write_after_reset) {
    return [write_after_reset] {
      auto x = std::make_shared<weft::tracked<int>>(0);
      weft::timer t(1h);
      t.stop();  // (else it could fire before the reset: a task waits on it, time is explored)
      weft::chan<int> finished;
      weft::go([t, x, finished] {
        t.channel().recv();
        x->get();
        finished.send(1);
      });
      if (!write_after_reset) x->set(1);
      t.reset(1s);
      if (write_after_reset) x->set(2);
      finished.recv();
    };
  };
  weft::report ordered = weft::explore(quick(200), program(false));
  EXPECT_TRUE(ordered.ok()) << ordered.message;
  weft::report racy = weft::explore(quick(200), program(true));
  EXPECT_EQ(racy.kind, weft::failure_kind::data_race) << racy.message;
}

TEST(TimerScope, AfterFuncCallbackIsOrderedAfterTheStarterOnly) {
  auto program = [](bool write_after_start) {
    return [write_after_start] {
      auto x = std::make_shared<weft::tracked<int>>(0);
      weft::chan<int> finished(1);
      if (!write_after_start) x->set(1);
      weft::after_func(1s, [x, finished] {
        x->get();
        finished.send(1);
      });
      if (write_after_start) x->set(2);
      finished.recv();
      x->set(3);  // ordered after the callback's read by the channel
    };
  };
  weft::report ordered = weft::explore(quick(200), program(false));
  EXPECT_TRUE(ordered.ok()) << ordered.message;
  weft::report racy = weft::explore(quick(200), program(true));
  EXPECT_EQ(racy.kind, weft::failure_kind::data_race) << racy.message;
}

// --- production mode -------------------------------------------------------------------------

TEST(TimerReal, AfterReceivesAfterTheDelay) {
  ASSERT_FALSE(weft::in_scope());
  const auto t0 = clock::now();
  auto v = weft::after(5ms).recv();
  ASSERT_TRUE(v.has_value());
  EXPECT_GE(*v - t0, 5ms);
  EXPECT_GE(clock::now() - t0, 5ms);
}

TEST(TimerReal, StopBeforeFiring) {
  weft::timer t(1h);
  EXPECT_TRUE(t.stop());
  EXPECT_FALSE(t.stop());
  std::size_t which = weft::select(weft::on_recv(t.channel()), weft::on_recv(weft::after(5ms)));
  EXPECT_EQ(which, 1u);
}

TEST(TimerReal, StopAfterFiringLeavesNoStaleValue) {
  for (int i = 0; i < 50; ++i) {
    weft::timer t(std::chrono::microseconds(200));
    std::this_thread::sleep_for(std::chrono::microseconds(200));  // races the firing
    t.stop();
    EXPECT_TRUE(nothing_ready(t.channel()));
  }
  weft::timer t(1ms);
  std::this_thread::sleep_for(10ms);
  EXPECT_TRUE(t.stop());  // fired but never received: counts as stopped in time
  EXPECT_TRUE(nothing_ready(t.channel()));
}

TEST(TimerReal, ResetRestarts) {
  weft::timer t(1h);
  const auto t0 = clock::now();
  EXPECT_TRUE(t.reset(5ms));
  auto v = t.channel().recv();
  ASSERT_TRUE(v.has_value());
  EXPECT_GE(*v - t0, 5ms);
  EXPECT_FALSE(t.reset(2ms));
  EXPECT_TRUE(t.channel().recv().has_value());
}

TEST(TimerReal, TickerTicksAndStops) {
  // t0 before the ticker: its ticks count from its construction, and the first timer of the
  // process starts the timer thread in there, which can take longer than a period (TSan builds).
  const auto t0 = clock::now();
  weft::ticker tick(2ms);
  clock::time_point last = t0;
  for (int i = 0; i < 3; ++i) {
    auto v = tick.channel().recv();
    ASSERT_TRUE(v.has_value());
    EXPECT_GT(*v, last);
    last = *v;
  }
  EXPECT_GE(clock::now() - t0, 6ms);
  tick.stop();
  EXPECT_TRUE(nothing_ready(tick.channel()));
  std::this_thread::sleep_for(10ms);
  EXPECT_TRUE(nothing_ready(tick.channel()));
}

TEST(TimerReal, NonPositiveTickerPeriodThrows) {
  EXPECT_THROW(weft::ticker(0ms), weft::usage_error);
  EXPECT_THROW(weft::ticker(-1ms), weft::usage_error);
}

TEST(TimerReal, AfterFuncRunsOnAnotherThread) {
  weft::chan<std::thread::id> ran(1);
  weft::after_func(2ms, [ran] { ran.send(std::this_thread::get_id()); });
  auto id = ran.recv();
  ASSERT_TRUE(id.has_value());
  EXPECT_NE(*id, std::this_thread::get_id());
}

TEST(TimerReal, AfterFuncStoppedNeverRuns) {
  auto ran = std::make_shared<std::atomic<bool>>(false);
  weft::timer t = weft::after_func(5ms, [ran] { ran->store(true); });
  EXPECT_TRUE(t.stop());
  std::this_thread::sleep_for(20ms);
  EXPECT_FALSE(ran->load());
}

TEST(TimerReal, ManyTimersFromManyThreads) {
  constexpr int threads = 4;
  constexpr int per_thread = 50;
  weft::chan<int> done(threads);
  for (int i = 0; i < threads; ++i) {
    weft::go([done, i] {
      for (int k = 0; k < per_thread; ++k) {
        weft::timer t(std::chrono::microseconds((k * 37 + i * 11) % 300));
        if (k % 3 == 0) {
          t.stop();
        } else {
          t.channel().recv();
        }
      }
      done.send(i);
    });
  }
  for (int i = 0; i < threads; ++i) EXPECT_TRUE(done.recv().has_value());
}

}  // namespace
