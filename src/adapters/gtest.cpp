// src/adapters/gtest.cpp — runs a WEFT_TEST body under weft::explore inside GoogleTest.
//
// Failed assertions inside tasks are intercepted with a ScopedFakeTestPartResultReporter (the
// public extension point of gtest-spi.h): while weft explores, a failed EXPECT_*/ASSERT_* becomes
// a weft failure of kind `assertion` that ends that execution, instead of a raw gtest failure per
// explored schedule. The test then fails once, with weft's whole report.
#include "weft/gtest.hpp"

#include <gtest/gtest-spi.h>

#include <cstdio>
#include <string>

namespace weft::detail {
namespace {

// Installed twice while weft explores: as the process-wide reporter (tasks of parallel jobs run
// on helper threads) and as the calling thread's own reporter (which gtest consults first, so an
// enclosing EXPECT_NONFATAL_FAILURE does not hide assertions from weft).
class assertion_interceptor : public ::testing::ScopedFakeTestPartResultReporter {
 public:
  explicit assertion_interceptor(InterceptMode mode)
      : ScopedFakeTestPartResultReporter(mode, &outside_scope_) {}

  void ReportTestPartResult(const ::testing::TestPartResult& result) override {
    if (!result.failed()) return;
    if (in_scope()) {
      std::string where = result.file_name() != nullptr ? std::string(result.file_name())
                                                        : std::string("<unknown file>");
      if (auto slash = where.find_last_of('/'); slash != std::string::npos)
        where.erase(0, slash + 1);
      where += ":" + std::to_string(result.line_number());
      std::string summary = result.summary();
      std::string evidence;
      std::size_t start = 0;
      while (start < summary.size()) {
        std::size_t end = summary.find('\n', start);
        if (end == std::string::npos) end = summary.size();
        evidence += "    " + summary.substr(start, end - start) + "\n";
        start = end + 1;
      }
      report_user_failure(failure_kind::assertion, "a test assertion failed at " + where,
                          "  " + where + ":\n" + evidence);
      return;
    }
    outside_scope_.Append(result);
  }

  const ::testing::TestPartResultArray& outside_scope() const { return outside_scope_; }

 private:
  ::testing::TestPartResultArray outside_scope_;
};

}  // namespace

void gtest_run(const char* suite, const char* name, const options& base, void (*body)()) {
  options opts = options::from_env(base);
  opts.test_name = std::string(suite) + "." + name;
  opts.replay_args = "--gtest_filter=" + opts.test_name;
  report r;
  std::vector<::testing::TestPartResult> stray;
  {
    assertion_interceptor all_threads(
        ::testing::ScopedFakeTestPartResultReporter::INTERCEPT_ALL_THREADS);
    assertion_interceptor this_thread(
        ::testing::ScopedFakeTestPartResultReporter::INTERCEPT_ONLY_CURRENT_THREAD);
    r = explore(opts, body);
    for (const assertion_interceptor* i : {&all_threads, &this_thread}) {
      for (int k = 0; k < i->outside_scope().size(); ++k) {
        stray.push_back(i->outside_scope().GetTestPartResult(k));
      }
    }
  }
  for (const auto& s : stray) {
    ADD_FAILURE_AT(s.file_name() ? s.file_name() : "?", s.line_number()) << s.message();
  }
  const double rate = r.wall_seconds > 0 ? static_cast<double>(r.steps) / r.wall_seconds : 0.0;
  std::printf("[   weft   ] %s: %llu executions, %llu distinct schedules, %.2f M steps/s%s\n",
              opts.test_name.c_str(), static_cast<unsigned long long>(r.executions),
              static_cast<unsigned long long>(r.distinct_schedules), rate / 1e6,
              r.exhausted ? " (all schedules within the bound explored)" : "");
  std::fflush(stdout);
  ::testing::Test::RecordProperty("weft_executions", std::to_string(r.executions));
  ::testing::Test::RecordProperty("weft_distinct_schedules", std::to_string(r.distinct_schedules));
  ::testing::Test::RecordProperty("weft_steps", std::to_string(r.steps));
  if (!r.ok()) {
    ADD_FAILURE() << "\n"
                  << r.message << "  (found in execution " << r.iteration + 1 << ", seed " << r.seed
                  << ")\n";
  }
}

void gtest_run(const char* suite, const char* name, void (*body)()) {
  gtest_run(suite, name, options{}, body);
}

}  // namespace weft::detail
