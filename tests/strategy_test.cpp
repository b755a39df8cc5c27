// Exploration strategies: pct, pos, portfolio and dfs (scheduler/), unit-tested with fixed seeds.
//
// Randomized strategies are deterministic for a seed, so every assertion below is exact for its
// seed; the comments give the odds over seeds, measured and (for PCT) from the paper's bound, so
// that a passing test says something about the strategy and not about one lucky seed.
//
// dfs is tested two ways. Through weft::explore on the real engine, which reports the scheduling
// points that offer no choice (strategy::forced), so the reduction is exact and the execution
// counts asserted there are the numbers of behaviours. And through `sim`, a small model of the
// engine's semantics for
// mutexes, wait groups and shared variables that reports every point, where the counts are the
// exact numbers of behaviours and are checked against the search without reduction.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <weft/atomic.hpp>
#include <weft/weft.hpp>

#include "../scheduler/dfs.hpp"
#include "../scheduler/pct.hpp"
#include "../scheduler/portfolio.hpp"
#include "../scheduler/pos.hpp"

namespace {

using weft::failure_kind;
using weft::detail::candidate;
using weft::detail::decision_point;
using weft::detail::op_kind;
using weft::detail::task_id;

weft::options with(weft::strategy s, std::uint64_t iterations, std::uint64_t seed = 0) {
  weft::options o;
  o.strategy = s;
  o.iterations = iterations;
  o.seed = seed;
  return o;
}

weft::options dfs(int bound, std::uint64_t iterations = 1'000'000) {
  weft::options o = with(weft::strategy::dfs, iterations);
  o.preemption_bound = bound;
  return o;
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// --- programs ---------------------------------------------------------------------------------

// `tasks` tasks each do `rounds` mutex-protected increments; the body joins them with a wait group.
void counter(int tasks, int rounds) {
  struct state {
    weft::mutex mu;
    int x = 0;
    weft::wait_group wg;
  };
  auto s = std::make_shared<state>();
  s->wg.add(tasks);
  for (int i = 0; i < tasks; ++i) {
    weft::go([s, rounds] {
      for (int j = 0; j < rounds; ++j) {
        s->mu.lock();
        ++s->x;
        s->mu.unlock();
      }
      s->wg.done();
    });
  }
  s->wg.wait();
  if (s->x != tasks * rounds) throw std::runtime_error("lost an increment");
}

void abba() {
  auto a = std::make_shared<weft::mutex>();
  auto b = std::make_shared<weft::mutex>();
  auto wg = std::make_shared<weft::wait_group>();
  wg->add(2);
  weft::go("worker-1", [a, b, wg] {
    std::lock_guard first(*a);
    std::lock_guard second(*b);
    wg->done();
  });
  weft::go("worker-2", [a, b, wg] {
    std::lock_guard first(*b);
    std::lock_guard second(*a);
    wg->done();
  });
  wg->wait();
}

// Two tasks increment with a load and a store: the update is lost when both load first. Depth 2
// (PCT's sense): one task must be interrupted between its two operations.
void lost_update() {
  auto x = std::make_shared<weft::atomic<int>>(0);
  auto wg = std::make_shared<weft::wait_group>();
  wg->add(2);
  for (int i = 0; i < 2; ++i) {
    weft::go([x, wg] {
      const int v = x->load();
      x->store(v + 1);
      wg->done();
    });
  }
  wg->wait();
  if (x->load() != 2) throw std::runtime_error("lost update");
}

// The writer appends a batch of 20 entries; the check fails when the reader runs only after the
// whole batch. Depth 1 for PCT (one ordering: the writer entirely first), but a random walk must
// pass over the reader at 20 decisions in a row: odds about 2^-20 per execution.
void reader_after_batch() {
  struct state {
    weft::atomic<int> written;
    weft::wait_group wg;
  };
  auto s = std::make_shared<state>();
  s->wg.add(2);
  weft::go([s] {
    for (int i = 0; i < 20; ++i) s->written.fetch_add(1);
    s->wg.done();
  });
  weft::go([s] {
    if (s->written.load() == 20) throw std::runtime_error("the reader ran after the batch");
    s->wg.done();
  });
  s->wg.wait();
}

// A use before initialization: one ordering constraint (the reader before the writer).
void use_before_init() {
  auto x = std::make_shared<weft::atomic<int>>(0);
  auto wg = std::make_shared<weft::wait_group>();
  wg->add(2);
  weft::go([x, wg] {
    x->store(1);
    wg->done();
  });
  weft::go([x, wg] {
    if (x->load() == 0) throw std::runtime_error("used before init");
    wg->done();
  });
  wg->wait();
}

// The engine reports the scheduling points that offer no choice (strategy::forced) to dfs. With
// one task besides the body, the only explored orders are the worker's done against the body's
// wait, which the wait-group model merges into one behaviour: 1 execution when every step is
// seen, more when dfs must assume that unseen steps hide races.
TEST(Dfs, EngineReportsForcedSteps) {
  const weft::report r = weft::explore(dfs(-1), [] {
    auto wg = std::make_shared<weft::wait_group>();
    wg->add(1);
    weft::go([wg] { wg->done(); });
    wg->wait();
  });
  EXPECT_TRUE(r.ok() && r.exhausted) << r.message;
  EXPECT_EQ(r.executions, 1u);
}

// --- PCT ----------------------------------------------------------------------------------------

TEST(Pct, ChangePointsAndStepEstimatePerExecution) {
  weft::detail::pct_strategy pct(42, 3, 10'000);
  std::set<std::uint64_t> estimates;
  for (std::uint64_t i = 0; i < 200; ++i) {
    ASSERT_TRUE(pct.begin_execution(i));
    const std::uint64_t k = pct.step_estimate();
    estimates.insert(k);
    const auto& points = pct.change_points();
    ASSERT_EQ(points.size(), 2u);  // d - 1
    EXPECT_LT(points[0], points[1]);
    EXPECT_GE(points[0], 1u);
    EXPECT_LE(points[1], k);
  }
  // The ladder 8, 32, ..., 8192: all six rungs appear in 200 executions (each misses with
  // probability (5/6)^200 < 1e-15).
  EXPECT_EQ(estimates, (std::set<std::uint64_t>{8, 32, 128, 512, 2048, 8192}));

  weft::detail::pct_strategy depth_one(42, 1, 10'000);
  ASSERT_TRUE(depth_one.begin_execution(0));
  EXPECT_TRUE(depth_one.change_points().empty());
}

TEST(Pct, ExecutionDependsOnlyOnSeedAndIndex) {
  // Run execution 7 after 0..6 and alone: the same choices (what parallel jobs and shards need).
  const candidate cs[] = {{0, op_kind::yield, 0},
                          {1, op_kind::mutex_lock, 3},
                          {2, op_kind::chan_send, 4},
                          {weft::detail::time_task, op_kind::timer_fire, 0}};
  auto run = [&](weft::detail::strategy& s, std::uint64_t index) {
    s.begin_execution(index);
    std::vector<std::size_t> picks;
    for (std::uint64_t step = 1; step <= 60; ++step) {
      picks.push_back(s.pick(decision_point{cs, step, 0}));
      picks.push_back(static_cast<std::size_t>(s.choose(5)));
    }
    return picks;
  };
  weft::detail::pct_strategy warmed(9, 3, 10'000), fresh(9, 3, 10'000);
  for (std::uint64_t i = 0; i < 7; ++i) run(warmed, i);
  EXPECT_EQ(run(warmed, 7), run(fresh, 7));
  weft::detail::pct_strategy other_seed(10, 3, 10'000);
  EXPECT_NE(run(other_seed, 7), run(fresh, 7));
}

TEST(Pct, AlwaysRunsTheHighestPriorityTask) {
  // Without change points and yields the same task wins every decision of an execution.
  weft::detail::pct_strategy pct(5, 1, 10'000);
  const candidate cs[] = {{0, op_kind::start, 0}, {1, op_kind::start, 0}, {2, op_kind::start, 0}};
  std::set<std::size_t> winners;
  for (std::uint64_t i = 0; i < 30; ++i) {
    pct.begin_execution(i);
    const std::size_t first = pct.pick(decision_point{cs, 1, 0});
    for (std::uint64_t step = 2; step < 50; ++step) {
      ASSERT_EQ(pct.pick(decision_point{cs, step, 0}), first);
    }
    winners.insert(first);
  }
  // Priorities are random: each of the three tasks wins some execution (each misses all 30 with
  // probability (2/3)^30 < 1e-5).
  EXPECT_EQ(winners.size(), 3u);
}

TEST(Pct, DepthOneFindsWhatARandomWalkAlmostNeverDoes) {
  // PCT with d = 1 runs the writer's whole batch before the reader whenever the writer outranks
  // the reader and the body: measured over 300 seeds, 64% of executions (the paper's bound is
  // 1/n = 1/3), so 20 executions find it with probability > 0.999999. A random walk needs the
  // reader passed over at ~20 decisions in a row: 18 of 300 seeds found it within 2,000
  // executions, so 20 executions find it with probability < 0.001.
  weft::options o = with(weft::strategy::pct, 20, 7);
  o.pct_depth = 1;
  const weft::report r = weft::explore(o, reader_after_batch);
  ASSERT_EQ(r.kind, failure_kind::uncaught_exception) << r.message;
  EXPECT_TRUE(contains(r.message, "the reader ran after the batch")) << r.message;
  EXPECT_LT(r.iteration, 20u);
  EXPECT_TRUE(weft::explore(with(weft::strategy::random, 20, 7), reader_after_batch).ok());
}

TEST(Pct, DepthTwoBugNeedsAChangePoint) {
  // With d = 1 a task is never interrupted by a lower-priority one, so a bug that needs one task
  // stopped between two operations is never found (in any number of executions).
  weft::options d1 = with(weft::strategy::pct, 300, 3);
  d1.pct_depth = 1;
  EXPECT_TRUE(weft::explore(d1, lost_update).ok());
  // d = 2: one change point. The bound 1/(n·k^(d−1)) with the step-estimate ladder gives at
  // least 1/(6·3·4k) ≈ 1/700 per execution for this program's k ≈ 10 decisions; measured over
  // 300 seeds the rate is 2.5% (mean 40 executions, worst 202), so 500 executions find it with
  // probability > 0.999.
  weft::options d2 = with(weft::strategy::pct, 500, 3);
  d2.pct_depth = 2;
  const weft::report r = weft::explore(d2, lost_update);
  ASSERT_EQ(r.kind, failure_kind::uncaught_exception) << r.message;
  EXPECT_TRUE(contains(r.message, "lost update")) << r.message;
}

// --- POS ----------------------------------------------------------------------------------------

TEST(Pos, RacesAreSameObjectWithAWrite) {
  using weft::detail::pos_strategy;
  EXPECT_TRUE(pos_strategy::races({1, op_kind::atomic_store, 5}, {2, op_kind::atomic_load, 5}));
  EXPECT_TRUE(pos_strategy::races({1, op_kind::mutex_lock, 5}, {2, op_kind::mutex_unlock, 5}));
  EXPECT_FALSE(pos_strategy::races({1, op_kind::atomic_load, 5}, {2, op_kind::atomic_load, 5}));
  EXPECT_FALSE(pos_strategy::races({1, op_kind::atomic_store, 5}, {2, op_kind::atomic_store, 6}));
  EXPECT_FALSE(pos_strategy::races({1, op_kind::yield, 0}, {2, op_kind::yield, 0}));
  // A select names only its first channel, a cancel reaches a context's children: both race with
  // every operation on an object (dfs's footprint), but never with a task-local one.
  EXPECT_TRUE(pos_strategy::races({1, op_kind::select, 5}, {2, op_kind::chan_send, 6}));
  EXPECT_TRUE(pos_strategy::races({1, op_kind::ctx_cancel, 5}, {2, op_kind::select, 9}));
  EXPECT_FALSE(pos_strategy::races({1, op_kind::select, 5}, {2, op_kind::start, 0}));
  EXPECT_FALSE(pos_strategy::races({1, op_kind::spawn, 0}, {2, op_kind::finish, 0}));
}

TEST(Pos, TimeThatOnlyEndsSleepsGoesFirst) {
  const candidate cs[] = {{0, op_kind::atomic_store, 7},
                          {1, op_kind::atomic_load, 7},
                          {weft::detail::time_task, op_kind::timer_fire, 0}};
  weft::detail::pos_strategy s(9, 10'000);
  std::size_t fired_anyway = 0;
  for (std::uint64_t i = 0; i < 50; ++i) {
    s.begin_execution(i);
    decision_point sleeps_only{cs, 1, 0};
    sleeps_only.time_ends_sleeps = true;
    EXPECT_EQ(s.pick(sleeps_only), 2u) << i;
    // Otherwise (a timer's channel, a timeout) the firing holds a priority like any operation: of
    // 50 executions, some run a task first (each does with probability 2/3).
    s.begin_execution(i);
    fired_anyway += s.pick(decision_point{cs, 1, 0}) == 2 ? 1 : 0;
  }
  EXPECT_LT(fired_anyway, 50u);
  EXPECT_GT(fired_anyway, 0u);
}

// A sleep's end races with nothing, so POS fires it at the first decision that offers it: a task
// that saw the sleeper park and then passes one scheduling point always finds the clock advanced.
TEST(Pos, EndsASleepAtTheFirstDecisionAfterItParks) {
  const weft::report r = weft::explore(with(weft::strategy::pos, 200, 5), [] {
    auto parked = std::make_shared<bool>(false);
    auto a = std::make_shared<weft::atomic<int>>(0);
    const auto t0 = weft::clock::now();
    weft::go("sleeper", [parked] {
      *parked = true;  // no scheduling point between this and the park
      weft::sleep_for(std::chrono::milliseconds(1));
    });
    weft::go("stepper", [parked, a, t0] {
      for (int i = 0; i < 10; ++i) {
        const bool saw_parked = *parked;
        a->store(i);  // a scheduling point that offers the time pseudo-task once the sleep is armed
        if (saw_parked && weft::clock::now() == t0) throw std::runtime_error("the sleep lingered");
      }
    });
  });
  EXPECT_TRUE(r.ok()) << r.message;
}

// A timeout is not a sleep: its firing sends on the timer's channel and keeps a priority, so the
// message can still beat it after the receiver has parked. (If POS fired every deadline at once,
// a receiver parked with a timeout would never get the message.)
TEST(Pos, ATimeoutCanStillLoseToTheMessage) {
  int message_first = 0;
  int timeout_first = 0;
  for (std::uint64_t seed = 0; seed < 100; ++seed) {
    const weft::report r = weft::explore(with(weft::strategy::pos, 1, seed), [&] {
      weft::chan<int> ch;  // unbuffered: a send that does not block meets a parked receiver
      auto a = std::make_shared<weft::atomic<int>>(0);
      auto done = std::make_shared<bool>(false);
      weft::go("receiver", [ch, done, &message_first, &timeout_first] {
        const std::size_t arm =
            weft::select(weft::on_recv(ch), weft::on_recv(weft::after(std::chrono::seconds(1))));
        (arm == 0 ? message_first : timeout_first) += 1;
        *done = true;
      });
      weft::go("sender", [ch, a, done] {
        while (!*done) {
          if (weft::select(weft::on_send(ch, 1), weft::on_default()) == 0) break;
          a->store(1);
        }
      });
    });
    ASSERT_TRUE(r.ok()) << r.message;
  }
  // The fixed seeds make the counts exact; both outcomes are frequent.
  EXPECT_GT(message_first, 0);
  EXPECT_GT(timeout_first, 0);
}

TEST(Pos, FindsTheLostUpdate) {
  // Measured over 300 seeds: 16% of executions find it (mean 6, worst 27), so 100 executions
  // find it with probability > 0.999999.
  const weft::report r = weft::explore(with(weft::strategy::pos, 100, 11), lost_update);
  ASSERT_EQ(r.kind, failure_kind::uncaught_exception) << r.message;
  EXPECT_LT(r.iteration, 100u);
}

TEST(Pos, ExecutionDependsOnlyOnSeedAndIndex) {
  const candidate cs[] = {
      {0, op_kind::atomic_store, 7}, {1, op_kind::atomic_load, 7}, {2, op_kind::atomic_load, 8}};
  auto run = [&](weft::detail::pos_strategy& s, std::uint64_t index) {
    s.begin_execution(index);
    std::vector<std::size_t> picks;
    for (std::uint64_t step = 1; step <= 40; ++step) {
      picks.push_back(s.pick(decision_point{cs, step, 0}));
    }
    return picks;
  };
  weft::detail::pos_strategy warmed(4, 10'000), fresh(4, 10'000);
  for (std::uint64_t i = 0; i < 5; ++i) run(warmed, i);
  const auto picks = run(warmed, 5);
  EXPECT_EQ(picks, run(fresh, 5));
  // The task that ran draws a new priority for its next operation: no task wins every decision
  // (one that did would have out-drawn the others 40 times in a row).
  EXPECT_NE(std::count(picks.begin(), picks.end(), picks[0]), 40);
}

// --- portfolio ----------------------------------------------------------------------------------

TEST(Portfolio, RotatesMembersByExecutionIndex) {
  weft::detail::portfolio_strategy p(1, 10'000);
  const char* expected[] = {"random", "pct", "pct", "pct", "pos"};
  for (std::uint64_t i = 0; i < 10; ++i) {
    EXPECT_STREQ(p.member_for(i).name(), expected[i % 5]) << i;
  }
  EXPECT_STREQ(p.name(), "portfolio");
}

TEST(Portfolio, FindsBugsOfEveryMember) {
  // reader_after_batch: members pct (64%, 53%, 47% of executions for d = 1, 2, 3) find it, the
  // random member almost never: over 300 seeds the portfolio needed 2.8 executions on average
  // (worst 9), so 50 find it with probability > 0.999.
  EXPECT_FALSE(weft::explore(with(weft::strategy::portfolio, 50, 2), reader_after_batch).ok());
  // lost_update: pct with d = 1 never finds it, random and pos often: 12% of the portfolio's
  // executions (mean 8, worst 66 over 300 seeds), so 200 find it with probability > 0.999.
  EXPECT_FALSE(weft::explore(with(weft::strategy::portfolio, 200, 2), lost_update).ok());
}

// --- every randomized strategy: determinism -----------------------------------------------------

class Randomized : public ::testing::TestWithParam<weft::strategy> {};

TEST_P(Randomized, SameSeedSameReport) {
  // use_before_init is found by every member in a few executions (measured: 31% to 39% of
  // executions over 300 seeds), so 100 executions always fail.
  const weft::report a = weft::explore(with(GetParam(), 100, 1234), use_before_init);
  const weft::report b = weft::explore(with(GetParam(), 100, 1234), use_before_init);
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.message, b.message);
  EXPECT_EQ(a.iteration, b.iteration);
  EXPECT_EQ(a.replay, b.replay);
}

TEST_P(Randomized, ParallelJobsAndShardsAgreeWithOneJob) {
  const weft::report one = weft::explore(with(GetParam(), 400, 99), lost_update);
  weft::options jobs = with(GetParam(), 400, 99);
  jobs.jobs = 3;
  const weft::report parallel = weft::explore(jobs, lost_update);
  EXPECT_EQ(one.kind, parallel.kind);
  EXPECT_EQ(one.iteration, parallel.iteration);
  EXPECT_EQ(one.message, parallel.message);
  if (!one.ok() && one.iteration % 2 == 1) {
    // The shard that owns the failing iteration reports it alone.
    weft::options shard = with(GetParam(), 400, 99);
    shard.total_shards = 2;
    shard.shard_index = 1;
    const weft::report r = weft::explore(shard, lost_update);
    EXPECT_EQ(r.iteration, one.iteration);
    EXPECT_EQ(r.message, one.message);
  }
}

TEST_P(Randomized, ReplayTokenReproducesTheFailure) {
  const weft::report r = weft::explore(with(GetParam(), 500, 5), lost_update);
  ASSERT_FALSE(r.ok());
  weft::options replay;
  replay.replay = r.replay;
  const weft::report again = weft::explore(replay, lost_update);
  EXPECT_EQ(again.kind, r.kind);
  EXPECT_EQ(again.message, r.message);
}

INSTANTIATE_TEST_SUITE_P(Strategies, Randomized,
                         ::testing::Values(weft::strategy::random, weft::strategy::pct,
                                           weft::strategy::pos, weft::strategy::portfolio),
                         [](const auto& info) { return std::string(weft::to_string(info.param)); });

// --- fairness -----------------------------------------------------------------------------------

// A producer feeds a consumer that spins on weft::yield until a flag is set.
void spin_on_yield() {
  struct state {
    weft::chan<int> items{8};
    weft::atomic<bool> ready;
    weft::wait_group wg;
  };
  auto s = std::make_shared<state>();
  s->wg.add(2);
  weft::go("producer", [s] {
    for (int i = 0; i < 4; ++i) s->items.send(i);
    s->ready.store(true);
    s->wg.done();
  });
  weft::go("consumer", [s] {
    while (!s->ready.load()) weft::yield();
    for (int i = 0; i < 4; ++i) (void)s->items.recv();
    s->wg.done();
  });
  s->wg.wait();
}

// The spinner polls a channel with a non-blocking select and never yields; only the sender's
// progress ends the loop.
void spin_on_select() {
  struct state {
    weft::chan<int> signal{1};
    weft::wait_group wg;
  };
  auto s = std::make_shared<state>();
  s->wg.add(2);
  weft::go("spinner", [s] {
    bool got = false;
    while (!got) {
      weft::select(weft::on_recv(s->signal, [&](std::optional<int>) { got = true; }),
                   weft::on_default());
    }
    s->wg.done();
  });
  weft::go("sender", [s] {
    s->signal.send(1);
    s->wg.done();
  });
  s->wg.wait();
}

class Fairness : public ::testing::TestWithParam<weft::strategy> {
 protected:
  weft::options opts(std::uint64_t unfair_steps) const {
    weft::options o = with(GetParam(), 30, 17);
    o.max_steps = 50'000;
    o.unfair_steps = unfair_steps;
    o.preemption_bound = -1;
    return o;
  }
};

// Every execution ends (none reaches max_steps): 30 of them, or fewer when dfs has explored
// everything before the unfair-step bound.
TEST_P(Fairness, SpinningConsumerTerminates) {
  const weft::report r = weft::explore(opts(10'000), spin_on_yield);
  EXPECT_TRUE(r.ok()) << r.message;
  EXPECT_TRUE(r.executions == 30u || r.exhausted) << r.executions;
}

TEST_P(Fairness, SpinningWithoutYieldTerminatesAfterTheUnfairSteps) {
  const weft::report r = weft::explore(opts(10'000), spin_on_select);
  EXPECT_TRUE(r.ok()) << r.message;
  EXPECT_TRUE(r.executions == 30u || r.exhausted) << r.executions;
}

INSTANTIATE_TEST_SUITE_P(Strategies, Fairness,
                         ::testing::Values(weft::strategy::random, weft::strategy::pct,
                                           weft::strategy::pos, weft::strategy::dfs,
                                           weft::strategy::portfolio),
                         [](const auto& info) { return std::string(weft::to_string(info.param)); });

TEST(Fairness, WithoutTheFairFallbackPctAndDfsSpinForever) {
  // The control for the test above: PCT keeps the spinner on top whenever it outranks the
  // sender (about half the executions), dfs never preempts a running task by default.
  weft::options o = with(weft::strategy::pct, 30, 17);
  o.max_steps = 50'000;
  o.pct_depth = 1;
  o.unfair_steps = std::numeric_limits<std::uint64_t>::max();
  EXPECT_EQ(weft::explore(o, spin_on_select).kind, failure_kind::step_limit);
  o.strategy = weft::strategy::dfs;
  EXPECT_EQ(weft::explore(o, spin_on_select).kind, failure_kind::step_limit);
}

// --- dfs on the engine --------------------------------------------------------------------------

TEST(Dfs, ThreeTasksTwoLockedIncrementsEachIsVerified) {
  // The issue's target: at most 540 = 90 orders of the 6 critical sections (6!/(2!·2!·2!)) times
  // the 3! orders of the done() calls, or 270 if dones that do not bring the counter to zero
  // commute. dfs lets every decrement that keeps the counter >= 0 commute (the order of the
  // dones is not observable: see scheduler/dfs.cpp), so it runs each of the 90 orders once.
  // Without the engine reporting what each done left, it would run 540 (DfsModel below); without
  // forced steps, it would also reverse every race unseen steps might hide (25,946).
  const weft::report r = weft::explore(dfs(-1), [] { counter(3, 2); });
  EXPECT_TRUE(r.ok()) << r.message;
  EXPECT_TRUE(r.exhausted);
  EXPECT_EQ(r.executions, 90u);
}

// The reduction must not lose a behaviour: the 90 executions are the 90 different orders in which
// the three tasks enter their critical sections.
TEST(Dfs, TheNinetyExecutionsAreTheNinetyOrdersOfTheCriticalSections) {
  auto orders = std::make_shared<std::set<std::string>>();
  const weft::report r = weft::explore(dfs(-1), [orders] {
    struct state {
      weft::mutex mu;
      std::string order;  // guarded by mu
      weft::wait_group wg;
    };
    auto s = std::make_shared<state>();
    s->wg.add(3);
    for (char name : {'a', 'b', 'c'}) {
      weft::go([s, name] {
        for (int j = 0; j < 2; ++j) {
          std::lock_guard lock(s->mu);
          s->order += name;
        }
        s->wg.done();
      });
    }
    s->wg.wait();
    orders->insert(s->order);
  });
  EXPECT_TRUE(r.ok() && r.exhausted) << r.message;
  EXPECT_EQ(r.executions, 90u);
  EXPECT_EQ(orders->size(), 90u);
}

// Dones commute with each other, not with what the tasks do after them: a waiter that passes
// before a task's store after its done is still explored.
TEST(Dfs, WorkAfterDoneStillRacesWithTheWaiter) {
  const weft::report r = weft::explore(dfs(-1), [] {
    auto wg = std::make_shared<weft::wait_group>();
    auto published = std::make_shared<weft::atomic<int>>(0);
    wg->add(2);
    weft::go([wg] { wg->done(); });
    weft::go([wg, published] {
      wg->done();
      published->store(1);  // the bug: after done, so the waiter may not see it
    });
    wg->wait();
    if (published->load() != 1) throw std::runtime_error("wait returned before the store");
  });
  EXPECT_EQ(r.kind, failure_kind::uncaught_exception) << r.message;
}

TEST(Dfs, ExhaustedSearchSaysVerified) {
  const weft::report r = weft::explore(dfs(-1), [] { counter(3, 2); });
  EXPECT_TRUE(
      contains(r.message, "verified: all 90 schedules within the bound (dfs, no preemption bound)"))
      << r.message;
  const weft::report sampled =
      weft::explore(with(weft::strategy::random, 20), [] { counter(2, 1); });
  EXPECT_TRUE(contains(sampled.message, "no bug found in 20 executions")) << sampled.message;
}

TEST(Dfs, JobsAndShardsDoNotSplitTheSearch) {
  // One search tree cannot be cut into independent iterations: dfs runs on one job, and when
  // sharded, shard 0 runs the whole search and the others nothing.
  weft::options o = dfs(-1);
  o.jobs = 2;
  const weft::report parallel = weft::explore(o, [] { counter(3, 2); });
  EXPECT_EQ(parallel.executions, 90u);
  EXPECT_TRUE(parallel.exhausted);
  o.jobs = 1;
  o.total_shards = 2;
  o.shard_index = 0;
  EXPECT_EQ(weft::explore(o, [] { counter(3, 2); }).executions, 90u);
  o.shard_index = 1;
  EXPECT_EQ(weft::explore(o, [] { counter(3, 2); }).executions, 0u);
}

TEST(Dfs, SmallProgramsRunOneExecutionPerBehaviour) {
  struct expectation {
    int tasks, rounds;
    std::uint64_t exact;
  } cases[] = {{1, 2, 1}, {2, 1, 2}, {2, 2, 6}, {3, 1, 6}};  // multinomials: (n·r)! / (r!)^n
  for (const auto& c : cases) {
    const weft::report r = weft::explore(dfs(-1), [c] { counter(c.tasks, c.rounds); });
    EXPECT_TRUE(r.ok() && r.exhausted) << r.message;
    EXPECT_EQ(r.executions, c.exact) << c.tasks << " tasks, " << c.rounds << " rounds";
  }
}

TEST(Dfs, FindsTheAbbaDeadlockEarly) {
  for (int bound : {-1, 2}) {
    const weft::report r = weft::explore(dfs(bound), abba);
    ASSERT_EQ(r.kind, failure_kind::deadlock) << r.message;
    EXPECT_TRUE(contains(r.message, "held by task \"worker-1\"")) << r.message;
    // The first execution runs worker-1 to its end; the reversal of its first lock against
    // worker-2's is the second.
    EXPECT_EQ(r.iteration, 1u) << "bound " << bound;
  }
}

TEST(Dfs, PreemptionBoundLimitsTheSearch) {
  // The lost update needs one task preempted between its load and its store.
  const weft::report none = weft::explore(dfs(0), lost_update);
  EXPECT_TRUE(none.ok()) << none.message;
  EXPECT_TRUE(none.exhausted);
  const weft::report one = weft::explore(dfs(1), lost_update);
  EXPECT_EQ(one.kind, failure_kind::uncaught_exception) << one.message;
  EXPECT_FALSE(one.exhausted);
}

TEST(Dfs, DataChoicesAreBranched) {
  auto seen = std::make_shared<std::set<std::uint64_t>>();
  const weft::report r = weft::explore(dfs(-1), [seen] {
    const std::uint64_t a = weft::choose(3);
    const std::uint64_t b = weft::choose(2);
    seen->insert(a * 10 + b);
  });
  EXPECT_TRUE(r.ok() && r.exhausted);
  EXPECT_EQ(r.executions, 6u);
  EXPECT_EQ(*seen, (std::set<std::uint64_t>{0, 1, 10, 11, 20, 21}));
}

TEST(Dfs, SelectArmsAreBranched) {
  auto seen = std::make_shared<std::set<int>>();
  const weft::report r = weft::explore(dfs(-1), [seen] {
    weft::chan<int> a(1), b(1);
    a.send(1);
    b.send(2);
    int got = 0;
    weft::select(weft::on_recv(a, [&](std::optional<int> v) { got = *v; }),
                 weft::on_recv(b, [&](std::optional<int> v) { got = *v; }));
    seen->insert(got);
  });
  EXPECT_TRUE(r.ok() && r.exhausted);
  EXPECT_EQ(*seen, (std::set<int>{1, 2}));
}

TEST(Dfs, StopsAtIterationsWithoutClaimingExhaustion) {
  const weft::report r = weft::explore(dfs(-1, 10), [] { counter(3, 2); });
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.executions, 10u);
  EXPECT_FALSE(r.exhausted);
}

TEST(Dfs, SameReportTwice) {
  const weft::report a = weft::explore(dfs(2), abba);
  const weft::report b = weft::explore(dfs(2), abba);
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.message, b.message);
}

// --- dfs on a model of the engine that reports every step --------------------------------------

namespace sim {

// A program is one script per task; script 0 is the body. Objects are small integers.
struct op {
  enum kind { lock, unlock, wg_add, wg_wait, read, write, spawn, yield } k;
  std::uint32_t object = 0;
  int arg = 0;  // wg_add: delta; write: value = register + arg; spawn: script index
};
using script = std::vector<op>;

// Runs executions the way the engine does: at every scheduling point the runnable tasks are the
// candidates (sorted by id, with their pending operation); the strategy picks when there are
// several and is told through `forced` when there is one. mutex: lock parks when held, unlock
// hands the mutex to the first waiter. wait group: wait parks until the counter is 0.
class machine {
 public:
  explicit machine(std::vector<script> scripts) : scripts_(std::move(scripts)) {}

  /// One execution; returns the outcome: "deadlock", or every variable's final value and the
  /// values each task read.
  std::string run(weft::detail::strategy& s) {
    tasks_.clear();
    vars_.assign(16, 0);
    holders_.assign(16, -1);
    counters_.assign(16, 0);
    queues_.assign(16, {});
    spawn_task(0);
    std::uint64_t step = 0;
    task_id running = weft::detail::no_task;
    for (;;) {
      ++step;
      std::vector<candidate> cs;
      for (task_id t = 0; t < tasks_.size(); ++t) {
        if (tasks_[t].state == runnable) cs.push_back({t, tasks_[t].pending, tasks_[t].object});
      }
      if (cs.empty()) break;
      const decision_point d{cs, step, running, true};
      std::size_t index = 0;
      if (cs.size() == 1) {
        s.forced(d);
      } else {
        index = s.pick(d);
      }
      running = cs[index].task;
      execute(running);
    }
    for (const task& t : tasks_) {
      if (t.state == blocked) return "deadlock";
    }
    std::string out;
    for (int v : vars_) out += std::to_string(v) + ",";
    for (const task& t : tasks_) out += "|" + t.log;
    return out;
  }

 private:
  enum state_t { runnable, blocked, finished };
  struct task {
    std::size_t script = 0;
    std::size_t pc = 0;
    state_t state = runnable;
    op_kind pending = op_kind::start;
    std::uint32_t object = 0;
    bool resuming = false;
    int reg = 0;
    std::string log;
  };

  void spawn_task(std::size_t script) {
    task t;
    t.script = script;
    tasks_.push_back(t);
  }

  // Moves task t to its next operation (its next scheduling point), or finishes it.
  void prepare(task_id id) {
    task& t = tasks_[id];
    const script& sc = scripts_[t.script];
    if (t.pc == sc.size()) {
      t.state = finished;
      return;
    }
    const op& o = sc[t.pc];
    static constexpr op_kind kinds[] = {
        op_kind::mutex_lock,   op_kind::mutex_unlock,  op_kind::wg_add, op_kind::wg_wait,
        op_kind::tracked_read, op_kind::tracked_write, op_kind::spawn,  op_kind::yield};
    t.pending = kinds[o.k];
    t.object = o.k == op::spawn || o.k == op::yield ? 0 : o.object;
    if (o.k == op::spawn) spawn_task(static_cast<std::size_t>(o.arg));  // go: create, then step
  }

  void advance(task_id id) {
    ++tasks_[id].pc;
    prepare(id);
  }

  void wake(task_id id) {
    tasks_[id].state = runnable;
    tasks_[id].resuming = true;
  }

  void execute(task_id id) {
    if (tasks_[id].pending == op_kind::start) return prepare(id);
    if (tasks_[id].resuming) {  // the blocking operation completed while parked
      tasks_[id].resuming = false;
      return advance(id);
    }
    const op o = scripts_[tasks_[id].script][tasks_[id].pc];
    switch (o.k) {
      case op::lock:
        if (holders_[o.object] < 0) {
          holders_[o.object] = static_cast<int>(id);
          return advance(id);
        }
        queues_[o.object].push_back(id);
        tasks_[id].state = blocked;
        return;
      case op::unlock:
        if (queues_[o.object].empty()) {
          holders_[o.object] = -1;
        } else {
          const task_id next = queues_[o.object].front();
          queues_[o.object].erase(queues_[o.object].begin());
          holders_[o.object] = static_cast<int>(next);
          wake(next);
        }
        return advance(id);
      case op::wg_add:
        counters_[o.object] += o.arg;
        if (counters_[o.object] == 0) {
          for (task_id w : queues_[o.object]) wake(w);
          queues_[o.object].clear();
        }
        return advance(id);
      case op::wg_wait:
        if (counters_[o.object] == 0) return advance(id);
        queues_[o.object].push_back(id);
        tasks_[id].state = blocked;
        return;
      case op::read:
        tasks_[id].reg = vars_[o.object];
        tasks_[id].log += std::to_string(tasks_[id].reg);
        return advance(id);
      case op::write:
        vars_[o.object] = tasks_[id].reg + o.arg;
        return advance(id);
      case op::spawn:
      case op::yield:
        return advance(id);
    }
  }

  std::vector<script> scripts_;
  std::vector<task> tasks_;
  std::vector<int> vars_, holders_, counters_;
  std::vector<std::vector<task_id>> queues_;
};

struct result {
  std::uint64_t executions = 0;
  bool exhausted = false;
  std::set<std::string> outcomes;
  std::uint64_t first_deadlock = ~std::uint64_t{0};
};

result explore(const std::vector<script>& program, int bound, bool reduce,
               std::uint64_t limit = 2'000'000) {
  weft::detail::dfs_strategy s(bound, std::numeric_limits<std::uint64_t>::max(), reduce);
  machine m(program);
  result r;
  for (std::uint64_t i = 0; i < limit; ++i) {
    if (!s.begin_execution(i)) {
      r.exhausted = true;
      break;
    }
    const std::string outcome = m.run(s);
    s.end_execution();
    ++r.executions;
    if (outcome == "deadlock" && r.first_deadlock > i) r.first_deadlock = i;
    r.outcomes.insert(outcome);
  }
  EXPECT_EQ(s.hidden_gaps(), 0u);
  EXPECT_EQ(s.nondeterministic(), 0u);
  return r;
}

// Objects: mutexes 1-2, wait group 3, variables 4-6.
constexpr std::uint32_t m1 = 1, m2 = 2, wg = 3, x = 4, y = 5;

// The body adds `tasks`, spawns script 1 that many times and waits.
std::vector<script> fork_join(int tasks, script worker) {
  script body{{op::wg_add, wg, tasks}};
  for (int i = 0; i < tasks; ++i) body.push_back({op::spawn, 0, 1});
  body.push_back({op::wg_wait, wg});
  worker.push_back({op::wg_add, wg, -1});
  return {body, worker};
}

script locked_increments(int rounds) {
  script s;
  for (int i = 0; i < rounds; ++i) {
    s.insert(s.end(), {{op::lock, m1}, {op::read, x}, {op::write, x, 1}, {op::unlock, m1}});
  }
  return s;
}

}  // namespace sim

TEST(DfsModel, ThreeTasksTwoLockedIncrementsEachRun540Executions) {
  // 90 orders of the critical sections times 6 orders of done(): the optimum when dones do not
  // commute (this model engine does not report what a done left, so dfs keeps them ordered),
  // every execution a different behaviour, none cut short by the sleep set. The values each task
  // read tell the 90 orders apart.
  const sim::result r = sim::explore(sim::fork_join(3, sim::locked_increments(2)), -1, true);
  EXPECT_TRUE(r.exhausted);
  EXPECT_EQ(r.executions, 540u);
  EXPECT_EQ(r.outcomes.size(), 90u);
  for (const std::string& o : r.outcomes) EXPECT_EQ(o.substr(0, 10), "0,0,0,0,6,");  // x == 6
}

TEST(DfsModel, CountsOfSmallProgramsAreExact) {
  struct expectation {
    int tasks, rounds;
    std::uint64_t executions;
  } cases[] = {{1, 1, 1}, {2, 1, 4}, {2, 2, 12}, {3, 1, 36}, {4, 1, 576}};
  for (const auto& c : cases) {
    const sim::result r =
        sim::explore(sim::fork_join(c.tasks, sim::locked_increments(c.rounds)), -1, true);
    EXPECT_TRUE(r.exhausted);
    // (tasks · rounds)! / (rounds!)^tasks orders of critical sections, tasks! orders of done().
    EXPECT_EQ(r.executions, c.executions) << c.tasks << " tasks, " << c.rounds << " rounds";
  }
}

TEST(DfsModel, AbbaDeadlockIsTheSecondExecution) {
  using sim::op;
  const sim::script worker1{
      {op::lock, sim::m1}, {op::lock, sim::m2}, {op::unlock, sim::m2}, {op::unlock, sim::m1}};
  const sim::script worker2{
      {op::lock, sim::m2}, {op::lock, sim::m1}, {op::unlock, sim::m1}, {op::unlock, sim::m2}};
  const sim::script body{{op::spawn, 0, 1}, {op::spawn, 0, 2}};
  const sim::result r = sim::explore({body, worker1, worker2}, -1, true);
  EXPECT_EQ(r.first_deadlock, 1u);
  EXPECT_TRUE(r.exhausted);
  EXPECT_EQ(r.outcomes.count("deadlock"), 1u);
}

TEST(DfsModel, ReductionLosesNoBehaviour) {
  // Every outcome of the unreduced search (all interleavings) is found with the reduction.
  using sim::op;
  using sim::x;
  using sim::y;
  const std::vector<std::vector<sim::script>> programs = {
      // lost update on x
      sim::fork_join(2, {{op::read, x}, {op::write, x, 1}}),
      // the same under two different locks: still racy
      {{{op::spawn, 0, 1}, {op::spawn, 0, 2}},
       {{op::lock, sim::m1}, {op::read, x}, {op::unlock, sim::m1}, {op::write, x, 1}},
       {{op::lock, sim::m2}, {op::read, x}, {op::write, x, 10}, {op::unlock, sim::m2}}},
      // message passing through two variables, with a yield
      {{{op::spawn, 0, 1}, {op::spawn, 0, 2}, {op::read, y}, {op::read, x}},
       {{op::write, x, 1}, {op::yield}, {op::write, y, 1}},
       {{op::read, y}, {op::read, x}, {op::write, x, 5}}},
      // lock-protected read-modify-write against an unprotected reader
      {{{op::spawn, 0, 1}, {op::spawn, 0, 1}, {op::read, x}},
       {{op::lock, sim::m1}, {op::read, x}, {op::write, x, 1}, {op::unlock, sim::m1}}},
      // a wait group used twice: whether the waiter sees y depends on when it waits
      {{{op::wg_add, sim::wg, 1}, {op::spawn, 0, 1}, {op::spawn, 0, 2}},
       {{op::wg_wait, sim::wg}, {op::read, y}},
       {{op::wg_add, sim::wg, -1},
        {op::wg_add, sim::wg, 1},
        {op::write, y, 1},
        {op::wg_add, sim::wg, -1}}},
      // a deadlock reachable only with a preemption
      {{{op::spawn, 0, 1}, {op::spawn, 0, 2}},
       {{op::lock, sim::m1}, {op::lock, sim::m2}, {op::unlock, sim::m2}, {op::unlock, sim::m1}},
       {{op::lock, sim::m2},
        {op::read, x},
        {op::lock, sim::m1},
        {op::unlock, sim::m1},
        {op::unlock, sim::m2}}},
  };
  for (std::size_t i = 0; i < programs.size(); ++i) {
    for (int bound : {-1, 0, 1, 2}) {
      const sim::result full = sim::explore(programs[i], bound, false);
      const sim::result reduced = sim::explore(programs[i], bound, true);
      ASSERT_TRUE(full.exhausted && reduced.exhausted);
      EXPECT_EQ(reduced.outcomes, full.outcomes) << "program " << i << ", bound " << bound;
      EXPECT_LE(reduced.executions, full.executions);
    }
  }
}

// --- options ------------------------------------------------------------------------------------

TEST(StrategyOptions, UnfairStepsAndUnboundedPreemptionsFromTheEnvironment) {
  ::setenv("WEFT_UNFAIR_STEPS", "250", 1);
  ::setenv("WEFT_PREEMPTION_BOUND", "unbounded", 1);
  weft::options o = weft::options::from_env();
  EXPECT_EQ(o.unfair_steps, 250u);
  EXPECT_EQ(o.preemption_bound, -1);
  ::setenv("WEFT_PREEMPTION_BOUND", "-1", 1);
  EXPECT_EQ(weft::options::from_env().preemption_bound, -1);
  ::setenv("WEFT_UNFAIR_STEPS", "lots", 1);
  try {
    (void)weft::options::from_env();
    ADD_FAILURE() << "WEFT_UNFAIR_STEPS=lots was accepted";
  } catch (const weft::usage_error& e) {
    EXPECT_TRUE(contains(e.what(), "WEFT_UNFAIR_STEPS=\"lots\"")) << e.what();
  }
  ::unsetenv("WEFT_UNFAIR_STEPS");
  ::setenv("WEFT_PREEMPTION_BOUND", "-2", 1);
  EXPECT_THROW((void)weft::options::from_env(), weft::usage_error);
  ::unsetenv("WEFT_PREEMPTION_BOUND");

  weft::options bad = dfs(-2, 1);
  EXPECT_THROW(weft::explore(bad, [] {}), weft::usage_error);
}

// --- the generator behind every randomized strategy ------------------------------------------

// SplitMix64 and xoshiro256** written out the way their authors publish them, to check
// weft::detail::prng against: its seeding, its lookahead (one output kept ready) and its draws.
std::uint64_t reference_splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

struct reference_xoshiro256ss {
  std::uint64_t s[4];
  explicit reference_xoshiro256ss(std::uint64_t seed) {
    for (auto& w : s) w = reference_splitmix64(seed);
  }
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::uint64_t next() {
    const std::uint64_t result = rotl(s[1] * 5, 7) * 9;
    const std::uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
  }
};

TEST(Prng, SplitMix64KnownAnswer) {
  // The first output of SplitMix64 from state 0, as published with the algorithm.
  EXPECT_EQ(weft::detail::mix_seed(0), 0xe220a8397b1dcdafULL);
  std::uint64_t state = 0;
  EXPECT_EQ(reference_splitmix64(state), 0xe220a8397b1dcdafULL);
}

TEST(Prng, IsXoshiro256StarStarSeededBySplitMix64) {
  for (std::uint64_t seed : {0ULL, 1ULL, 42ULL, 0xdeadbeefULL, ~0ULL}) {
    weft::detail::prng mine(seed);
    reference_xoshiro256ss theirs(seed);
    for (int i = 0; i < 1000; ++i) ASSERT_EQ(mine.next(), theirs.next()) << seed << " #" << i;
    mine.reseed(seed + 1);  // reseeding restarts the sequence (and its lookahead) from scratch
    reference_xoshiro256ss again(seed + 1);
    for (int i = 0; i < 10; ++i) ASSERT_EQ(mine.next(), again.next()) << seed + 1 << " #" << i;
  }
}

TEST(Prng, BelowDrawsOneOutputInRangeAndReachesEveryValue) {
  weft::detail::prng gen(7);
  reference_xoshiro256ss ref(7);
  std::vector<int> hits(5, 0);
  for (int i = 0; i < 5000; ++i) {
    const std::uint64_t v = gen.below(5);
    // Lemire's multiply-shift over exactly one output: the draws stay in step with the sequence.
    ASSERT_EQ(v,
              static_cast<std::uint64_t>((static_cast<unsigned __int128>(ref.next()) * 5) >> 64));
    ASSERT_LT(v, 5u);
    ++hits[static_cast<std::size_t>(v)];
  }
  for (int h : hits) EXPECT_GT(h, 800);  // 1000 expected each
}

}  // namespace
