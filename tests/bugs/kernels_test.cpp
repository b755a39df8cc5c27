// Runs every registered GoBench kernel (see kernel.hpp) under weft::explore:
//   buggy_is_found -- the buggy twin is reported with the kernel's expected kind and a replay line;
//   fixed_passes   -- the fixed twin survives every explored execution.
// Options are kernel_options(strategy::random) (seed 0, 10,000 executions), then any WEFT_*
// environment variable: WEFT_STRATEGY=pct runs the suite with another strategy, and the
// WEFT_REPLAY=... line of a report replays one failing schedule together with --gtest_filter.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <ostream>
#include <set>
#include <string>
#include <weft/weft.hpp>

#include "kernel.hpp"

namespace weft::bugs {

// Lets GoogleTest print a kernel parameter by name instead of dumping its bytes.
void PrintTo(const kernel& k, std::ostream* os) { *os << k.name << " (" << k.origin << ")"; }

namespace {

const char* kind_name(weft::failure_kind kind) {
  switch (kind) {
    case weft::failure_kind::none:
      return "none";
    case weft::failure_kind::deadlock:
      return "deadlock";
    case weft::failure_kind::leak:
      return "leak";
    case weft::failure_kind::data_race:
      return "data_race";
    case weft::failure_kind::uncaught_exception:
      return "uncaught_exception";
    case weft::failure_kind::panic:
      return "panic";
    case weft::failure_kind::assertion:
      return "assertion";
    case weft::failure_kind::step_limit:
      return "step_limit";
    case weft::failure_kind::livelock:
      return "livelock";
    case weft::failure_kind::too_many_tasks:
      return "too_many_tasks";
    case weft::failure_kind::nondeterminism:
      return "nondeterminism";
  }
  return "unknown";
}

bool contains_ignoring_case(std::string haystack, std::string needle) {
  auto lower = [](std::string s) {
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
  };
  return lower(std::move(haystack)).find(lower(std::move(needle))) != std::string::npos;
}

// The suite's options: the default kernel options, overridden by the environment.
weft::options suite_options() {
  return weft::options::from_env(kernel_options(weft::strategy::random));
}

class GoKer : public ::testing::TestWithParam<kernel> {};

TEST_P(GoKer, buggy_is_found) {
  const kernel& k = GetParam();
  const weft::report r = weft::explore(suite_options(), k.buggy);
  EXPECT_STREQ(kind_name(r.kind), kind_name(k.expected))
      << k.origin << ": the buggy twin was reported with the wrong kind\n"
      << r.message;
  // The report's copy-paste line ("replay: WEFT_REPLAY=<token> ...") names the schedule.
  EXPECT_TRUE(contains_ignoring_case(r.message, "replay")) << r.message;
  EXPECT_FALSE(r.replay.empty()) << r.message;
}

TEST_P(GoKer, fixed_passes) {
  const kernel& k = GetParam();
  const weft::options opts = suite_options();
  const weft::report r = weft::explore(opts, k.fixed);
  EXPECT_TRUE(r.ok()) << k.origin << ": the fixed twin failed (" << kind_name(r.kind) << ")\n"
                      << r.message;
  if (r.ok() && opts.strategy == weft::strategy::random && opts.replay.empty() &&
      opts.time_budget.count() == 0) {
    EXPECT_EQ(r.executions, opts.iterations) << k.origin;
  }
}

INSTANTIATE_TEST_SUITE_P(bugs, GoKer, ::testing::ValuesIn(registry()),
                         [](const ::testing::TestParamInfo<kernel>& info) {
                           return std::string(info.param.name);
                         });

// Every kernel of /shared/BUGS.md is linked in (a static library would silently drop kernel
// objects: link them as an object library) and registered once.
TEST(GoKerRegistry, has_every_kernel_once) {
  const std::vector<kernel>& kernels = registry();
  EXPECT_EQ(kernels.size(), 37u);
  std::set<std::string> names;
  for (const kernel& k : kernels) {
    EXPECT_TRUE(names.insert(k.name).second) << "registered twice: " << k.name;
    EXPECT_NE(k.buggy, nullptr) << k.name;
    EXPECT_NE(k.fixed, nullptr) << k.name;
    EXPECT_NE(k.expected, weft::failure_kind::none) << k.name;
  }
  EXPECT_TRUE(std::is_sorted(kernels.begin(), kernels.end(), [](const kernel& a, const kernel& b) {
    return std::strcmp(a.name, b.name) < 0;
  }));
}

}  // namespace
}  // namespace weft::bugs
