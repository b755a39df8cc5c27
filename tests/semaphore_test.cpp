// semaphore: permits inside a scope ("SemaphoreScope") and on real threads ("SemaphoreThreads").
#include <weft/semaphore.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <weft/atomic.hpp>
#include <weft/task.hpp>
#include <weft/wait_group.hpp>

#include "toolbox_support.hpp"

namespace {

using toolbox::require;

constexpr int permits = 2;
constexpr int workers = 4;

// Four workers share two permits: never more than two hold one at once. Returns the most
// holders seen together.
int limit_body(int rounds) {
  struct state {
    weft::semaphore sem{permits};
    weft::atomic<int> holders{0};
    weft::atomic<int> max_holders{0};
    weft::wait_group wg;
  };
  auto st = std::make_shared<state>();
  st->wg.add(workers);
  for (int w = 0; w < workers; ++w) {
    weft::go([st, rounds] {
      for (int i = 0; i < rounds; ++i) {
        st->sem.acquire();
        const int now = st->holders.fetch_add(1) + 1;
        require(now <= permits,
                std::to_string(now) + " holders of " + std::to_string(permits) + " permits");
        int seen = st->max_holders.load();
        while (now > seen && !st->max_holders.compare_exchange_strong(seen, now)) {
        }
        weft::yield();
        st->holders.fetch_sub(1);
        st->sem.release();
      }
      st->wg.done();
    });
  }
  st->wg.wait();
  // All permits are back.
  for (int i = 0; i < permits; ++i) require(st->sem.try_acquire(), "a permit was lost");
  require(!st->sem.try_acquire(), "a permit was created");
  return st->max_holders.load();
}

TEST(SemaphoreScope, LimitsConcurrency) {
  int max_seen = 0;  // over all executions (statistics only: no execution depends on it)
  toolbox::expect_clean(toolbox::scope_options(10'000),
                        [&max_seen] { max_seen = std::max(max_seen, limit_body(1)); });
  EXPECT_EQ(max_seen, permits);  // the limit is reached, never exceeded
}
TEST(SemaphoreThreads, LimitsConcurrency) {
  toolbox::run_threads([] { EXPECT_LE(limit_body(500), permits); });
}

// All n permits can be held at once (the limit is reachable on real threads too): n holders
// meet while holding, and then the pool is empty.
void all_permits_body() {
  struct state {
    weft::semaphore sem{permits};
    weft::wait_group holding;
    weft::wait_group release;
    weft::wait_group wg;
  };
  auto st = std::make_shared<state>();
  st->holding.add(permits);
  st->release.add(1);
  st->wg.add(permits);
  for (int w = 0; w < permits; ++w) {
    weft::go([st] {
      st->sem.acquire();
      st->holding.done();
      st->release.wait();
      st->sem.release();
      st->wg.done();
    });
  }
  st->holding.wait();
  require(!st->sem.try_acquire(), "try_acquire succeeded with every permit held");
  st->release.done();
  st->wg.wait();
  st->sem.release(2);  // several at once
  for (int i = 0; i < permits + 2; ++i) require(st->sem.try_acquire(), "release(2) lost a permit");
  require(!st->sem.try_acquire(), "too many permits");
}

TEST(SemaphoreScope, AllPermitsCanBeHeld) {
  toolbox::expect_clean(toolbox::scope_options(1000), all_permits_body);
}
TEST(SemaphoreThreads, AllPermitsCanBeHeld) { toolbox::run_threads(all_permits_body); }

// A released permit goes to the longest waiter, not to a later try_acquire.
void handoff_body() {
  struct state {
    weft::semaphore sem{0};
    weft::atomic<int> order{0};
    weft::atomic<int> got[3] = {-1, -1, -1};
    weft::wait_group wg;
  };
  auto st = std::make_shared<state>();
  st->wg.add(3);
  for (int i = 0; i < 3; ++i) {
    weft::go("acquirer-" + std::to_string(i), [st, i] {
      st->sem.acquire();
      st->got[i].store(st->order.fetch_add(1));
      st->wg.done();
    });
    toolbox::settle();  // acquirer i is parked before i + 1 arrives
  }
  for (int i = 0; i < 3; ++i) {
    st->sem.release();
    require(!st->sem.try_acquire(), "try_acquire overtook a waiter");
    toolbox::settle();  // the woken acquirer has run
    for (int k = 0; k < 3; ++k) {
      require((st->got[k].load() >= 0) == (k <= i), "waiters were not served in FIFO order");
    }
  }
  st->wg.wait();
}

TEST(SemaphoreScope, FifoHandOff) {
  toolbox::expect_clean(toolbox::scope_options(500, weft::time_policy::idle_only), handoff_body);
}

// release(n) wakes n waiters at once.
TEST(SemaphoreScope, ReleaseOfNWakesNWaiters) {
  toolbox::expect_clean(toolbox::scope_options(500, weft::time_policy::idle_only), [] {
    struct state {
      weft::semaphore sem{0};
      weft::wait_group wg;
    };
    auto st = std::make_shared<state>();
    st->wg.add(3);
    for (int i = 0; i < 3; ++i) {
      weft::go([st] {
        st->sem.acquire();
        st->wg.done();
      });
    }
    toolbox::settle();  // all three are parked
    st->sem.release(3);
    st->wg.wait();  // deadlocks unless all three were woken
    require(!st->sem.try_acquire(), "release(3) to three waiters left a permit");
  });
}

// Nobody releases: a durable block, reported with the semaphore named.
TEST(SemaphoreScope, AcquireWithoutReleaseDeadlocks) {
  weft::report r = weft::run([] {
    weft::semaphore sem(1);
    sem.acquire();
    sem.acquire();
  });
  ASSERT_EQ(r.kind, weft::failure_kind::deadlock) << r.message;
  EXPECT_NE(r.message.find(
                "blocked in semaphore::acquire on semaphore#1 (created at semaphore_test.cpp:"),
            std::string::npos)
      << r.message;
}

// --- misuse -------------------------------------------------------------------------------------

TEST(SemaphoreScope, NegativeCountPanics) {
  weft::report r = weft::run([] { weft::semaphore sem(-1); });
  ASSERT_EQ(r.kind, weft::failure_kind::panic) << r.message;
  EXPECT_NE(r.message.find("semaphore::semaphore: negative initial count -1 for semaphore#1"),
            std::string::npos)
      << r.message;
}

TEST(SemaphoreScope, ReleaseOfLessThanOnePanics) {
  weft::report r = weft::run([] {
    weft::semaphore sem(1);
    sem.release(0);
  });
  ASSERT_EQ(r.kind, weft::failure_kind::panic) << r.message;
  EXPECT_NE(r.message.find("semaphore::release: n must be at least 1 (got 0) on semaphore#1"),
            std::string::npos)
      << r.message;
}

TEST(SemaphoreThreads, MisuseThrowsUsageError) {
  try {
    weft::semaphore sem(-3);
    FAIL() << "a negative count did not throw";
  } catch (const weft::usage_error& e) {
    EXPECT_NE(std::string(e.what()).find("semaphore::semaphore: negative initial count -3"),
              std::string::npos)
        << e.what();
  }
  weft::semaphore sem(0);
  try {
    sem.release(-1);
    FAIL() << "release(-1) did not throw";
  } catch (const weft::usage_error& e) {
    EXPECT_NE(std::string(e.what()).find("semaphore::release: n must be at least 1 (got -1)"),
              std::string::npos)
        << e.what();
  }
  EXPECT_FALSE(sem.try_acquire());  // the failed release added nothing
}

}  // namespace
