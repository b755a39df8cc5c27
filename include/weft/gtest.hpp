// weft/gtest.hpp — GoogleTest adapter: WEFT_TEST(Suite, Name) { ... }.
//
//   #include <weft/gtest.hpp>
//   WEFT_TEST(Account, ConcurrentDeposits) {
//     auto balance = std::make_shared<weft::tracked<int>>(0);
//     weft::wait_group wg;
//     ...
//     EXPECT_EQ(balance->get(), 20);     // checked in every explored schedule
//   }
//
// A WEFT_TEST is a TEST whose body runs under weft::explore with options::from_env() (so
// WEFT_SEED, WEFT_ITERATIONS, WEFT_REPLAY, ... apply). A failed EXPECT_*/ASSERT_* inside any task
// is a failure of kind `assertion`; any bug found fails the test with the full report, whose
// replay line names this binary and --gtest_filter for this test. Each test prints one summary
// line (executions, distinct schedules, steps per second) and records them as test properties
// (they land in --gtest_output=xml).
#pragma once

#include <gtest/gtest.h>

#include "weft/weft.hpp"

namespace weft::detail {
/// Runs `body` under weft for the current GoogleTest test (used by WEFT_TEST).
void gtest_run(const char* suite, const char* name, void (*body)());
/// The same, with options built by the caller (from_env is still applied on top).
void gtest_run(const char* suite, const char* name, const options& base, void (*body)());
}  // namespace weft::detail

#define WEFT_TEST(suite, name)                                                  \
  static void weft_test_body_##suite##_##name();                                \
  TEST(suite, name) {                                                           \
    ::weft::detail::gtest_run(#suite, #name, &weft_test_body_##suite##_##name); \
  }                                                                             \
  static void weft_test_body_##suite##_##name()
