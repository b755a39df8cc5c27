// Bug kernels for the synchronization toolbox: each a buggy program weft must catch, and its
// fixed twin that must pass 10,000 explored executions.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <weft/cond_var.hpp>
#include <weft/explore.hpp>
#include <weft/mutex.hpp>
#include <weft/rw_mutex.hpp>
#include <weft/task.hpp>
#include <weft/wait_group.hpp>

namespace {

weft::options kernel_options() {
  weft::options opts;
  opts.strategy = weft::strategy::random;
  opts.seed = 0;
  opts.iterations = 10'000;
  return opts;
}

// --- (a) RWR deadlock ---------------------------------------------------------------------------
//
// A cache whose lookup holds the read lock and calls size(), which read-locks again. Harmless
// while only readers come, but Go's RWMutex (and weft::rw_mutex) prefers writers: if a writer
// asks for the lock between the two read locks, the second read lock waits for the writer, the
// writer waits for the first read lock to be released — a deadlock (reader, writer, reader).

class cache {
 public:
  explicit cache(bool recursive) : recursive_(recursive) {}

  int lookup(const std::string& key) {
    std::shared_lock lock(mu_);
    const auto it = entries_.find(key);
    const int found = it == entries_.end() ? -1 : it->second;
    // Buggy: size() read-locks again. Fixed: the caller already holds the lock.
    const int n = recursive_ ? size() : size_locked();
    return found < 0 ? -n : found;
  }

  int size() {
    std::shared_lock lock(mu_);
    return size_locked();
  }

  void put(const std::string& key, int value) {
    std::unique_lock lock(mu_);
    entries_[key] = value;
  }

 private:
  int size_locked() const { return static_cast<int>(entries_.size()); }

  const bool recursive_;
  weft::rw_mutex mu_;
  std::map<std::string, int> entries_;  // guarded by mu_
};

void rwr_program(bool buggy) {
  struct state {
    explicit state(bool buggy) : c(buggy) {}
    cache c;
    weft::wait_group wg;
  };
  auto st = std::make_shared<state>(buggy);
  st->wg.add(2);
  weft::go("reader", [st] {
    st->c.lookup("a");
    st->wg.done();
  });
  weft::go("writer", [st] {
    st->c.put("a", 1);
    st->wg.done();
  });
  st->wg.wait();
}

TEST(ToolboxKernels, RwrDeadlockIsFound) {
  weft::report r = weft::explore(kernel_options(), [] { rwr_program(true); });
  ASSERT_EQ(r.kind, weft::failure_kind::deadlock) << r.message;
  EXPECT_NE(r.message.find("task \"reader\""), std::string::npos) << r.message;
  EXPECT_NE(r.message.find("is blocked in rw_mutex::lock_shared on rw_mutex#"), std::string::npos)
      << r.message;
  EXPECT_NE(r.message.find("task \"writer\""), std::string::npos) << r.message;
  EXPECT_NE(r.message.find("is blocked in rw_mutex::lock on rw_mutex#"), std::string::npos)
      << r.message;
  // The report replays to the same deadlock.
  weft::options replay = kernel_options();
  replay.replay = r.replay;
  weft::report again = weft::explore(replay, [] { rwr_program(true); });
  EXPECT_EQ(again.kind, weft::failure_kind::deadlock);
  EXPECT_EQ(again.message, r.message);
}

TEST(ToolboxKernels, RwrDeadlockFixedTwinPasses10000Executions) {
  weft::report r = weft::explore(kernel_options(), [] { rwr_program(false); });
  EXPECT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(r.executions, 10'000u);
}

// --- (b) lost wakeup on a condition variable -----------------------------------------------------
//
// The waiter waits without checking the condition first (no predicate): it assumes the
// notification is still to come. When the notifier runs first, its notify_one finds nobody
// waiting and is lost, and the waiter sleeps forever. Fix: wait with a predicate under the mutex,
// so a waiter that comes late sees `ready` and does not wait at all.

void lost_wakeup_program(bool buggy) {
  struct state {
    weft::mutex mu;
    weft::cond_var cv;
    bool ready = false;  // guarded by mu
    int taken = 0;       // guarded by mu
    weft::wait_group wg;
  };
  auto st = std::make_shared<state>();
  st->wg.add(2);
  weft::go("waiter", [st, buggy] {
    std::unique_lock lock(st->mu);
    if (buggy) {
      st->cv.wait(lock);  // bug: no check of `ready` before waiting
    } else {
      st->cv.wait(lock, [&] { return st->ready; });
    }
    ++st->taken;
    lock.unlock();
    st->wg.done();
  });
  weft::go("notifier", [st] {
    {
      std::lock_guard lock(st->mu);
      st->ready = true;
    }
    st->cv.notify_one();
    st->wg.done();
  });
  st->wg.wait();
}

TEST(ToolboxKernels, LostWakeupIsFound) {
  weft::report r = weft::explore(kernel_options(), [] { lost_wakeup_program(true); });
  ASSERT_TRUE(r.kind == weft::failure_kind::deadlock || r.kind == weft::failure_kind::leak)
      << r.message;
  EXPECT_NE(r.message.find("task \"waiter\""), std::string::npos) << r.message;
  EXPECT_NE(r.message.find("is blocked in cond_var::wait on cond_var#"), std::string::npos)
      << r.message;
}

TEST(ToolboxKernels, LostWakeupFixedTwinPasses10000Executions) {
  weft::report r = weft::explore(kernel_options(), [] { lost_wakeup_program(false); });
  EXPECT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(r.executions, 10'000u);
}

}  // namespace
