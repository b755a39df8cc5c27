// bench/bench_util.hpp — small helpers shared by weft's benchmark executables.
//
// Wall time is what the targets are stated in; CPU time is reported beside it because on a shared
// machine wall time also counts the time other processes held the CPU.
#pragma once

#include <time.h>

#include <chrono>
#include <cstdint>
#include <fstream>
#include <string>

namespace weft_bench {

/// CPU time consumed by the whole process so far (all threads), in nanoseconds.
inline double process_cpu_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

/// Measures wall-clock time (steady_clock) and the process's CPU time, in nanoseconds.
class stopwatch {
 public:
  stopwatch() : start_(std::chrono::steady_clock::now()), cpu_start_(process_cpu_ns()) {}
  double elapsed_ns() const {
    return std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start_)
        .count();
  }
  double cpu_ns() const { return process_cpu_ns() - cpu_start_; }

 private:
  std::chrono::steady_clock::time_point start_;
  double cpu_start_;
};

/// A field of /proc/self/status in KiB ("VmHWM", "VmRSS"), or -1 if it cannot be read.
inline long proc_status_kib(const std::string& field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  const std::string key = field + ":";
  while (std::getline(in, line)) {
    if (line.rfind(key, 0) == 0) return std::stol(line.substr(key.size()));
  }
  return -1;
}

/// Resets the process's peak RSS (VmHWM) to its current RSS (Linux >= 4.0: writing 5 to
/// /proc/self/clear_refs). Returns false if the kernel refused, in which case VmHWM still holds
/// the peak since the process started.
inline bool reset_peak_rss() {
  std::ofstream out("/proc/self/clear_refs");
  if (!out) return false;
  out << "5";
  out.flush();
  return static_cast<bool>(out);
}

/// Sums of the measured intervals of one benchmark.
struct tally {
  double wall_ns = 0;
  double cpu_ns = 0;
  void add(const stopwatch& sw) {
    wall_ns += sw.elapsed_ns();
    cpu_ns += sw.cpu_ns();
  }
};

}  // namespace weft_bench
