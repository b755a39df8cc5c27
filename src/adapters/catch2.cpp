// src/adapters/catch2.cpp — runs a WEFT_TEST_CASE body under weft::explore inside Catch2 v2.
//
// A listener (Catch2's documented extension point for observing assertions) turns a failed
// assertion inside a task into a weft failure of kind `assertion`. A failed REQUIRE then throws
// Catch's own exception through the task; weft already holds the assertion failure, which wins.
#define CATCH_CONFIG_EXTERNAL_INTERFACES
#include "weft/catch2.hpp"

#include <cstdio>
#include <string>

namespace weft::detail {
namespace {

class weft_listener : public Catch::TestEventListenerBase {
 public:
  using Catch::TestEventListenerBase::TestEventListenerBase;

  void assertionStarting(const Catch::AssertionInfo&) override {}
  bool assertionEnded(const Catch::AssertionStats& stats) override {
    const Catch::AssertionResult& result = stats.assertionResult;
    if (result.isOk() || !in_scope()) return true;
    std::string where = result.getSourceInfo().file;
    if (auto slash = where.find_last_of('/'); slash != std::string::npos) where.erase(0, slash + 1);
    where += ":" + std::to_string(result.getSourceInfo().line);
    std::string evidence = "  " + where + ": " + result.getExpressionInMacro() + "\n";
    if (result.hasExpandedExpression()) {
      evidence += "    with expansion: " + result.getExpandedExpression() + "\n";
    }
    if (result.hasMessage()) evidence += "    " + result.getMessage() + "\n";
    report_user_failure(failure_kind::assertion, "a test assertion failed at " + where, evidence);
    return true;
  }
};

std::string quote_for_shell(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace

CATCH_REGISTER_LISTENER(weft_listener)

void catch2_run(const char* test_name, void (*body)()) {
  options opts = options::from_env();
  opts.test_name = test_name;
  opts.replay_args = quote_for_shell(test_name);
  report r = explore(opts, body);
  const double rate = r.wall_seconds > 0 ? static_cast<double>(r.steps) / r.wall_seconds : 0.0;
  std::printf("[weft] %s: %llu executions, %llu distinct schedules, %.2f M steps/s%s\n", test_name,
              static_cast<unsigned long long>(r.executions),
              static_cast<unsigned long long>(r.distinct_schedules), rate / 1e6,
              r.exhausted ? " (all schedules within the bound explored)" : "");
  std::fflush(stdout);
  if (!r.ok()) {
    // Printed as is: Catch2 wraps its own messages at the console width, which would break the
    // copy-paste replay line.
    std::printf("%s  (found in execution %llu, seed %llu)\n", r.message.c_str(),
                static_cast<unsigned long long>(r.iteration + 1),
                static_cast<unsigned long long>(r.seed));
    std::fflush(stdout);
    FAIL("weft found a bug of kind " << to_string(r.kind) << "; the report and its replay line "
                                     << "are printed above");
  }
}

}  // namespace weft::detail
