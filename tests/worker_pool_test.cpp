// tests/worker_pool_test.cpp — worker_pool: processing, backpressure, shutdown; and the
// options::max_live_tasks explosion guard.
#include "weft/worker_pool.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "weft/context.hpp"
#include "weft/explore.hpp"
#include "weft/task.hpp"
#include "weft/time.hpp"
#include "weft/timer.hpp"

#include "toolbox_support.hpp"

namespace {

using namespace std::chrono_literals;
using weft::clock;

using toolbox::require;

weft::options quick(std::uint64_t iterations = 100) { return toolbox::scope_options(iterations); }

// --- inside a scope ------------------------------------------------------------------------

TEST(WorkerPoolScope, ProcessesEveryJobAndShutdownDrainsTheQueue) {
  weft::report r = weft::explore(quick(), [] {
    weft::chan<int> done(16);
    weft::worker_pool<int> pool(2, 8, [done](int job) { done.send(job); });
    int expected = 0;
    for (int i = 1; i <= 6; ++i) {
      require(pool.submit(i), "submit before shutdown returned false");
      expected += i;
    }
    pool.shutdown();  // every queued job still runs
    require(done.size() == 6, "shutdown returned before the queued jobs ran");
    int sum = 0;
    for (int i = 0; i < 6; ++i) sum += *done.recv();
    require(sum == expected, "wrong jobs");
  });
  EXPECT_TRUE(r.ok()) << r.message;
}

TEST(WorkerPoolScope, SubmitAfterShutdownReturnsFalse) {
  weft::report r = weft::explore(quick(), [] {
    weft::worker_pool<int> pool(1, 1, [](int) {});
    pool.shutdown();
    require(!pool.submit(1), "submit after shutdown returned true");
    auto [ctx, cancel] = weft::with_cancel(weft::context());
    require(!pool.submit(ctx, 2), "submit(ctx) after shutdown returned true");
    pool.shutdown();  // idempotent
    cancel();
  });
  EXPECT_TRUE(r.ok()) << r.message;
}

TEST(WorkerPoolScope, SubmitBlocksWhileTheQueueIsFull) {
  weft::report r = weft::explore(quick(), [] {
    weft::chan<int> gate;
    weft::chan<int> taken(1);
    auto pool = std::make_shared<weft::worker_pool<int>>(1, 1, [gate, taken](int job) {
      if (job == 1) {
        taken.send(1);
        gate.recv();  // the only worker is busy with job 1
      }
    });
    require(pool->submit(1), "submit 1");
    taken.recv();
    require(pool->submit(2), "submit 2");  // fills the queue
    auto log = std::make_shared<std::vector<std::string>>();
    weft::chan<int> third_done(1);
    weft::go([pool, log, third_done] {
      require(pool->submit(3), "submit 3");
      log->push_back("submitted 3");
      third_done.send(1);
    });
    weft::sleep_for(1s);  // whatever runs meanwhile, job 3 finds no room
    log->push_back("opened");
    gate.close();
    third_done.recv();
    require(*log == std::vector<std::string>({"opened", "submitted 3"}), "no backpressure");
    pool->shutdown();
  });
  EXPECT_TRUE(r.ok()) << r.message;
}

TEST(WorkerPoolScope, SubmitWithContextGivesUpWhenTheContextEnds) {
  weft::report r = weft::explore(quick(), [] {
    weft::chan<int> gate;
    weft::worker_pool<int> pool(1, 1, [gate](int) { gate.recv(); });
    require(pool.submit(1) && pool.submit(2), "first submits");  // worker busy or queue full
    const auto t0 = clock::now();
    auto [ctx, cancel] = weft::with_timeout(weft::context(), 5s);
    // Room appears only when the gate opens; job 3 waits at most until the deadline. The worker
    // may not have taken job 1 yet, so the queue may have room for job 2 but not for job 3.
    bool accepted = pool.submit(ctx, 3);
    require(!accepted && clock::now() == t0 + 5s, "submit(ctx) did not give up at the deadline");
    require(!pool.submit(ctx, 4), "submit with a done context returned true");
    gate.close();
    pool.shutdown();
    cancel();
  });
  EXPECT_TRUE(r.ok()) << r.message;
}

TEST(WorkerPoolScope, ShutdownReleasesBlockedSubmitters) {
  weft::report r = weft::explore(quick(300), [] {
    weft::chan<int> gate;
    auto pool = std::make_shared<weft::worker_pool<int>>(1, 1, [gate](int) { gate.recv(); });
    weft::chan<bool> result(1);
    weft::go([pool, result] {
      pool->submit(1);
      pool->submit(2);
      result.send(pool->submit(3));  // blocks until shutdown (or room), never panics
    });
    weft::go([gate] {
      weft::sleep_for(1s);
      gate.close();
    });
    pool->shutdown();
    result.recv();
  });
  EXPECT_TRUE(r.ok()) << r.message;
}

TEST(WorkerPoolScope, HandlerExceptionFailsTheScope) {
  weft::report r = weft::explore(quick(5), [] {
    weft::worker_pool<int> pool(1, 1, [](int) { throw std::runtime_error("bad job"); });
    pool.submit(1);
    pool.shutdown();
  });
  EXPECT_EQ(r.kind, weft::failure_kind::uncaught_exception) << r.message;
  EXPECT_NE(r.message.find("bad job"), std::string::npos) << r.message;
}

TEST(WorkerPoolScope, ZeroWorkersIsAPanic) {
  weft::report r = weft::explore(quick(1), [] { weft::worker_pool<int> pool(0, 1, [](int) {}); });
  EXPECT_EQ(r.kind, weft::failure_kind::panic) << r.message;
}

TEST(WorkerPoolScope, DestructorShutsDown) {
  weft::report r = weft::explore(quick(), [] {
    weft::chan<int> done(4);
    {
      weft::worker_pool<int> pool(2, 4, [done](int job) { done.send(job); });
      for (int i = 0; i < 4; ++i) pool.submit(i);
    }
    require(done.size() == 4, "the destructor did not finish the queued jobs");
  });
  EXPECT_TRUE(r.ok()) << r.message;
}

// Another task's exception ends the execution while the body may be anywhere in the pool's
// destructor (locking, closing, waiting for the workers). Teardown resumes the body there and
// must let the destructor finish: throwing weft's unwind out of it would end the process
// (destructors are noexcept). The body is unwound after the destructor, at its next blocking call.
TEST(WorkerPoolScope, ExecutionEndingInsideTheDestructorUnwindsAfterIt) {
  for (std::uint64_t seed = 0; seed < 20; ++seed) {
    weft::options o = quick(50);
    o.seed = seed;
    weft::report r = weft::explore(o, [] {
      weft::go("failer", [] {
        weft::yield();
        throw std::runtime_error("ends the execution");
      });
      {
        weft::worker_pool<int> pool(2, 2, [](int) { weft::yield(); });
        pool.submit(1);
        pool.submit(2);
      }                          // ~worker_pool: shutdown, at whatever step the failure comes
      weft::chan<int>().recv();  // blocks for ever: only an unwind gets the body past here
      ADD_FAILURE() << "the body ran past a receive nobody sends to";
    });
    EXPECT_EQ(r.kind, weft::failure_kind::uncaught_exception) << r.message;
  }
}

// A pool kept alive past its execution (here by a stopped after_func's closure, which the
// engine's timer bookkeeping holds until a later execution) must not act when it finally dies.
TEST(WorkerPoolScope, DestroyedAfterItsExecutionDoesNothing) {
  weft::report r = weft::explore(quick(5), [] {
    auto pool = std::make_shared<weft::worker_pool<int>>(1, 1, [](int) {});
    weft::timer t = weft::after_func(1h, [pool] { pool->submit(1); });
    t.stop();
    pool->shutdown();
  });
  EXPECT_TRUE(r.ok()) << r.message;
}

// --- the explosion guard -------------------------------------------------------------------

TEST(MaxLiveTasks, UnboundedSpawningIsReportedWithTheSpawnSite) {
  weft::options opts = quick(3);
  opts.max_live_tasks = 20;
  weft::report r = weft::explore(opts, [] {
    weft::chan<int> never;
    for (int i = 0; i < 100; ++i) {
      weft::go([never] { never.recv(); });  // the spawn site the report must name
    }
  });
  const std::string site = "worker_pool_test.cpp:" + std::to_string(__LINE__ - 3);
  EXPECT_EQ(r.kind, weft::failure_kind::too_many_tasks) << r.message;
  EXPECT_NE(r.message.find("most were spawned at " + site), std::string::npos) << r.message;
  EXPECT_NE(r.message.find("limit 20"), std::string::npos) << r.message;
}

TEST(MaxLiveTasks, BoundedPoolStaysUnderTheLimit) {
  weft::options opts = quick(20);
  opts.max_live_tasks = 8;
  weft::report r = weft::explore(opts, [] {
    weft::worker_pool<int> pool(4, 2, [](int) { weft::yield(); });
    for (int i = 0; i < 50; ++i) pool.submit(i);  // 50 jobs, never more than 5 tasks alive
  });
  EXPECT_TRUE(r.ok()) << r.message;
}

// --- production mode -------------------------------------------------------------------------

TEST(WorkerPoolReal, ProcessesJobsOnThreads) {
  auto sum = std::make_shared<std::atomic<long>>(0);
  {
    weft::worker_pool<int> pool(4, 8, [sum](int job) { sum->fetch_add(job); });
    for (int i = 1; i <= 200; ++i) EXPECT_TRUE(pool.submit(i));
    pool.shutdown();
    EXPECT_EQ(sum->load(), 200 * 201 / 2);
    EXPECT_FALSE(pool.submit(1));
  }
}

TEST(WorkerPoolReal, ConcurrentSubmittersAndShutdown) {
  auto processed = std::make_shared<std::atomic<int>>(0);
  auto pool =
      std::make_shared<weft::worker_pool<int>>(2, 2, [processed](int) { processed->fetch_add(1); });
  auto accepted = std::make_shared<std::atomic<int>>(0);
  auto wg = std::make_shared<weft::wait_group>();
  wg->add(3);
  for (int t = 0; t < 3; ++t) {
    weft::go([pool, accepted, wg] {
      for (int i = 0; i < 100; ++i) {
        if (pool->submit(i)) accepted->fetch_add(1);
      }
      wg->done();
    });
  }
  weft::sleep_for(1ms);
  pool->shutdown();  // submitters racing it get false, never a panic
  wg->wait();
  EXPECT_EQ(processed->load(), accepted->load());
}

TEST(WorkerPoolReal, SubmitWithContextTimesOut) {
  weft::chan<int> gate;
  weft::worker_pool<int> pool(1, 1, [gate](int) { gate.recv(); });
  pool.submit(1);
  pool.submit(2);
  auto [ctx, cancel] = weft::with_timeout(weft::context(), 5ms);
  EXPECT_FALSE(pool.submit(ctx, 3));  // the queue stays full (or the worker never took job 1)
  EXPECT_EQ(ctx.err(), weft::errc::deadline_exceeded);
  gate.close();
  pool.shutdown();
  cancel();
}

}  // namespace
