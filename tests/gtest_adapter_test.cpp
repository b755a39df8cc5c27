// The GoogleTest adapter in-process: WEFT_TEST bodies run under weft, assertions inside tasks
// become failures of kind `assertion` carrying weft's report.
#include <memory>

#include <gtest/gtest-spi.h>

#include <weft/gtest.hpp>

namespace {

WEFT_TEST(GtestAdapter, PassingBodyRunsManyExecutions) {
  weft::chan<int> ch(1);
  weft::go([ch] { ch.send(41); });
  auto v = ch.recv();
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(*v + 1, 42);
}

void lost_update_body() {
  auto counter = std::make_shared<int>(0);
  auto wg = std::make_shared<weft::wait_group>();
  wg->add(2);
  for (int i = 0; i < 2; ++i) {
    weft::go([counter, wg] {
      int read = *counter;
      weft::yield();
      *counter = read + 1;
      wg->done();
    });
  }
  wg->wait();
  EXPECT_EQ(*counter, 2) << "lost update";
}

void failing_in_a_task() {
  weft::chan<int> ch;
  weft::go("checker", [ch] { ASSERT_EQ(ch.recv(), 5); });
  ch.send(4);
}

TEST(GtestAdapter, FailedExpectInTheBodyIsAnAssertionFailureWithReplayLine) {
  EXPECT_NONFATAL_FAILURE(weft::detail::gtest_run("Suite", "LostUpdate", &lost_update_body),
                          "weft: assertion — a test assertion failed at gtest_adapter_test.cpp");
  EXPECT_NONFATAL_FAILURE(weft::detail::gtest_run("Suite", "LostUpdate", &lost_update_body),
                          "--gtest_filter=Suite.LostUpdate");
}

TEST(GtestAdapter, FailedAssertInATaskNamesTheTask) {
  EXPECT_NONFATAL_FAILURE(weft::detail::gtest_run("Suite", "InTask", &failing_in_a_task),
                          "in task \"checker\"");
}

}  // namespace
