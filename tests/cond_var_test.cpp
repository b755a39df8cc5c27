// cond_var: wakeup rules inside a scope ("CondVarScope") and on real threads ("CondVarThreads").
#include <weft/cond_var.hpp>

#include <gtest/gtest.h>

#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>
#include <weft/mutex.hpp>
#include <weft/task.hpp>
#include <weft/wait_group.hpp>

#include "toolbox_support.hpp"

namespace {

using toolbox::require;

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
TEST(CondVarThreads, NotifyOneWakesOneInFifoOrder) { toolbox::run_threads(notify_one_body); }

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
TEST(CondVarThreads, NotifyAllWakesAll) { toolbox::run_threads(notify_all_body); }

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
TEST(CondVarThreads, WaitWithPredicate) {
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

TEST(CondVarThreads, WaitWithoutTheLockThrowsUsageError) {
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

}  // namespace
