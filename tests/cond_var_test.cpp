// cond_var: wakeup rules inside a scope ("CondVarScope") and on real threads ("ProductionCondVar":
// tools/test.sh runs the suites whose names start with "Production" under ThreadSanitizer).
#include <weft/cond_var.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>
#include <weft/mutex.hpp>
#include <weft/task.hpp>
#include <weft/time.hpp>
#include <weft/wait_group.hpp>

#include "toolbox_support.hpp"

namespace {

using toolbox::require;
using namespace std::chrono_literals;

constexpr int waiters = 3;

// Three waiters wait without a predicate (each wakeup is counted). notify_one wakes exactly one,
// the longest waiting; notify_all wakes all that are left. No wakeup is spurious.
struct wakeup_state {
  weft::mutex mu;
  weft::cond_var cv;
  // Guarded by mu.
  int waiting = 0;
  int woken = 0;
  std::vector<int> wait_order;
  std::vector<int> wake_order;
  weft::wait_group wg;
};

std::shared_ptr<wakeup_state> start_waiters() {
  auto st = std::make_shared<wakeup_state>();
  st->wg.add(waiters);
  for (int i = 0; i < waiters; ++i) {
    weft::go("waiter-" + std::to_string(i), [st, i] {
      std::unique_lock lock(st->mu);
      ++st->waiting;
      st->wait_order.push_back(i);
      st->cv.wait(lock);
      ++st->woken;
      st->wake_order.push_back(i);
      lock.unlock();
      st->wg.done();
    });
  }
  // A waiter counted in `waiting` is already enqueued on cv: it counted itself under mu, and
  // wait() enqueues before it releases mu.
  const bool all_waiting = toolbox::poll_until([&] {
    std::lock_guard lock(st->mu);
    return st->waiting == waiters;
  });
  require(all_waiting, "the waiters never all waited");
  return st;
}

int woken(wakeup_state& st) {
  std::lock_guard lock(st.mu);
  return st.woken;
}

void notify_one_body() {
  auto st = start_waiters();
  for (int n = 1; n <= waiters; ++n) {
    st->cv.notify_one();
    require(toolbox::poll_until([&] { return woken(*st) >= n; }), "notify_one woke nobody");
    toolbox::settle();  // a second wakeup would show up now
    require(woken(*st) == n, "notify_one woke more than one waiter");
  }
  st->wg.wait();
  require(st->wake_order == st->wait_order, "notify_one did not wake the waiters in FIFO order");
}

TEST(CondVarScope, NotifyOneWakesOneInFifoOrder) {
  toolbox::expect_clean(toolbox::scope_options(1000), notify_one_body);
}
TEST(ProductionCondVar, NotifyOneWakesOneInFifoOrder) { toolbox::run_threads(notify_one_body); }

void notify_all_body() {
  auto st = start_waiters();
  st->cv.notify_all();
  st->wg.wait();  // returns only if every waiter was woken
  require(woken(*st) == waiters, "notify_all did not wake every waiter");
  st->cv.notify_all();  // nobody waits: a no-op
}

TEST(CondVarScope, NotifyAllWakesAll) {
  toolbox::expect_clean(toolbox::scope_options(1000), notify_all_body);
}
TEST(ProductionCondVar, NotifyAllWakesAll) { toolbox::run_threads(notify_all_body); }

// A notification with nobody waiting is lost (it is not remembered for a later wait).
TEST(CondVarScope, NotifyWithoutWaitersIsLost) {
  weft::report r = weft::run([] {
    auto st = std::make_shared<wakeup_state>();
    st->cv.notify_one();
    st->cv.notify_all();
    std::unique_lock lock(st->mu);
    st->cv.wait(lock);
  });
  ASSERT_EQ(r.kind, weft::failure_kind::deadlock) << r.message;
  EXPECT_NE(
      r.message.find("blocked in cond_var::wait on cond_var#2 (created at cond_var_test.cpp:"),
      std::string::npos)
      << r.message;
}

// wait(lock, pred): a bounded producer/consumer over one mutex and two condition variables.
void producer_consumer_body(int items) {
  struct state {
    weft::mutex mu;
    weft::cond_var not_empty;
    weft::cond_var not_full;
    std::deque<int> queue;  // guarded by mu; holds at most 1 item
    std::vector<int> received;
    weft::wait_group wg;
  };
  auto st = std::make_shared<state>();
  st->wg.add(2);
  weft::go("producer", [st, items] {
    for (int i = 0; i < items; ++i) {
      std::unique_lock lock(st->mu);
      st->not_full.wait(lock, [&] { return st->queue.empty(); });
      st->queue.push_back(i);
      lock.unlock();
      st->not_empty.notify_one();
    }
    st->wg.done();
  });
  weft::go("consumer", [st, items] {
    for (int i = 0; i < items; ++i) {
      std::unique_lock lock(st->mu);
      st->not_empty.wait(lock, [&] { return !st->queue.empty(); });
      require(st->queue.size() == 1, "the queue overflowed");
      st->received.push_back(st->queue.front());
      st->queue.pop_front();
      st->not_full.notify_one();
    }
    st->wg.done();
  });
  st->wg.wait();
  std::lock_guard lock(st->mu);
  require(static_cast<int>(st->received.size()) == items, "items were lost");
  for (int i = 0; i < static_cast<int>(st->received.size()); ++i) {
    require(st->received[i] == i, "items arrived out of order");
  }
}

TEST(CondVarScope, WaitWithPredicate) {
  toolbox::expect_clean(toolbox::scope_options(2000), [] { producer_consumer_body(3); });
}
TEST(ProductionCondVar, WaitWithPredicate) {
  toolbox::run_threads([] { producer_consumer_body(2000); });
}

// wait() re-locks the mutex with a real lock: a woken waiter cannot return while the notifier
// still holds the mutex, so it sees everything the notifier did before unlocking.
TEST(CondVarScope, WaitReLocksTheMutex) {
  weft::report r = weft::explore(toolbox::scope_options(2000), [] {
    struct state {
      weft::mutex mu;
      weft::cond_var cv;
      int value = 0;  // guarded by mu
      bool ready = false;
      weft::wait_group wg;
    };
    auto st = std::make_shared<state>();
    st->wg.add(1);
    weft::go("waiter", [st] {
      std::unique_lock lock(st->mu);
      st->cv.wait(lock, [&] { return st->ready; });
      require(st->value == 2, "wait returned before the notifier released the mutex");
      lock.unlock();
      st->wg.done();
    });
    {
      std::lock_guard lock(st->mu);
      st->ready = true;
      st->value = 1;
      st->cv.notify_one();
      weft::yield();
      st->value = 2;
    }
    st->wg.wait();
  });
  EXPECT_TRUE(r.ok()) << r.message;
}

// --- misuse -------------------------------------------------------------------------------------

TEST(CondVarScope, WaitWithoutTheLockPanics) {
  weft::report r = weft::run([] {
    weft::mutex mu;
    weft::cond_var cv;
    std::unique_lock lock(mu, std::defer_lock);
    cv.wait(lock);
  });
  ASSERT_EQ(r.kind, weft::failure_kind::panic) << r.message;
  EXPECT_NE(r.message.find("cond_var::wait: the std::unique_lock does not own its mutex "
                           "(cond_var#2 (created at cond_var_test.cpp:"),
            std::string::npos)
      << r.message;
}

TEST(ProductionCondVar, WaitWithoutTheLockThrowsUsageError) {
  weft::mutex mu;
  weft::cond_var cv;
  std::unique_lock lock(mu, std::defer_lock);
  try {
    cv.wait(lock);
    FAIL() << "wait without the lock did not throw";
  } catch (const weft::usage_error& e) {
    EXPECT_NE(std::string(e.what()).find("cond_var::wait: the std::unique_lock does not own"),
              std::string::npos)
        << e.what();
  }
}

// --- timed waits -------------------------------------------------------------------------------

struct timed_state {
  weft::mutex mu;
  weft::cond_var cv;
  bool ready = false;      // guarded by mu
  bool in_cs = false;      // guarded by mu: the notifier is inside its critical section
  bool timed_out = false;  // guarded by mu
  weft::wait_group wg;
};

// Nobody notifies: wait_for returns timeout at exactly the virtual deadline, mutex held.
void timeout_without_notifier_body() {
  auto st = std::make_shared<timed_state>();
  std::unique_lock lock(st->mu);
  const weft::clock::time_point start = weft::clock::now();
  require(st->cv.wait_for(lock, 10ms) == std::cv_status::timeout, "wait_for did not time out");
  require(lock.owns_lock(), "wait_for returned without the mutex");
  require(weft::clock::now() - start == 10ms, "the timeout was not at the virtual deadline");
  const weft::clock::time_point deadline = weft::clock::now() + 5ms;
  require(st->cv.wait_until(lock, deadline) == std::cv_status::timeout,
          "wait_until did not time out");
  require(weft::clock::now() == deadline, "wait_until did not return at its deadline");
  lock.unlock();
  require(st->mu.try_lock(), "the mutex stayed locked after unlock");  // it was really held
  st->mu.unlock();
}

TEST(CondVarScope, TimedWaitWithoutNotifierTimesOutAtTheVirtualDeadline) {
  toolbox::expect_clean(toolbox::scope_options(200), timeout_without_notifier_body);
  toolbox::expect_clean(toolbox::scope_options(200, weft::time_policy::idle_only),
                        timeout_without_notifier_body);
}

// The notifier wakes 1 ms in, before the 10 ms deadline; with idle_only time cannot jump past
// the notify (the notifier is runnable), so the wait is notified: no_timeout, at 1 ms.
TEST(CondVarScope, NotifyBeforeTheDeadlineIsNoTimeout) {
  toolbox::expect_clean(toolbox::scope_options(500, weft::time_policy::idle_only), [] {
    auto st = std::make_shared<timed_state>();
    weft::go("notifier", [st] {
      weft::sleep_for(1ms);
      st->cv.notify_one();
    });
    std::unique_lock lock(st->mu);
    const weft::clock::time_point start = weft::clock::now();
    require(st->cv.wait_for(lock, 10ms) == std::cv_status::no_timeout,
            "a wait notified before its deadline timed out");
    require(lock.owns_lock(), "wait_for returned without the mutex");
    require(weft::clock::now() - start == 1ms, "the wait did not end at the notify");
  });
}

// A notify racing the deadline: the waiter is queued before the notifier can lock the mutex, so
// the notify always finds it queued unless the deadline withdrew it first. Returns the outcomes
// seen over the explored schedules; every schedule checks that the waiter re-locked the mutex
// (it never returns while the notifier is inside its critical section).
std::set<std::cv_status> race_outcomes(weft::time_policy policy) {
  std::set<std::cv_status> seen;
  weft::report r = weft::explore(toolbox::scope_options(1000, policy), [&seen] {
    auto st = std::make_shared<timed_state>();
    st->wg.add(1);
    std::unique_lock lock(st->mu);
    weft::go("notifier", [st] {
      {
        std::lock_guard guard(st->mu);
        st->in_cs = true;
        weft::yield();
        st->in_cs = false;
      }
      st->cv.notify_one();
      st->wg.done();
    });
    const std::cv_status status = st->cv.wait_for(lock, 10ms);
    require(lock.owns_lock(), "wait_for returned without the mutex");
    require(!st->in_cs, "wait_for returned while the notifier held the mutex");
    seen.insert(status);
    lock.unlock();
    st->wg.wait();
  });
  EXPECT_TRUE(r.ok()) << r.message;
  return seen;
}

TEST(CondVarScope, NotifyRacingTheDeadlineIsExploredBothWays) {
  const std::set<std::cv_status> explored = race_outcomes(weft::time_policy::explored);
  EXPECT_EQ(explored.count(std::cv_status::timeout), 1u) << "the timeout was never explored";
  EXPECT_EQ(explored.count(std::cv_status::no_timeout), 1u) << "the notify never won";
  // Time moves only when everyone is blocked: the runnable notifier always wins.
  const std::set<std::cv_status> idle = race_outcomes(weft::time_policy::idle_only);
  EXPECT_EQ(idle, std::set<std::cv_status>{std::cv_status::no_timeout});
}

// The predicate forms return pred()'s final value: false at the deadline if it never held, true
// as soon as it holds (a notify without the condition is waited through).
void predicate_forms_body() {
  auto st = std::make_shared<timed_state>();
  std::unique_lock lock(st->mu);
  const weft::clock::time_point start = weft::clock::now();
  require(!st->cv.wait_for(lock, 3ms, [&] { return st->ready; }),
          "wait_for(pred) returned true with pred false");
  require(weft::clock::now() - start == 3ms, "wait_for(pred) did not wait until its deadline");
  require(lock.owns_lock(), "wait_for(pred) returned without the mutex");
  st->wg.add(1);
  weft::go("setter", [st] {
    st->cv.notify_one();  // may be lost or spurious for the predicate: it is waited through
    weft::sleep_for(2ms);
    {
      std::lock_guard guard(st->mu);
      st->ready = true;
    }
    st->cv.notify_all();
    st->wg.done();
  });
  const weft::clock::time_point deadline = weft::clock::now() + 1h;
  require(st->cv.wait_until(lock, deadline, [&] { return st->ready; }),
          "wait_until(pred) returned false although pred became true");
  require(lock.owns_lock() && st->ready, "wait_until(pred) returned without mutex or pred");
  lock.unlock();
  st->wg.wait();
}

TEST(CondVarScope, TimedWaitPredicateForms) {
  toolbox::expect_clean(toolbox::scope_options(500, weft::time_policy::idle_only),
                        predicate_forms_body);
}

// A waiter whose time ran out leaves the queue: the next notify_one goes to the other waiter.
void timed_out_waiter_leaves_queue_body() {
  auto st = std::make_shared<timed_state>();
  st->wg.add(2);
  weft::go("timed", [st] {
    std::unique_lock lock(st->mu);
    require(st->cv.wait_for(lock, 1ms) == std::cv_status::timeout, "nobody notified it");
    st->timed_out = true;
    lock.unlock();
    st->wg.done();
  });
  weft::go("untimed", [st] {
    std::unique_lock lock(st->mu);
    st->cv.wait(lock, [&] { return st->ready; });
    lock.unlock();
    st->wg.done();
  });
  const bool timed_out = toolbox::poll_until([&] {
    std::lock_guard guard(st->mu);
    return st->timed_out;
  });
  require(timed_out, "the timed waiter never timed out");
  {
    std::lock_guard guard(st->mu);
    st->ready = true;
  }
  st->cv.notify_one();  // must reach "untimed", not the departed "timed"
  st->wg.wait();
}

TEST(CondVarScope, TimedOutWaiterLeavesTheQueue) {
  toolbox::expect_clean(toolbox::scope_options(500, weft::time_policy::idle_only),
                        timed_out_waiter_leaves_queue_body);
}

TEST(CondVarScope, TimedWaitWithoutTheLockPanics) {
  weft::report r = weft::run([] {
    weft::mutex mu;
    weft::cond_var cv;
    std::unique_lock lock(mu, std::defer_lock);
    (void)cv.wait_for(lock, 1ms);
  });
  ASSERT_EQ(r.kind, weft::failure_kind::panic) << r.message;
  EXPECT_NE(r.message.find("cond_var::wait_until: the std::unique_lock does not own its mutex"),
            std::string::npos)
      << r.message;
}

TEST(ProductionCondVar, TimedWaitWithoutNotifierTimesOut) {
  auto st = std::make_shared<timed_state>();
  std::unique_lock lock(st->mu);
  const weft::clock::time_point deadline = weft::clock::now() + 20ms;
  EXPECT_EQ(st->cv.wait_until(lock, deadline), std::cv_status::timeout);
  EXPECT_TRUE(lock.owns_lock());
  EXPECT_GE(weft::clock::now(), deadline);  // the contract, not a timing measurement
  EXPECT_EQ(st->cv.wait_for(lock, 1ms), std::cv_status::timeout);
  EXPECT_FALSE(st->cv.wait_for(lock, 1ms, [] { return false; }));
  EXPECT_TRUE(st->cv.wait_for(lock, -1ms, [] { return true; }));
  lock.unlock();
  EXPECT_TRUE(st->mu.try_lock());
  st->mu.unlock();
}

TEST(ProductionCondVar, NotifyBeforeTheDeadlineIsNoTimeout) {
  auto st = std::make_shared<timed_state>();
  st->wg.add(1);
  weft::go([st] {
    {
      std::lock_guard guard(st->mu);
      st->ready = true;
    }
    st->cv.notify_one();
    st->wg.done();
  });
  std::unique_lock lock(st->mu);
  EXPECT_TRUE(st->cv.wait_for(lock, 1h, [&] { return st->ready; }));
  EXPECT_TRUE(lock.owns_lock());
  lock.unlock();
  st->wg.wait();
  // Without a predicate: the notifier locks the mutex, so it notifies after the wait began.
  st->wg.add(1);
  lock.lock();
  weft::go([st] {
    { std::lock_guard guard(st->mu); }
    st->cv.notify_all();
    st->wg.done();
  });
  EXPECT_EQ(st->cv.wait_until(lock, weft::clock::time_point::max()), std::cv_status::no_timeout);
  lock.unlock();
  st->wg.wait();
}

TEST(ProductionCondVar, TimedOutWaiterLeavesTheQueue) {
  toolbox::run_threads(timed_out_waiter_leaves_queue_body);
}

// Timed and untimed waiters mixed on one cond_var under load: every item arrives, in order,
// whether a consumer was woken by a notify or by its (short) deadline.
void mixed_timed_body(int items) {
  struct state {
    weft::mutex mu;
    weft::cond_var cv;
    std::deque<int> queue;  // guarded by mu
    std::vector<int> received;
    weft::wait_group wg;
  };
  auto st = std::make_shared<state>();
  constexpr int consumers = 3;
  st->wg.add(consumers + 1);
  weft::go("producer", [st, items] {
    for (int i = 0; i < items; ++i) {
      {
        std::lock_guard guard(st->mu);
        st->queue.push_back(i);
      }
      if (i % 2 == 0) {
        st->cv.notify_one();
      } else {
        st->cv.notify_all();
      }
    }
    st->wg.done();
  });
  for (int c = 0; c < consumers; ++c) {
    weft::go("consumer", [st, items, c] {
      std::unique_lock lock(st->mu);
      for (;;) {
        if (static_cast<int>(st->received.size()) == items) break;
        if (st->queue.empty()) {
          if (c == 0) {
            st->cv.wait(lock, [&] {
              return !st->queue.empty() || static_cast<int>(st->received.size()) == items;
            });
          } else {
            st->cv.wait_for(lock, std::chrono::microseconds(50 * c));
          }
          continue;
        }
        st->received.push_back(st->queue.front());
        st->queue.pop_front();
        if (static_cast<int>(st->received.size()) == items) st->cv.notify_all();
      }
      lock.unlock();
      st->wg.done();
    });
  }
  st->wg.wait();
  std::lock_guard guard(st->mu);
  require(static_cast<int>(st->received.size()) == items, "items were lost");
  for (int i = 0; i < static_cast<int>(st->received.size()); ++i) {
    require(st->received[i] == i, "items arrived out of order");
  }
}

TEST(CondVarScope, MixedTimedAndUntimedWaiters) {
  toolbox::expect_clean(toolbox::scope_options(300), [] { mixed_timed_body(4); });
}
TEST(ProductionCondVar, MixedTimedAndUntimedWaiters) {
  toolbox::run_threads([] { mixed_timed_body(20000); });
}

}  // namespace
