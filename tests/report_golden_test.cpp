// Golden-output tests: the whole report of each failure shape, compared with tests/golden/*.txt.
//
// A report is deterministic (same seed, same schedule, same text), so it can be compared byte for
// byte; only the replay line's command (the path of this binary) is replaced by "<binary>". When
// a report changes on purpose, regenerate the files and review the diff:
//
//   WEFT_UPDATE_GOLDEN=1 ./build/tests/weft_tests --gtest_filter='Golden*'
//   git diff tests/golden/
//
// Sites in the reports name lines of this file: adding lines above a kernel changes them.
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include <weft/weft.hpp>

namespace {

std::string normalized(std::string message) {
  const std::string key = "  replay: WEFT_REPLAY=";
  const std::size_t at = message.find(key);
  if (at == std::string::npos) return message;
  const std::size_t token_end = message.find(' ', at + key.size());
  const std::size_t line_end = message.find('\n', at);
  if (token_end != std::string::npos && token_end < line_end) {
    message.replace(token_end + 1, line_end - token_end - 1, "<binary>");
  }
  return message;
}

void expect_golden(const std::string& name, const weft::report& r) {
  const std::string path = std::string(WEFT_TEST_SOURCE_DIR) + "/golden/" + name + ".txt";
  const std::string actual = normalized(r.message);
  if (const char* update = std::getenv("WEFT_UPDATE_GOLDEN");
      update && std::string(update) == "1") {
    std::ofstream(path, std::ios::binary) << actual;
    return;
  }
  std::ifstream in(path, std::ios::binary);
  ASSERT_TRUE(in) << "missing golden file " << path
                  << " (run with WEFT_UPDATE_GOLDEN=1 to create it); the report was:\n"
                  << actual;
  std::stringstream expected;
  expected << in.rdbuf();
  EXPECT_EQ(actual, expected.str())
      << "the report differs from " << path << " (WEFT_UPDATE_GOLDEN=1 regenerates it)";
}

weft::options golden_options() {
  weft::options o;  // fixed seed 0, random walk, default shrinking
  o.iterations = 2000;
  o.test_name = "Golden";
  return o;
}

TEST(Golden, DeadlockCycle) {
  const weft::report r = weft::explore(golden_options(), [] {
    auto accounts = std::make_shared<weft::mutex>();
    auto audit = std::make_shared<weft::mutex>();
    auto wg = std::make_shared<weft::wait_group>();
    wg->add(2);
    weft::go("transfer", [accounts, audit, wg] {
      accounts->lock();
      audit->lock();
      audit->unlock();
      accounts->unlock();
      wg->done();
    });
    weft::go("auditor", [accounts, audit, wg] {
      audit->lock();
      accounts->lock();
      accounts->unlock();
      audit->unlock();
      wg->done();
    });
    wg->wait();
  });
  ASSERT_EQ(r.kind, weft::failure_kind::deadlock) << r.message;
  expect_golden("deadlock_cycle", r);
}

TEST(Golden, LeakOnADeadChannel) {
  const weft::report r = weft::explore(golden_options(), [] {
    weft::chan<int> results;
    for (int i = 0; i < 2; ++i) {
      weft::go("search-" + std::to_string(i), [results, i] { results.send(i); });
    }
    (void)results.recv();  // the first answer wins; the other sender is never received
  });
  ASSERT_EQ(r.kind, weft::failure_kind::leak) << r.message;
  expect_golden("leak_dead_channel", r);
}

TEST(Golden, DataRace) {
  const weft::report r = weft::explore(golden_options(), [] {
    auto hits = std::make_shared<weft::tracked<int>>(0);
    auto wg = std::make_shared<weft::wait_group>();
    wg->add(2);
    for (int i = 0; i < 2; ++i) {
      weft::go("handler-" + std::to_string(i), [hits, wg] {
        hits->set(hits->get() + 1);
        wg->done();
      });
    }
    wg->wait();
  });
  ASSERT_EQ(r.kind, weft::failure_kind::data_race) << r.message;
  expect_golden("data_race", r);
}

TEST(Golden, PanicSendOnClosedChannel) {
  const weft::report r = weft::explore(golden_options(), [] {
    weft::chan<int> out(1);
    weft::go("producer", [out] { out.send(1); });
    out.close();  // closed before the producer is known to be done
  });
  ASSERT_EQ(r.kind, weft::failure_kind::panic) << r.message;
  expect_golden("panic", r);
}

TEST(Golden, Livelock) {
  weft::options o = golden_options();
  o.progress_steps = 2000;
  const weft::report r = weft::explore(o, [] {
    auto ready = std::make_shared<weft::atomic<bool>>(false);
    weft::go("poller", [ready] {
      while (!ready->load()) weft::yield();  // nobody ever sets it
    });
  });
  ASSERT_EQ(r.kind, weft::failure_kind::livelock) << r.message;
  expect_golden("livelock", r);
}

}  // namespace
