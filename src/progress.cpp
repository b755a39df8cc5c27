// src/progress.cpp — the status line of a long exploration (see progress.hpp).
#include "progress.hpp"

#include <unistd.h>

#include <algorithm>

namespace weft::detail {
namespace {

std::string grouped(std::uint64_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i != 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

}  // namespace

progress_line::progress_line(bool enabled, std::chrono::steady_clock::time_point start,
                             std::chrono::milliseconds budget)
    : enabled_(enabled && ::isatty(STDERR_FILENO) == 1),
      start_(start),
      budget_(budget),
      next_print_(start + delay) {}

progress_line::~progress_line() {
  if (printed_) {
    std::fputs("\r\033[K", stderr);  // erase the line: the report or summary follows
    std::fflush(stderr);
  }
}

std::string progress_line::format(std::uint64_t executions, std::uint64_t distinct, double seconds,
                                  double budget_left_seconds) {
  char rate[32];
  const double per_second = seconds > 0 ? static_cast<double>(executions) / seconds : 0.0;
  if (per_second >= 1000) {
    std::snprintf(rate, sizeof rate, "%.1f k/s", per_second / 1000);
  } else {
    std::snprintf(rate, sizeof rate, "%.0f /s", per_second);
  }
  std::string line = "[weft] " + grouped(executions) + " executions · " + grouped(distinct) +
                     " distinct schedules · " + rate;
  if (budget_left_seconds >= 0) {
    line += " · " + std::to_string(static_cast<long long>(budget_left_seconds + 0.5)) +
            " s of budget left";
  }
  return line;
}

void progress_line::maybe_print() {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (now < next_print_) return;
  next_print_ = now + std::chrono::milliseconds(250);
  const double seconds = std::chrono::duration<double>(now - start_).count();
  const double left =
      budget_.count() > 0
          ? std::max(0.0, std::chrono::duration<double>(start_ + budget_ - now).count())
          : -1.0;
  const std::string line = format(executions_.load(std::memory_order_relaxed),
                                  distinct_.load(std::memory_order_relaxed), seconds, left);
  std::fprintf(stderr, "\r\033[K%s", line.c_str());
  std::fflush(stderr);
  printed_ = true;
}

}  // namespace weft::detail
