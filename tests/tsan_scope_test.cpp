// ThreadSanitizer inside deterministic scopes (-DWEFT_SANITIZE=thread builds only; skipped
// otherwise, where the tracked<T> detector covers the same kernels).
//
// The race kernels of issue 6 on PLAIN memory (an int, a std::map, a pointer, a struct field),
// each as a buggy and a fixed twin. A buggy kernel must be reported by TSan and come back as a
// weft failure of kind data_race carrying the replay line (fiber.cpp turns the report into one);
// a fixed kernel must run every explored schedule with no TSan report at all — weft's own state
// (engine tables, wait queues, channel buffers, task closures, reused stacks) included.
//
// TSan prints each race once per process (it deduplicates by stack), so every kernel here races
// at its own source line, and no test re-runs a buggy kernel in the same process.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <vector>
#include <weft/chan.hpp>
#include <weft/detail/tsan.hpp>
#include <weft/explore.hpp>
#include <weft/mutex.hpp>
#include <weft/once.hpp>
#include <weft/rw_mutex.hpp>
#include <weft/task.hpp>
#include <weft/wait_group.hpp>
#include <weft/worker_pool.hpp>

namespace {

#ifdef WEFT_TSAN
#define WEFT_REQUIRE_TSAN() (void)0
#else
#define WEFT_REQUIRE_TSAN() \
  GTEST_SKIP() << "needs -DWEFT_SANITIZE=thread (the tracked<T> detector covers other builds)"
#endif

weft::options options() {
  weft::options opts;
  opts.seed = 0;
  opts.iterations = 100;
  opts.detect_races = false;  // no tracked<T> here: TSan alone must find the race
  return opts;
}

void expect_tsan_race(const std::function<void()>& body) {
  const weft::report r = weft::explore(options(), body);
  EXPECT_EQ(r.kind, weft::failure_kind::data_race) << r.message;
  EXPECT_NE(r.message.find("ThreadSanitizer: data race"), std::string::npos) << r.message;
  // The two accesses are named by the test's own source lines, not weft's or the library's.
  EXPECT_NE(r.message.find("at tsan_scope_test.cpp:"), std::string::npos) << r.message;
  EXPECT_NE(r.message.find("replay: WEFT_REPLAY=w1."), std::string::npos) << r.message;
  EXPECT_FALSE(r.replay.empty());
}

void expect_clean(const std::function<void()>& body) {
  const weft::report r = weft::explore(options(), body);
  EXPECT_TRUE(r.ok()) << r.message;
}

// --- an unsynchronized counter in a worker pool ------------------------------------------------

std::function<void()> pool_counter(bool fixed) {
  return [fixed] {
    struct shared {
      weft::mutex mu;
      int total = 0;  // plain memory
    };
    auto st = std::make_shared<shared>();
    {
      weft::worker_pool<int> pool(3, 2, [st, fixed](int v) {
        if (fixed) {
          std::lock_guard lock(st->mu);
          st->total += v;
        } else {
          st->total += v;  // the race: workers add concurrently
        }
      });
      for (int i = 1; i <= 6; ++i) pool.submit(i);
      pool.shutdown();  // joins the workers: their adds happen before what follows
    }
    EXPECT_EQ(st->total, 21);
  };
}

TEST(TsanScope, WorkerPoolCounterRaces) {
  WEFT_REQUIRE_TSAN();
  expect_tsan_race(pool_counter(false));
}
TEST(TsanScope, WorkerPoolCounterUnderMutexIsClean) {
  WEFT_REQUIRE_TSAN();
  expect_clean(pool_counter(true));
}

// --- a map written by one task and read by another ---------------------------------------------

std::function<void()> map_handoff(bool fixed) {
  return [fixed] {
    auto m = std::make_shared<std::map<std::string, int>>();
    // What the racy lookup saw. Kept in shared memory so that the lookup is not dead code: g++
    // -O2 removes a `(void)m->find(...)` entirely (it has no side effect), and then there is no
    // read left for TSan to see.
    auto early = std::make_shared<bool>(false);
    weft::chan<int> ready;
    auto wg = std::make_shared<weft::wait_group>();
    wg->add(2);
    weft::go("writer", [m, ready, wg] {
      (*m)["answer"] = 42;
      ready.send(1);
      wg->done();
    });
    weft::go("reader", [m, early, ready, fixed, wg] {
      if (fixed) {
        ready.recv();  // the send happens before this receive returns
        EXPECT_NE(m->find("answer"), m->end());
      } else {
        *early = m->find("answer") != m->end();  // racy read: the writer may be inserting
        ready.recv();
      }
      wg->done();
    });
    wg->wait();
  };
}

TEST(TsanScope, MapWrittenAndReadByTwoTasksRaces) {
  WEFT_REQUIRE_TSAN();
  expect_tsan_race(map_handoff(false));
}
TEST(TsanScope, MapHandedOverThroughChannelIsClean) {
  WEFT_REQUIRE_TSAN();
  expect_clean(map_handoff(true));
}

// --- a lazily initialized pointer from 10 tasks ------------------------------------------------

std::function<void()> lazy_pointer(bool fixed) {
  return [fixed] {
    struct shared {
      std::unique_ptr<int> config;  // plain pointer, initialized on first use
      weft::once init;
    };
    auto st = std::make_shared<shared>();
    auto wg = std::make_shared<weft::wait_group>();
    wg->add(10);
    for (int i = 0; i < 10; ++i) {
      weft::go("user", [st, fixed, wg] {
        if (fixed) {
          st->init.call([&] { st->config = std::make_unique<int>(7); });
        } else if (st->config == nullptr) {  // check-then-act without synchronization
          st->config = std::make_unique<int>(7);
        }
        EXPECT_EQ(*st->config, 7);
        wg->done();
      });
    }
    wg->wait();
  };
}

TEST(TsanScope, LazyPointerFromTenTasksRaces) {
  WEFT_REQUIRE_TSAN();
  expect_tsan_race(lazy_pointer(false));
}
TEST(TsanScope, LazyPointerUnderOnceIsClean) {
  WEFT_REQUIRE_TSAN();
  expect_clean(lazy_pointer(true));
}

// --- a field written under a read lock ---------------------------------------------------------

std::function<void()> write_under_read_lock(bool fixed) {
  return [fixed] {
    struct shared {
      weft::rw_mutex rw;
      int hits = 0;  // plain memory
    };
    auto st = std::make_shared<shared>();
    auto wg = std::make_shared<weft::wait_group>();
    wg->add(2);
    for (int i = 0; i < 2; ++i) {
      weft::go("handler", [st, fixed, wg] {
        if (fixed) {
          std::unique_lock lock(st->rw);
          ++st->hits;
        } else {
          std::shared_lock lock(st->rw);  // readers do not exclude each other
          ++st->hits;
        }
        wg->done();
      });
    }
    wg->wait();
    std::shared_lock lock(st->rw);
    EXPECT_EQ(st->hits, 2);
  };
}

TEST(TsanScope, FieldWrittenUnderReadLockRaces) {
  WEFT_REQUIRE_TSAN();
  expect_tsan_race(write_under_read_lock(false));
}
TEST(TsanScope, FieldWrittenUnderWriteLockIsClean) {
  WEFT_REQUIRE_TSAN();
  expect_clean(write_under_read_lock(true));
}

// --- mixed atomic / plain access to one field --------------------------------------------------

std::function<void()> mixed_atomic(bool fixed) {
  return [fixed] {
    struct shared {
      alignas(std::atomic_ref<long>::required_alignment) long sequence = 0;
    };
    auto st = std::make_shared<shared>();
    auto wg = std::make_shared<weft::wait_group>();
    wg->add(2);
    weft::go("atomic-incrementer", [st, wg] {
      std::atomic_ref<long>(st->sequence).fetch_add(1);
      wg->done();
    });
    weft::go("other-incrementer", [st, fixed, wg] {
      if (fixed) {
        std::atomic_ref<long>(st->sequence).fetch_add(1);
      } else {
        st->sequence = st->sequence + 1;  // plain read-modify-write of an atomically used field
      }
      wg->done();
    });
    wg->wait();
  };
}

TEST(TsanScope, MixedAtomicAndPlainAccessRaces) {
  WEFT_REQUIRE_TSAN();
  expect_tsan_race(mixed_atomic(false));
}
TEST(TsanScope, AtomicAccessOnlyIsClean) {
  WEFT_REQUIRE_TSAN();
  expect_clean(mixed_atomic(true));
}

// --- a loop variable captured by reference in `go` ---------------------------------------------

std::function<void()> loop_capture(bool fixed) {
  return [fixed] {
    auto seen = std::make_shared<std::vector<int>>(3, -1);
    auto mu = std::make_shared<weft::mutex>();
    auto wg = std::make_shared<weft::wait_group>();
    int i = 0;  // outlives the tasks (the body waits for them)
    for (; i < 3; ++i) {
      wg->add(1);
      if (fixed) {
        weft::go("capture-by-value", [i, seen, mu, wg] {
          std::lock_guard lock(*mu);
          (*seen)[static_cast<std::size_t>(i)] = i;
          wg->done();
        });
      } else {
        weft::go("capture-by-reference", [&i, seen, mu, wg] {
          const int mine = i;  // races with the loop's ++i
          std::lock_guard lock(*mu);
          if (mine < 3) (*seen)[static_cast<std::size_t>(mine)] = mine;
          wg->done();
        });
      }
    }
    wg->wait();
  };
}

TEST(TsanScope, LoopVariableCapturedByReferenceRaces) {
  WEFT_REQUIRE_TSAN();
  expect_tsan_race(loop_capture(false));
}
TEST(TsanScope, LoopVariableCapturedByValueIsClean) {
  WEFT_REQUIRE_TSAN();
  expect_clean(loop_capture(true));
}

}  // namespace
