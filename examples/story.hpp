// examples/story.hpp — how every example tells its story: explore the buggy code and print what
// weft reports, then explore the fixed code and show that it passes. An example exits 0 only if
// the story holds (the bug is found with the expected kind and the fix passes).
#pragma once

#include <cstdio>
#include <functional>
#include <string>

#include <weft/weft.hpp>

namespace story {

inline weft::options options(std::uint64_t iterations = 2000) {
  weft::options o = weft::options::from_env();
  if (std::getenv("WEFT_ITERATIONS") == nullptr) o.iterations = iterations;
  return o;
}

/// Explores `buggy`, prints the report; explores `fixed`, prints the verdict.
inline int tell(const char* title, weft::failure_kind expected, const std::function<void()>& buggy,
                const std::function<void()>& fixed, weft::options opts = options()) {
  std::printf("=== %s ===\n\n--- the buggy version ---\n", title);
  weft::report found = weft::explore(opts, buggy);
  if (found.ok()) {
    std::printf("weft found no bug in %llu executions (expected %s)\n",
                static_cast<unsigned long long>(found.executions),
                std::string(weft::to_string(expected)).c_str());
    return 1;
  }
  std::printf("%s", found.message.c_str());
  std::printf("(found in execution %llu of the exploration)\n\n",
              static_cast<unsigned long long>(found.iteration + 1));
  if (!opts.replay.empty()) return found.kind == expected ? 0 : 1;
  std::printf("--- the fixed version ---\n");
  weft::report fixed_report = weft::explore(opts, fixed);
  if (!fixed_report.ok()) {
    std::printf("the fix still fails:\n%s", fixed_report.message.c_str());
    return 1;
  }
  std::printf("no bug in %llu executions (%llu distinct schedules)\n",
              static_cast<unsigned long long>(fixed_report.executions),
              static_cast<unsigned long long>(fixed_report.distinct_schedules));
  return found.kind == expected ? 0 : 1;
}

}  // namespace story
