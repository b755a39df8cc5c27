// The virtual clock: sleeping, time jumps, and the two time policies.
#include <chrono>
#include <memory>
#include <set>

#include <gtest/gtest.h>

#include <weft/weft.hpp>

namespace {

using namespace std::chrono_literals;

TEST(VirtualClock, StartsAt2000AndSleeping24HoursIsInstant) {
  weft::report r = weft::explore({}, [] {
    const auto start = weft::clock::now();
    EXPECT_EQ(start.time_since_epoch(), std::chrono::seconds(946684800));
    weft::sleep_for(24h);
    EXPECT_EQ(weft::clock::now() - start, 24h);
    weft::sleep_until(start + 25h);
    EXPECT_EQ(weft::clock::now() - start, 25h);
    weft::sleep_until(start);  // in the past: returns at once
    EXPECT_EQ(weft::clock::now() - start, 25h);
  });
  EXPECT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(r.executions, 1000u);
  EXPECT_LT(r.steps, 1000u * 10);  // a handful of scheduling points per execution
}

TEST(VirtualClock, SleepersAreNeverDeadlocked) {
  weft::report r = weft::explore({}, [] {
    auto wg = std::make_shared<weft::wait_group>();
    wg->add(3);
    for (int i = 1; i <= 3; ++i) {
      weft::go([wg, i] {
        weft::sleep_for(std::chrono::minutes(i));
        wg->done();
      });
    }
    wg->wait();
    // Each sleep starts when its task first runs, which explored time may delay.
    const auto elapsed = weft::clock::now().time_since_epoch() - std::chrono::seconds(946684800);
    EXPECT_GE(elapsed, 3min);
    EXPECT_LE(elapsed, 6min);
  });
  EXPECT_TRUE(r.ok()) << r.message;
}

TEST(VirtualClock, TimeNeverMovesBackwardAndStopsWithTheScope) {
  auto last = std::make_shared<weft::clock::time_point>();
  weft::report r = weft::explore({}, [last] {
    *last = weft::clock::now();
    for (int i = 0; i < 3; ++i) {
      weft::go([last] {
        weft::sleep_for(10ms);
        EXPECT_GE(weft::clock::now(), *last);
        *last = weft::clock::now();
      });
    }
    weft::go([] { weft::sleep_for(1h); });  // still pending when others finish: it must run
  });
  EXPECT_TRUE(r.ok()) << r.message;
}

// A sleeper racing a busy task: under `explored` the sleeper may wake before the busy task's
// next step (as if the busy task were slow); under `idle_only` only once everyone is blocked.
std::set<int> sleeper_orders(weft::time_policy policy) {
  auto orders = std::make_shared<std::set<int>>();
  weft::options o;
  o.time_policy = policy;
  o.iterations = 500;
  weft::report r = weft::explore(o, [orders] {
    auto woke = std::make_shared<bool>(false);
    auto wg = std::make_shared<weft::wait_group>();
    wg->add(2);
    weft::go("sleeper", [woke, wg] {
      weft::sleep_for(1ms);
      *woke = true;
      wg->done();
    });
    weft::go("busy", [woke, wg, orders] {
      weft::yield();
      weft::yield();
      orders->insert(*woke ? 1 : 0);  // 1: the sleeper woke before the busy task's third step
      wg->done();
    });
    wg->wait();
  });
  EXPECT_TRUE(r.ok()) << r.message;
  return *orders;
}

TEST(TimePolicy, ExploredReachesBothOrders) {
  EXPECT_EQ(sleeper_orders(weft::time_policy::explored), (std::set<int>{0, 1}));
}

TEST(TimePolicy, IdleOnlyNeverWakesEarly) {
  EXPECT_EQ(sleeper_orders(weft::time_policy::idle_only), (std::set<int>{0}));
}

TEST(TimePolicy, BothOrdersReplay) {
  weft::options o;
  o.iterations = 500;
  auto program = [] {
    auto woke = std::make_shared<bool>(false);
    weft::go([woke] {
      weft::sleep_for(1ms);
      *woke = true;
    });
    weft::yield();
    if (*woke) throw std::runtime_error("the sleeper woke first");
  };
  weft::report found = weft::explore(o, program);
  ASSERT_EQ(found.kind, weft::failure_kind::uncaught_exception) << found.message;
  weft::options again;
  again.replay = found.replay;
  EXPECT_EQ(weft::explore(again, program).message, found.message);
}

TEST(VirtualClock, ProductionClockIsSteady) {
  auto a = weft::clock::now();
  weft::sleep_for(1ms);
  auto b = weft::clock::now();
  EXPECT_GE(b - a, 1ms);
}

}  // namespace
