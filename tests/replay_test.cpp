// Determinism and replay: same seed, same schedules, same report; tokens reproduce failures
// exactly; malformed or foreign tokens get clear errors; divergence is reported.
#include <cstdlib>
#include <memory>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include <weft/weft.hpp>

namespace {

using weft::failure_kind;

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// A bug that needs a specific interleaving of three tasks (not the first schedule tried).
void three_way_race() {
  struct state {
    weft::mutex mu;
    int stage = 0;
  };
  auto s = std::make_shared<state>();
  auto wg = std::make_shared<weft::wait_group>();
  wg->add(3);
  for (int i = 0; i < 3; ++i) {
    weft::go("stage-" + std::to_string(i), [s, wg, i] {
      for (int k = 0; k < 2; ++k) {
        std::lock_guard lock(s->mu);
        if (s->stage == i * 2 + k) ++s->stage;
      }
      wg->done();
    });
  }
  wg->wait();
  if (s->stage == 6) throw std::runtime_error("the tasks ran in exactly stage order");
}

weft::options opts(std::uint64_t seed = 0, std::uint64_t iterations = 10000) {
  weft::options o;
  o.seed = seed;
  o.iterations = iterations;
  return o;
}

TEST(Determinism, SameSeedSameTokenAndReportTwiceInOneProcess) {
  weft::report a = weft::explore(opts(7), three_way_race);
  weft::report b = weft::explore(opts(7), three_way_race);
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.kind, b.kind);
  EXPECT_EQ(a.replay, b.replay);
  EXPECT_EQ(a.message, b.message);
  EXPECT_EQ(a.iteration, b.iteration);
  EXPECT_EQ(a.executions, b.executions);
  EXPECT_EQ(a.steps, b.steps);
}

TEST(Determinism, DifferentSeedsExploreDifferentSchedules) {
  auto first_schedules = [](std::uint64_t seed) {
    auto seen = std::make_shared<std::vector<std::uint64_t>>();
    weft::explore(opts(seed, 20), [seen] { seen->push_back(weft::choose(1000000)); });
    return *seen;
  };
  EXPECT_EQ(first_schedules(1), first_schedules(1));
  EXPECT_NE(first_schedules(1), first_schedules(2));
}

TEST(Replay, TokenReproducesTheIdenticalReport) {
  weft::report found = weft::explore(opts(3), three_way_race);
  ASSERT_EQ(found.kind, failure_kind::uncaught_exception) << found.message;
  ASSERT_TRUE(found.replay.rfind("w1.", 0) == 0) << found.replay;
  EXPECT_TRUE(contains(found.message, "replay: WEFT_REPLAY=" + found.replay)) << found.message;
  weft::options again = opts();
  again.replay = found.replay;
  weft::report replayed = weft::explore(again, three_way_race);
  EXPECT_EQ(replayed.kind, found.kind);
  EXPECT_EQ(replayed.message, found.message);
  EXPECT_EQ(replayed.replay, found.replay);
  EXPECT_EQ(replayed.executions, 1u);
}

TEST(Replay, EveryFailureKindRoundTrips) {
  const std::function<void()> programs[] = {
      [] {  // deadlock
        weft::mutex a, b;
        weft::chan<int> go_on;
        weft::go([&a, &b, go_on] {
          std::lock_guard x(a);
          weft::yield();
          std::lock_guard y(b);
          go_on.send(1);
        });
        std::lock_guard y(b);
        weft::yield();
        std::lock_guard x(a);
        go_on.recv();
      },
      [] {  // panic after a data choice
        weft::chan<int> ch(1);
        if (weft::choose(3) == 2) ch.close();
        ch.send(1);
      },
      [] {  // leak
        weft::chan<int> ch;
        weft::go([ch] { ch.recv(); });
      },
  };
  for (const auto& program : programs) {
    weft::report found = weft::explore(opts(11), program);
    ASSERT_FALSE(found.ok());
    weft::options again = opts();
    again.replay = found.replay;
    weft::report replayed = weft::explore(again, program);
    EXPECT_EQ(replayed.message, found.message);
  }
}

TEST(Replay, DivergingProgramIsReportedAsNondeterminism) {
  weft::report found = weft::explore(opts(3), three_way_race);
  ASSERT_FALSE(found.ok());
  weft::options again = opts();
  again.replay = found.replay;
  // Same shape, but one more task: the offered choices differ early on.
  weft::report replayed = weft::explore(again, [] {
    weft::go([] {});
    three_way_race();
  });
  ASSERT_EQ(replayed.kind, failure_kind::nondeterminism) << replayed.message;
  EXPECT_TRUE(contains(replayed.message, "weft: nondeterminism")) << replayed.message;
  EXPECT_TRUE(contains(replayed.message, "at choice ")) << replayed.message;
  EXPECT_TRUE(contains(replayed.message, "(step ")) << replayed.message;
}

