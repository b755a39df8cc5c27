// Bug kernels for time, context and worker pools: each a buggy program weft must catch with the
// default options, and its fixed twin that must pass 10,000 explored executions.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <variant>

#include "weft/chan.hpp"
#include "weft/context.hpp"
#include "weft/explore.hpp"
#include "weft/mutex.hpp"
#include "weft/select.hpp"
#include "weft/task.hpp"
#include "weft/timer.hpp"
#include "weft/wait_group.hpp"
#include "weft/worker_pool.hpp"

namespace {

using namespace std::chrono_literals;

weft::options fixed_options() {
  weft::options opts;
  opts.strategy = weft::strategy::random;
  opts.seed = 0;
  opts.iterations = 10'000;
  return opts;
}

// Runs `program(true)` under the default options, checks what was found and that its replay token
// reproduces the same report.
void expect_found(void (*program)(bool), weft::failure_kind kind,
                  std::initializer_list<const char*> evidence) {
  weft::report r = weft::explore(weft::options{}, [program] { program(true); });
  ASSERT_EQ(r.kind, kind) << r.message;
  for (const char* e : evidence) EXPECT_NE(r.message.find(e), std::string::npos) << r.message;
  weft::options replay;
  replay.replay = r.replay;
  weft::report again = weft::explore(replay, [program] { program(true); });
  EXPECT_EQ(again.kind, kind);
  EXPECT_EQ(again.message, r.message);
}

void expect_fixed(void (*program)(bool)) {
  weft::report r = weft::explore(fixed_options(), [program] { program(false); });
  EXPECT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(r.executions, 10'000u);
}

// --- (a) a cancel racing a select leaks a drainer ----------------------------------------------
//
// A producer forwards events to a drainer that ranges over the channel until it is closed. The
// producer selects between sending the next event and its context being cancelled. On cancel it
// returns at once: buggy, without closing the channel, so the drainer waits forever whenever the
// cancel wins the race against the last send. Fixed: the channel is closed on every path.

void drainer_program(bool buggy) {
  auto [ctx, cancel] = weft::with_cancel(weft::context::background());
  weft::chan<int> events;
  weft::go("drainer", [events] {
    for (int v : events) (void)v;
  });
  weft::go("producer", [ctx = ctx, events, buggy] {
    for (int i = 0; i < 3; ++i) {
      bool cancelled = false;
      weft::select(weft::on_send(events, i),
                   weft::on_recv(ctx.done(), [&cancelled](auto) { cancelled = true; }));
      if (cancelled) {
        if (!buggy) events.close();
        return;
      }
    }
    events.close();
  });
  cancel();
}

TEST(TimeKernels, CancelRacingSelectLeaksDrainerIsFound) {
  expect_found(drainer_program, weft::failure_kind::leak,
               {"task \"drainer\"", "is blocked in chan::recv"});
}

TEST(TimeKernels, CancelRacingSelectLeaksDrainerFixedTwinPasses10000Executions) {
  expect_fixed(drainer_program);
}

// --- (b) a with_timeout + after probe leaks its sender -------------------------------------
//
// A health check starts a probe that takes a while (after(50ms) stands for the slow call) and
// reports on `result`; the caller waits for the result or its 100 ms timeout. Buggy: `result` is
// unbuffered, so when the timeout wins (the probe is slow between its call returning and its
// send) nobody ever receives and the probe blocks forever. Fixed: a buffer of one, so the late
// result is simply dropped.

void probe_program(bool buggy) {
  auto [ctx, cancel] = weft::with_timeout(weft::context::background(), 100ms);
  weft::chan<int> result = buggy ? weft::chan<int>() : weft::chan<int>(1);
  weft::go("probe", [result] {
    weft::after(50ms).recv();
    result.send(200);
  });
  weft::select(weft::on_recv(result), weft::on_recv(ctx.done()));
  cancel();
}

TEST(TimeKernels, TimeoutProbeLeaksSenderIsFound) {
  expect_found(probe_program, weft::failure_kind::leak,
               {"task \"probe\"", "is blocked in chan::send"});
}

TEST(TimeKernels, TimeoutProbeLeaksSenderFixedTwinPasses10000Executions) {
  expect_fixed(probe_program);
}

// --- (c) a timer callback racing a cancel returns holding a lock ---------------------------
//
// A flusher schedules a flush with after_func; closing the flusher marks it stopped under its
// lock and stops the timer. If the timer has already fired, stop() returns false and the
// callback runs anyway: it sees `stopped` and returns early — buggy, still holding the lock, so
// the closer's next lock blocks forever. Fixed: the callback holds the lock through a guard.

struct flusher {
  weft::mutex mu;
  bool stopped = false;  // guarded by mu
  int flushed = 0;       // guarded by mu
};

void flush_program(bool buggy) {
  auto f = std::make_shared<flusher>();
  weft::timer t = weft::after_func(10ms, [f, buggy] {
    if (buggy) {
      f->mu.lock();
      if (f->stopped) return;  // the bug: returns with mu held
      ++f->flushed;
      f->mu.unlock();
    } else {
      std::lock_guard lock(f->mu);
      if (f->stopped) return;
      ++f->flushed;
    }
  });
  // close():
  f->mu.lock();
  f->stopped = true;
  f->mu.unlock();
  t.stop();  // false if it already fired: the callback may still be about to run
  // ... later, a final flush:
  f->mu.lock();
  f->flushed += 0;
  f->mu.unlock();
}

TEST(TimeKernels, TimerCallbackReturnsHoldingLockIsFound) {
  expect_found(flush_program, weft::failure_kind::deadlock,
               {"is blocked in mutex::lock", "held by task \"after_func\""});
}

TEST(TimeKernels, TimerCallbackReturnsHoldingLockFixedTwinPasses10000Executions) {
  expect_fixed(flush_program);
}

// --- (d) a pool's shutdown closes the job channel under a producer -------------------------
//
// A hand-written pool: submit() sends on the job channel, shutdown() closes it and waits for the
// workers. A producer still submitting when shutdown runs sends on the closed channel: a panic.
// Fixed: weft::worker_pool, whose shutdown first turns submitters away (submit returns false)
// and closes the queue only once no submit can still send.

struct naive_pool {
  explicit naive_pool(int workers) : jobs(2) {
    wg.add(workers);
    for (int i = 0; i < workers; ++i) {
      weft::go("worker", [jobs = jobs, wg = &wg] {
        for (int job : jobs) (void)job;
        wg->done();
      });
    }
  }
  void submit(int job) { jobs.send(job); }
  void shutdown() {
    jobs.close();
    wg.wait();
  }

  weft::chan<int> jobs;
  weft::wait_group wg;
};

void pool_program(bool buggy) {
  if (buggy) {
    auto pool = std::make_shared<naive_pool>(2);
    weft::go("producer", [pool] {
      for (int i = 0; i < 4; ++i) pool->submit(i);
    });
    pool->shutdown();
    return;
  }
  auto pool = std::make_shared<weft::worker_pool<int>>(2, 2, [](int) {});
  weft::go("producer", [pool] {
    for (int i = 0; i < 4; ++i) {
      if (!pool->submit(i)) break;
    }
  });
  pool->shutdown();
}

TEST(TimeKernels, ShutdownClosesUnderProducerIsFound) {
  expect_found(pool_program, weft::failure_kind::panic, {"send on closed channel"});
}

TEST(TimeKernels, ShutdownClosesUnderProducerFixedTwinPasses10000Executions) {
  expect_fixed(pool_program);
}

}  // namespace
