// Schedule shrinking (src/shrink.cpp): a failure found by a random walk is reported with the
// fewest preemptions the shrinker finds, on kernels whose minimum is known by construction.
#include <memory>
#include <stdexcept>
#include <string>

#include <gtest/gtest.h>

#include <weft/weft.hpp>

namespace {

using weft::failure_kind;

weft::options random_walk(std::uint64_t seed) {
  weft::options o;
  o.seed = seed;
  o.iterations = 10'000;
  return o;
}

// ABBA: one preemption suffices (worker-2 takes b, is preempted, worker-1 takes a then waits for
// b); with none, the first worker to start takes both locks and there is no deadlock.
void abba() {
  auto a = std::make_shared<weft::mutex>();
  auto b = std::make_shared<weft::mutex>();
  auto wg = std::make_shared<weft::wait_group>();
  wg->add(2);
  weft::go("worker-1", [a, b, wg] {
    a->lock();
    b->lock();
    b->unlock();
    a->unlock();
    wg->done();
  });
  weft::go("worker-2", [a, b, wg] {
    b->lock();
    a->lock();
    a->unlock();
    b->unlock();
    wg->done();
  });
  wg->wait();
}

// Needs exactly two preemptions: the reader must see the first store and then the second, so the
// order is store(1) < load < store(2) < load: writer preempted after its first store, reader
// preempted after its first load.
void two_preemption_order() {
  auto x = std::make_shared<weft::atomic<int>>(0);
  auto wg = std::make_shared<weft::wait_group>();
  wg->add(2);
  weft::go("writer", [x, wg] {
    x->store(1);
    x->store(2);
    wg->done();
  });
  weft::go("reader", [x, wg] {
    const int first = x->load();
    const int second = x->load();
    if (first == 1 && second == 2) throw std::runtime_error("saw both stores in between");
    wg->done();
  });
  wg->wait();
}

// Sixteen seeds: the random walks find the deadlock with 1 to 5 preemptions, and whatever the
// start the report must not claim more than the one that is needed (a search that stopped at a
// schedule within its bound but dearer to the engine once claimed two).
TEST(Shrink, AbbaDeadlockNeedsOnePreemption) {
  for (std::uint64_t seed = 0; seed < 16; ++seed) {
    const weft::report r = weft::explore(random_walk(seed), abba);
    ASSERT_EQ(r.kind, failure_kind::deadlock) << r.message;
    EXPECT_EQ(r.preemptions, 1u) << "seed " << seed << " (found with " << r.unshrunk_preemptions
                                 << ")\n"
                                 << r.message;
    EXPECT_LE(r.failing_steps, r.unshrunk_steps);
    EXPECT_GT(r.shrink_replays, 0u);
    EXPECT_NE(r.message.find("this schedule: 1 preemption,"), std::string::npos) << r.message;
  }
}

TEST(Shrink, OrderViolationNeedsTwoPreemptions) {
  for (std::uint64_t seed : {0u, 1u, 2u, 3u, 4u}) {
    const weft::report r = weft::explore(random_walk(seed), two_preemption_order);
    ASSERT_EQ(r.kind, failure_kind::uncaught_exception) << r.message;
    EXPECT_EQ(r.preemptions, 2u) << "seed " << seed << " (found with " << r.unshrunk_preemptions
                                 << ")\n"
                                 << r.message;
    // Bounds 0 and 1 were searched to their end without this failure: two are needed.
    EXPECT_NE(r.message.find("the bug needs 2 preemptions"), std::string::npos) << r.message;
  }
}

TEST(Shrink, ShrunkTokenReplaysTheShrunkReport) {
  const weft::report r = weft::explore(random_walk(7), two_preemption_order);
  ASSERT_FALSE(r.ok());
  weft::options again;
  again.replay = r.replay;
  const weft::report replayed = weft::explore(again, two_preemption_order);
  EXPECT_EQ(replayed.kind, r.kind);
  EXPECT_EQ(replayed.message, r.message);
  EXPECT_EQ(replayed.preemptions, r.preemptions);
}

TEST(Shrink, BudgetZeroKeepsTheScheduleAsFound) {
  weft::options o = random_walk(3);
  o.shrink_budget = 0;
  const weft::report r = weft::explore(o, two_preemption_order);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.shrink_replays, 0u);
  weft::options shrunk = random_walk(3);
  const weft::report s = weft::explore(shrunk, two_preemption_order);
  EXPECT_EQ(s.unshrunk_preemptions, r.preemptions);
  EXPECT_LE(s.preemptions, r.preemptions);
}

TEST(Shrink, BudgetIsRespected) {
  weft::options o = random_walk(3);
  o.shrink_budget = 3;
  const weft::report r = weft::explore(o, two_preemption_order);
  ASSERT_FALSE(r.ok());
  EXPECT_LE(r.shrink_replays, 3u);
  // Too small a budget to search the smaller bounds: no claim about what the bug needs.
  EXPECT_EQ(r.message.find("the bug needs"), std::string::npos) << r.message;
}

TEST(Shrink, SameFailureShrinksTheSameWayTwice) {
  const weft::report a = weft::explore(random_walk(11), abba);
  const weft::report b = weft::explore(random_walk(11), abba);
  EXPECT_EQ(a.replay, b.replay);
  EXPECT_EQ(a.message, b.message);
}

}  // namespace
