// Happens-before edges of the synchronization toolbox (rw_mutex, once, cond_var, semaphore,
// atomic), checked through tracked<T>: each program is run ordered (must pass every explored
// schedule) and with one access moved out of the ordering (must be reported as a data_race).
#include <gtest/gtest.h>

#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <weft/atomic.hpp>
#include <weft/cond_var.hpp>
#include <weft/explore.hpp>
#include <weft/mutex.hpp>
#include <weft/once.hpp>
#include <weft/rw_mutex.hpp>
#include <weft/semaphore.hpp>
#include <weft/task.hpp>
#include <weft/tracked.hpp>
#include <weft/wait_group.hpp>

namespace {

weft::options options(std::uint64_t iterations = 500) {
  weft::options opts;
  opts.seed = 0;
  opts.iterations = iterations;
  opts.detect_races = true;
  return opts;
}

void expect_ordered(const std::function<void()>& body) {
  weft::report r = weft::explore(options(), body);
  EXPECT_TRUE(r.ok()) << r.message;
}

void expect_race(const std::function<void()>& body) {
  weft::report r = weft::explore(options(), body);
  EXPECT_EQ(r.kind, weft::failure_kind::data_race) << r.message;
}

// --- rw_mutex: unlock -> next lock / lock_shared; unlock_shared -> next lock -------------------

// Two writers and two readers; with `reader_writes`, a reader writes under its read lock, which
// does not order it with the other reader.
std::function<void()> rw_program(bool reader_writes) {
  return [reader_writes] {
    struct state {
      weft::rw_mutex rw;
      weft::tracked<int> x{0};
      weft::wait_group wg;
    };
    auto st = std::make_shared<state>();
    st->wg.add(4);
    for (int i = 0; i < 2; ++i) {
      weft::go([st, i] {
        std::unique_lock lock(st->rw);
        st->x.set(i);
        lock.unlock();
        st->wg.done();
      });
      weft::go([st, reader_writes] {
        std::shared_lock lock(st->rw);
        if (reader_writes) {
          st->x.set(7);
        } else {
          st->x.get();
        }
        lock.unlock();
        st->wg.done();
      });
    }
    st->wg.wait();
    std::shared_lock lock(st->rw);
    st->x.get();
  };
}

TEST(ToolboxRacesScope, RwMutexOrdersWritersAndReaders) { expect_ordered(rw_program(false)); }
TEST(ToolboxRacesScope, RwMutexReadLocksDoNotOrderReaders) { expect_race(rw_program(true)); }

// --- once: the function -> every call that returns --------------------------------------------

std::function<void()> once_program(bool read_without_once) {
  return [read_without_once] {
    struct state {
      weft::once once;
      weft::tracked<int> x{0};
      weft::wait_group wg;
    };
    auto st = std::make_shared<state>();
    st->wg.add(3);
    for (int i = 0; i < 3; ++i) {
      weft::go([st, i, read_without_once] {
        if (!(read_without_once && i == 2)) st->once.call([&] { st->x.set(42); });
        st->x.get();
        st->wg.done();
      });
    }
    st->wg.wait();
  };
}

TEST(ToolboxRacesScope, OnceOrdersTheFunctionBeforeEveryCaller) {
  expect_ordered(once_program(false));
}
TEST(ToolboxRacesScope, OnceDoesNotOrderNonCallers) { expect_race(once_program(true)); }

// --- cond_var: notify -> the woken wait ---------------------------------------------------------

// The notifier writes x outside the mutex, after the waiter is known to wait, then notifies; only
// the notify orders that write before the waiter's read (the mutex does not: the write comes
// after the notifier's last unlock). With `write_after_notify` the write follows the notify.
std::function<void()> cond_program(bool write_after_notify) {
  return [write_after_notify] {
    struct state {
      weft::mutex mu;
      weft::cond_var cv;
      bool waiting = false;  // guarded by mu
      weft::tracked<int> x{0};
      weft::wait_group wg;
    };
    auto st = std::make_shared<state>();
    st->wg.add(1);
    weft::go("waiter", [st] {
      std::unique_lock lock(st->mu);
      st->waiting = true;
      st->cv.wait(lock);  // notified exactly once, after `waiting` was seen
      lock.unlock();
      st->x.get();
      st->wg.done();
    });
    for (;;) {
      std::lock_guard lock(st->mu);
      if (st->waiting) break;  // the waiter is enqueued on cv (it set this under mu)
      weft::yield();
    }
    if (!write_after_notify) st->x.set(1);
    st->cv.notify_one();
    if (write_after_notify) st->x.set(2);
    st->wg.wait();
  };
}

TEST(ToolboxRacesScope, CondVarNotifyOrdersTheNotifierBeforeTheWokenWaiter) {
  expect_ordered(cond_program(false));
}
TEST(ToolboxRacesScope, CondVarNotifyDoesNotOrderLaterWrites) { expect_race(cond_program(true)); }

// --- semaphore: release -> the acquire that takes the permit ------------------------------------

std::function<void()> semaphore_program(bool write_after_release) {
  return [write_after_release] {
    struct state {
      weft::semaphore sem{0};
      weft::tracked<int> x{0};
    };
    auto st = std::make_shared<state>();
    weft::go([st, write_after_release] {
      if (!write_after_release) st->x.set(1);
      st->sem.release();
      if (write_after_release) st->x.set(2);
    });
    st->sem.acquire();
    st->x.get();
  };
}

TEST(ToolboxRacesScope, SemaphoreReleaseOrdersBeforeAcquire) {
  expect_ordered(semaphore_program(false));
}
TEST(ToolboxRacesScope, SemaphoreDoesNotOrderLaterWrites) { expect_race(semaphore_program(true)); }

// --- atomic: one clock per object, writes release, reads acquire --------------------------------

std::function<void()> atomic_program(bool write_after_store) {
  return [write_after_store] {
    struct state {
      weft::atomic<bool> ready{false};
      weft::tracked<int> x{0};
    };
    auto st = std::make_shared<state>();
    weft::go([st, write_after_store] {
      if (!write_after_store) st->x.set(1);
      st->ready.store(true);
      if (write_after_store) st->x.set(2);
    });
    while (!st->ready.load()) weft::yield();
    st->x.get();
  };
}

TEST(ToolboxRacesScope, AtomicStoreOrdersBeforeTheLoadThatSeesIt) {
  expect_ordered(atomic_program(false));
}
TEST(ToolboxRacesScope, AtomicDoesNotOrderLaterWrites) { expect_race(atomic_program(true)); }

// A compare-exchange that succeeds publishes like a store (a spin lock built on it works).
TEST(ToolboxRacesScope, AtomicCompareExchangeSpinLockOrders) {
  expect_ordered([] {
    struct state {
      weft::atomic<int> lock{0};
      weft::tracked<int> x{0};
      weft::wait_group wg;
    };
    auto st = std::make_shared<state>();
    st->wg.add(2);
    for (int i = 0; i < 2; ++i) {
      weft::go([st] {
        int expected = 0;
        while (!st->lock.compare_exchange_strong(expected, 1)) {
          expected = 0;
          weft::yield();
        }
        st->x.write([](int& v) { ++v; });
        st->lock.store(0);
        st->wg.done();
      });
    }
    st->wg.wait();
  });
}

}  // namespace
