// weft/catch2.hpp — Catch2 (v2) adapter: WEFT_TEST_CASE("name", "[tags]") { ... }.
//
//   #include <weft/catch2.hpp>
//   WEFT_TEST_CASE("pipeline drains", "[pipeline]") {
//     weft::chan<int> ch(4);
//     weft::go([ch] { ch.send(1); ch.close(); });
//     REQUIRE(ch.recv() == 1);            // checked in every explored schedule
//   }
//
// A WEFT_TEST_CASE is a TEST_CASE whose body runs under weft::explore with options::from_env().
// A failed REQUIRE/CHECK inside any task is a failure of kind `assertion`; a bug found fails the
// test case with the full report, whose replay line names this binary and the test case. Each
// test case prints one summary line (executions, distinct schedules, steps per second).
#pragma once

#include <catch2/catch.hpp>

#include "weft/weft.hpp"

namespace weft::detail {
/// Runs `body` under weft for the current Catch2 test case (used by WEFT_TEST_CASE).
void catch2_run(const char* test_name, void (*body)());
}  // namespace weft::detail

#define WEFT_CATCH2_CAT_(a, b) a##b
#define WEFT_CATCH2_CAT(a, b) WEFT_CATCH2_CAT_(a, b)
#define WEFT_TEST_CASE(name, tags)                                                      \
  static void WEFT_CATCH2_CAT(weft_test_case_body_, __LINE__)();                        \
  TEST_CASE(name, tags) {                                                               \
    ::weft::detail::catch2_run(name, &WEFT_CATCH2_CAT(weft_test_case_body_, __LINE__)); \
  }                                                                                     \
  static void WEFT_CATCH2_CAT(weft_test_case_body_, __LINE__)()