TEST(Replay, ProgramReadingOutsideStateDivergesMidway) {
  static int calls = 0;
  calls = 0;
  auto program = [] {
    ++calls;  // global state kept between executions: a classic source of nondeterminism
    weft::chan<int> ch(4);
    for (int i = 0; i < (calls == 1 ? 2 : 3); ++i) {
      weft::go([ch] { ch.send(1); });
    }
    for (int i = 0; i < (calls == 1 ? 2 : 3); ++i) ch.recv();
    if (calls == 1) throw std::runtime_error("first run fails");
  };
  weft::report found = weft::explore(opts(5, 1), program);
  ASSERT_EQ(found.kind, failure_kind::uncaught_exception);
  weft::options again = opts();
  again.replay = found.replay;
  weft::report replayed = weft::explore(again, program);
  EXPECT_EQ(replayed.kind, failure_kind::nondeterminism) << replayed.message;
}

TEST(Replay, MalformedTokensGetClearErrors) {
  weft::report found = weft::explore(opts(3), three_way_race);
  ASSERT_FALSE(found.ok());
  const std::string good = found.replay;
  struct bad {
    std::string token;
    std::string says;
  } cases[] = {
      {"", "does not start with \"w1.\""},
      {"hello", "does not start with \"w1.\""},
      {"w9." + good.substr(3), "version \"w9\" is not supported"},
      {good.substr(0, good.size() / 2), "checksum does not match"},
      {good.substr(0, 5), "truncated"},
      {good + "A", "characters were added"},
      {"w1.abc$def", "character '$' at position 6"},
      {good.substr(0, 10) + (good[10] == 'A' ? "B" : "A") + good.substr(11), "checksum"},
  };
  for (const auto& c : cases) {
    weft::options o = opts();
    o.replay = c.token;
    if (c.token.empty()) continue;  // an empty replay option means "explore", not an error
    try {
      weft::explore(o, three_way_race);
      ADD_FAILURE() << "no error for token " << c.token;
    } catch (const weft::usage_error& e) {
      EXPECT_TRUE(contains(e.what(), c.says)) << e.what();
      EXPECT_TRUE(contains(e.what(), "malformed replay token")) << e.what();
    }
  }
}

TEST(Replay, TokenFromAnotherTestIsRefused) {
  weft::options o = opts(3);
  o.test_name = "Suite.Original";
  weft::report found = weft::explore(o, three_way_race);
  ASSERT_FALSE(found.ok());
  weft::options other = opts();
  other.test_name = "Suite.Other";
  other.replay = found.replay;
  try {
    weft::explore(other, three_way_race);
    FAIL() << "expected usage_error";
  } catch (const weft::usage_error& e) {
    EXPECT_TRUE(contains(e.what(), "recorded by another test")) << e.what();
  }
  other.test_name = "Suite.Original";
  EXPECT_EQ(weft::explore(other, three_way_race).message, found.message);
}

TEST(Replay, ReportMessageHoldsNothingThatVariesBetweenRuns) {
  // Found at different iterations with different seeds, the same schedule gives the same text.
  weft::report found = weft::explore(opts(3), three_way_race);
  ASSERT_FALSE(found.ok());
  EXPECT_FALSE(contains(found.message, "seed"));
  EXPECT_FALSE(contains(found.message, "execution " + std::to_string(found.iteration)));
  EXPECT_FALSE(contains(found.message, "0x7f"));  // no addresses
}

TEST(Parallel, JobsReportTheLowestFailingIterationLikeOneJob) {
  weft::options one = opts(21);
  weft::report a = weft::explore(one, three_way_race);
  weft::options many = one;
  many.jobs = 2;
  weft::report b = weft::explore(many, three_way_race);
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.iteration, b.iteration);
  EXPECT_EQ(a.message, b.message);
}

TEST(Sharding, ShardsTogetherRunExactlyTheUnshardedIterations) {
  auto record = [](weft::options o) {
    auto seen = std::make_shared<std::multiset<std::uint64_t>>();
    weft::report r = weft::explore(o, [seen] { seen->insert(weft::choose(~std::uint64_t{0})); });
    EXPECT_TRUE(r.ok());
    return *seen;
  };
  weft::options whole = opts(9, 100);
  std::multiset<std::uint64_t> all = record(whole);
  std::multiset<std::uint64_t> joined;
  for (std::uint64_t k = 0; k < 3; ++k) {
    weft::options shard = whole;
    shard.total_shards = 3;
    shard.shard_index = k;
    auto part = record(shard);
    EXPECT_GE(part.size(), 33u);
    joined.insert(part.begin(), part.end());
  }
  EXPECT_EQ(joined, all);
  EXPECT_EQ(all.size(), 100u);
}

}  // namespace
