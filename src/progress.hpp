// src/progress.hpp — the status line of a long exploration in a terminal.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace weft::detail {

/// One line, rewritten in place on stderr while an exploration runs, once it has run longer than
/// `delay` — only when stderr is a terminal and options::progress is on (WEFT_QUIET=1 turns it
/// off), so CI logs stay clean. Workers count into it; one of them (tick() returning true for the
/// caller that owns it) prints. Erased when the exploration ends.
class progress_line {
 public:
  progress_line(bool enabled, std::chrono::steady_clock::time_point start,
                std::chrono::milliseconds budget);
  ~progress_line();
  progress_line(const progress_line&) = delete;
  progress_line& operator=(const progress_line&) = delete;

  /// An execution ended; `new_schedule`: its choices were new to the worker that ran it.
  void count(bool new_schedule) noexcept {
    executions_.fetch_add(1, std::memory_order_relaxed);
    if (new_schedule) distinct_.fetch_add(1, std::memory_order_relaxed);
  }
  /// Whether the line can appear at all (a terminal, not quiet): else counting is skipped.
  bool active() const noexcept { return enabled_; }
  /// Called by the printing worker after each execution: rewrites the line when due.
  void maybe_print();

  /// The text of the line (without the carriage return), e.g.
  /// "[weft] 120,000 executions · 98,765 distinct schedules · 61.2 k/s · 28 s of budget left".
  static std::string format(std::uint64_t executions, std::uint64_t distinct, double seconds,
                            double budget_left_seconds);

  /// Delay before the line appears (tests shorten it).
  static inline std::chrono::milliseconds delay{2000};

 private:
  bool enabled_;
  bool printed_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::milliseconds budget_;
  std::chrono::steady_clock::time_point next_print_;
  std::atomic<std::uint64_t> executions_{0};
  std::atomic<std::uint64_t> distinct_{0};  // per worker: an upper bound with several jobs
};

}  // namespace weft::detail
