// rw_mutex: Go's sync.RWMutex rules, one test per rule, inside a scope ("RwMutexScope") and on
// real threads ("RwMutexThreads").
#include <weft/rw_mutex.hpp>

#include <gtest/gtest.h>

#include <memory>
#include <mutex>
#include <shared_mutex>
#include <stdexcept>
#include <string>
#include <weft/atomic.hpp>
#include <weft/chan.hpp>
#include <weft/task.hpp>
#include <weft/wait_group.hpp>

#include "toolbox_support.hpp"

namespace {

using toolbox::require;

// --- writer preference -----------------------------------------------------------------------

// The body holds a read lock; a writer asks for the lock (and must wait); a reader arriving after
// that must wait for the writer too, even though only readers hold the lock.
void writer_preference_body() {
  struct state {
    weft::rw_mutex rw;
    weft::atomic<int> seq{0};
    weft::atomic<int> writer_at{-1};
    weft::atomic<int> reader_at{-1};
    weft::wait_group wg;
  };
  auto st = std::make_shared<state>();
  st->rw.lock_shared();
  st->wg.add(2);
  weft::go("writer", [st] {
    st->rw.lock();
    st->writer_at.store(st->seq.fetch_add(1));
    st->rw.unlock();
    st->wg.done();
  });
  // Once try_lock_shared fails the writer waits (only readers hold the lock).
  const bool writer_waits = toolbox::poll_until([&] {
    if (!st->rw.try_lock_shared()) return true;
    st->rw.unlock_shared();
    return false;
  });
  require(writer_waits, "the writer never started waiting");
  weft::go("late reader", [st] {
    st->rw.lock_shared();
    st->reader_at.store(st->seq.fetch_add(1));
    st->rw.unlock_shared();
    st->wg.done();
  });
  toolbox::settle();  // let the late reader block (it must not get in)
  require(!st->rw.try_lock_shared(), "try_lock_shared succeeded while a writer waited");
  require(st->reader_at.load() == -1, "a new reader got in while a writer waited");
  st->rw.unlock_shared();
  st->wg.wait();
  require(st->writer_at.load() < st->reader_at.load(),
          "the reader that came after the waiting writer entered before it");
}

TEST(RwMutexScope, WriterPreference) {
  toolbox::expect_clean(toolbox::scope_options(), writer_preference_body);
}
TEST(RwMutexThreads, WriterPreference) { toolbox::run_threads(writer_preference_body); }

// --- readers parked behind a writer are admitted together, before the next writer -----------

// A writer holds the lock while two readers and a second writer arrive (settle() makes sure of
// that inside the scope, where time moves only once all of them are blocked). When the first
// writer unlocks, both readers get in before the second writer, whatever order they arrived in.
void readers_admitted_together_body() {
  struct state {
    weft::rw_mutex rw;
    weft::atomic<int> seq{0};
    weft::atomic<int> reader_at[2] = {-1, -1};
    weft::atomic<int> writer2_at{-1};
    weft::wait_group wg;
  };
  auto st = std::make_shared<state>();
  st->rw.lock();  // writer 1 is the body
  st->wg.add(3);
  for (int i = 0; i < 2; ++i) {
    weft::go("reader-" + std::to_string(i), [st, i] {
      st->rw.lock_shared();
      st->reader_at[i].store(st->seq.fetch_add(1));
      weft::yield();
      st->rw.unlock_shared();
      st->wg.done();
    });
  }
  weft::go("writer-2", [st] {
    st->rw.lock();
    st->writer2_at.store(st->seq.fetch_add(1));
    st->rw.unlock();
    st->wg.done();
  });
  toolbox::settle();  // everybody is parked on rw now
  require(st->seq.load() == 0, "someone got in while a writer held the lock");
  st->rw.unlock();
  st->wg.wait();
  const int w2 = st->writer2_at.load();
  require(st->reader_at[0].load() < w2 && st->reader_at[1].load() < w2,
          "the second writer got in before a reader parked behind the first writer");
}

TEST(RwMutexScope, ReadersParkedBehindWriterAreAdmittedTogether) {
  toolbox::expect_clean(toolbox::scope_options(2000, weft::time_policy::idle_only),
                        readers_admitted_together_body);
}
TEST(RwMutexThreads, ReadersParkedBehindWriterAreAdmittedTogether) {
  toolbox::run_threads(readers_admitted_together_body);
}

// The admitted readers really hold the lock together: the next writer waits for both to leave.
TEST(RwMutexScope, NextWriterWaitsForAdmittedReaders) {
  weft::report r = weft::explore(toolbox::scope_options(1000, weft::time_policy::idle_only), [] {
    struct state {
      weft::rw_mutex rw;
      weft::atomic<int> readers_inside{0};
      weft::atomic<int> seen_by_writer{-1};
      weft::wait_group wg;
    };
    auto st = std::make_shared<state>();
    st->rw.lock();
    st->wg.add(3);
    for (int i = 0; i < 2; ++i) {
      weft::go([st] {
        std::shared_lock lock(st->rw);
        st->readers_inside.fetch_add(1);
        weft::yield();
        st->readers_inside.fetch_sub(1);
        st->wg.done();
      });
    }
    weft::go([st] {
      std::unique_lock lock(st->rw);
      st->seen_by_writer.store(st->readers_inside.load());
      st->wg.done();
    });
    toolbox::settle();
    st->rw.unlock();
    st->wg.wait();
    require(st->seen_by_writer.load() == 0, "a writer held the lock together with readers");
  });
  EXPECT_TRUE(r.ok()) << r.message;
}

// --- recursive read locking with a writer in between deadlocks --------------------------------

TEST(RwMutexScope, RecursiveReadLockWithWaitingWriterDeadlocks) {
  weft::report r = weft::explore(toolbox::scope_options(50), [] {
    auto rw = std::make_shared<weft::rw_mutex>();
    rw->lock_shared();
    weft::go("writer", [rw] {
      rw->lock();
      rw->unlock();
    });
    toolbox::poll_until([&] {
      if (!rw->try_lock_shared()) return true;
      rw->unlock_shared();
      return false;
    });
    rw->lock_shared();  // Go: deadlock — the waiting writer blocks new readers, we block it
    rw->unlock_shared();
    rw->unlock_shared();
  });
  ASSERT_EQ(r.kind, weft::failure_kind::deadlock) << r.message;
  EXPECT_EQ(r.iteration, 0u);  // every schedule deadlocks
  EXPECT_NE(
      r.message.find("\"main\" (the test body) is blocked in rw_mutex::lock_shared on rw_mutex#"),
      std::string::npos)
      << r.message;
  EXPECT_NE(r.message.find("\"writer\" (spawned at rw_mutex_test.cpp:"), std::string::npos)
      << r.message;
  EXPECT_NE(r.message.find("is blocked in rw_mutex::lock on rw_mutex#"), std::string::npos)
      << r.message;
}

// A deadlock report names the writer that holds the rw_mutex.
TEST(RwMutexScope, DeadlockReportNamesTheWritingHolder) {
  weft::report r = weft::explore(toolbox::scope_options(100), [] {
    struct state {
      weft::rw_mutex rw;
    };
    auto st = std::make_shared<state>();
    weft::chan<int> locked;
    weft::chan<int> never;
    weft::go("holder", [st, locked, never] {
      st->rw.lock();
      locked.send(1);
      never.recv();
    });
    locked.recv();
    st->rw.lock_shared();
  });
  ASSERT_EQ(r.kind, weft::failure_kind::deadlock) << r.message;
  EXPECT_EQ(r.iteration, 0u);
  EXPECT_NE(r.message.find("blocked in rw_mutex::lock_shared on rw_mutex#1 (created at "
                           "rw_mutex_test.cpp:"),
            std::string::npos)
      << r.message;
  EXPECT_NE(r.message.find("held by task \"holder\""), std::string::npos) << r.message;
}

// An execution that fails while a reader is at its unlock_shared and a writer waits: teardown
// unwinds the (newer) writer first, then lets the reader's unlock_shared run on. The rw_mutex
// must not touch the writer's waiter record then (it is gone): the report is the failure, intact.
// Every execution fails, so each seed explores one schedule; some of them end with the reader
// suspended at its unlock_shared, others after it.
TEST(RwMutexScope, FailureDuringUnlockSharedWithAWaitingWriterTearsDownCleanly) {
  for (std::uint64_t seed = 0; seed < 64; ++seed) {
    weft::options opts = toolbox::scope_options(1);
    opts.seed = seed;
    weft::report r = weft::explore(opts, [] {
      struct state {
        weft::rw_mutex rw;
        bool unlocking = false;  // set right before the reader's unlock_shared (no step between)
      };
      auto st = std::make_shared<state>();
      st->rw.lock_shared();
      weft::go("writer", [st] {
        st->rw.lock();
        st->rw.unlock();
      });
      toolbox::poll_until([&] {
        if (!st->rw.try_lock_shared()) return true;
        st->rw.unlock_shared();
        return false;
      });
      weft::go("failing", [st] {
        while (!st->unlocking) weft::yield();
        throw std::runtime_error("boom");
      });
      st->unlocking = true;
      st->rw.unlock_shared();
      weft::chan<int>().recv();  // blocks until "failing" ends the execution
    });
    ASSERT_EQ(r.kind, weft::failure_kind::uncaught_exception) << "seed " << seed << r.message;
    EXPECT_NE(r.message.find("boom"), std::string::npos) << r.message;
  }
}

// --- mutual exclusion, try_*, ownership ---------------------------------------------------------

// Writers exclude everyone; readers exclude writers; std::unique_lock / std::shared_lock work.
void exclusion_body(int rounds) {
  struct state {
    weft::rw_mutex rw;
    weft::atomic<int> readers{0};
    weft::atomic<int> writers{0};
    weft::atomic<int> max_readers{0};
    int value = 0;  // guarded by rw
    weft::wait_group wg;
  };
  auto st = std::make_shared<state>();
  st->wg.add(4);
  for (int w = 0; w < 2; ++w) {
    weft::go([st, rounds] {
      for (int i = 0; i < rounds; ++i) {
        std::unique_lock lock(st->rw);
        require(st->writers.fetch_add(1) == 0, "two writers inside");
        require(st->readers.load() == 0, "a writer inside with readers");
        ++st->value;
        st->writers.fetch_sub(1);
      }
      st->wg.done();
    });
  }
  for (int r = 0; r < 2; ++r) {
    weft::go([st, rounds] {
      for (int i = 0; i < rounds; ++i) {
        std::shared_lock lock(st->rw);
        const int inside = st->readers.fetch_add(1) + 1;
        int seen = st->max_readers.load();
        while (inside > seen && !st->max_readers.compare_exchange_strong(seen, inside)) {
        }
        require(st->writers.load() == 0, "a reader inside with a writer");
        st->readers.fetch_sub(1);
      }
      st->wg.done();
    });
  }
  st->wg.wait();
  std::shared_lock lock(st->rw);
  require(st->value == 2 * rounds, "lost a write");
}

TEST(RwMutexScope, MutualExclusion) {
  toolbox::expect_clean(toolbox::scope_options(1000), [] { exclusion_body(2); });
}
TEST(RwMutexThreads, MutualExclusion) {
  toolbox::run_threads([] { exclusion_body(2000); });
}

void try_lock_body() {
  weft::rw_mutex rw;
  require(rw.try_lock_shared(), "try_lock_shared on a free rw_mutex failed");
  require(rw.try_lock_shared(), "a second reader was refused");
  require(!rw.try_lock(), "try_lock succeeded while readers hold the lock");
  rw.unlock_shared();
  rw.unlock_shared();
  require(rw.try_lock(), "try_lock on a free rw_mutex failed");
  require(!rw.try_lock(), "try_lock succeeded twice");
  require(!rw.try_lock_shared(), "try_lock_shared succeeded while a writer holds the lock");
  rw.unlock();
}

TEST(RwMutexScope, TryLock) { toolbox::expect_clean(toolbox::scope_options(10), try_lock_body); }
TEST(RwMutexThreads, TryLock) { toolbox::run_threads(try_lock_body); }

// Not owned: one task locks, another unlocks (Go allows it).
void unlock_by_other_task_body() {
  struct state {
    weft::rw_mutex rw;
    weft::wait_group wg;
  };
  auto st = std::make_shared<state>();
  st->rw.lock();
  st->wg.add(1);
  weft::go([st] {
    st->rw.unlock();  // unlocks the body's write lock
    st->rw.lock_shared();
    st->wg.done();
  });
  st->wg.wait();
  st->rw.unlock_shared();  // releases the task's read lock
  require(st->rw.try_lock(), "the rw_mutex is not free after the cross-task unlocks");
  st->rw.unlock();
}

TEST(RwMutexScope, NotOwned) {
  toolbox::expect_clean(toolbox::scope_options(200), unlock_by_other_task_body);
}
TEST(RwMutexThreads, NotOwned) { toolbox::run_threads(unlock_by_other_task_body); }

// --- misuse -----------------------------------------------------------------------------------

TEST(RwMutexScope, UnlockOfUnlockedPanics) {
  weft::report r = weft::run([] {
    weft::rw_mutex rw;
    rw.unlock();
  });
  ASSERT_EQ(r.kind, weft::failure_kind::panic) << r.message;
  EXPECT_NE(r.message.find("rw_mutex::unlock: unlock of unlocked rw_mutex#1 (created at "
                           "rw_mutex_test.cpp:"),
            std::string::npos)
      << r.message;
}

TEST(RwMutexScope, UnlockWhileOnlyReadLockedPanics) {
  weft::report r = weft::run([] {
    weft::rw_mutex rw;
    rw.lock_shared();
    rw.unlock();
  });
  ASSERT_EQ(r.kind, weft::failure_kind::panic) << r.message;
  EXPECT_NE(r.message.find("rw_mutex::unlock: unlock of unlocked rw_mutex#1"), std::string::npos)
      << r.message;
}

TEST(RwMutexScope, UnlockSharedWithoutReadersPanics) {
  weft::report r = weft::run([] {
    weft::rw_mutex rw;
    rw.lock();
    rw.unlock_shared();
  });
  ASSERT_EQ(r.kind, weft::failure_kind::panic) << r.message;
  EXPECT_NE(r.message.find("rw_mutex::unlock_shared: unlock_shared of read-unlocked rw_mutex#1"),
            std::string::npos)
      << r.message;
}

TEST(RwMutexThreads, MisuseThrowsUsageError) {
  weft::rw_mutex rw;
  try {
    rw.unlock();
    FAIL() << "unlock of an unlocked rw_mutex did not throw";
  } catch (const weft::usage_error& e) {
    EXPECT_NE(std::string(e.what()).find("rw_mutex::unlock: unlock of unlocked rw_mutex"),
              std::string::npos)
        << e.what();
  }
  try {
    rw.unlock_shared();
    FAIL() << "unlock_shared without readers did not throw";
  } catch (const weft::usage_error& e) {
    EXPECT_NE(std::string(e.what()).find("rw_mutex::unlock_shared"), std::string::npos) << e.what();
  }
  // The failed calls left it usable.
  EXPECT_TRUE(rw.try_lock());
  rw.unlock();
}

}  // namespace
