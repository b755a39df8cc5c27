// src/failure_files.hpp — replay files (WEFT_FAILURE_DIR): one file per distinct failure, written
// before the process can crash, and read back by WEFT_REPLAY=<path>.
//
// A replay file is plain text, one "key: value" per line, then the report indented under
// "report:". The keys a reader needs are `token:` (the schedule) and `prefix:` ("yes" when the
// token is the schedule up to a crash rather than a whole execution):
//
// clang-format off
//   # weft replay file: replay with  WEFT_REPLAY=<this file> <command>
//   weft-replay-file: 1
//   weft: 0.1.0
//   test: Pool.Shutdown
//   kind: deadlock
//   prefix: no
//   options: strategy=random seed=0 iterations=1000 ...
//   replay: WEFT_REPLAY=/corpus/Pool.Shutdown-deadlock-1a2b3c4d5e6f.weft ./my_tests --gtest_filter=Pool.Shutdown
//   token: w1.AQAAAA...
//   report:
//     weft: deadlock — ...
// clang-format on
//
// File names are "<test name>-<kind>-<12 hex digits of a hash of the token>.weft" (the test name
// reduced to [A-Za-z0-9._-]), so the same failure found again maps to the same name and is not
// written twice, and a file is never overwritten: it is written under a temporary name and then
// hard-linked into place, which fails if the name exists.
//
// Crashes: while an execution runs under a crash_guard, SIGABRT, SIGSEGV, SIGBUS, SIGFPE and
// SIGILL (and a sanitizer's death callback) write a file of kind "crash" holding the choices the
// execution has made so far, then hand the signal to whatever handled it before (or the default
// action). The crash happens between two scheduling points, so replaying those choices reaches it
// again; should the program no longer crash, the replay goes on past the recorded choices with a
// fixed round-robin policy instead of reporting a divergence. The handler only uses
// async-signal-safe calls (no allocation): the token is encoded into memory mapped for it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "weft/options.hpp"

namespace weft::detail {

struct choice;             // scheduler/strategy.hpp
struct recorded_schedule;  // schedule.hpp

/// While alive, a crash of an execution on this thread leaves a replay file in
/// opts.failure_dir (nothing happens when it is empty). Install one per exploring thread, around
/// the executions. Nesting and several threads are fine; the signal handlers are process-wide
/// and installed while at least one guard lives.
class crash_guard {
 public:
  explicit crash_guard(const options& opts);
  ~crash_guard();
  crash_guard(const crash_guard&) = delete;
  crash_guard& operator=(const crash_guard&) = delete;

  /// What the signal handler needs, prepared while allocating is still safe (failure_files.cpp).
  struct context;

 private:
  context* context_ = nullptr;   // owned; null when disabled
  context* previous_ = nullptr;  // this thread's enclosing guard's context
};

/// Writes the replay file of report `r` (a failure) into opts.failure_dir, creating the
/// directory if needed. Returns the path of the new file, or "" when failure_dir is empty, `r`
/// found nothing, or the same failure is already there. An I/O error is reported on stderr,
/// never thrown: it must not hide the failure itself.
std::string save_failure(const options& opts, const report& r);

/// What WEFT_REPLAY=<path> found in a replay file.
struct replay_file {
  std::string token;
  bool crash_prefix = false;  ///< the token is the schedule up to a crash
};

/// Reads a replay file (or a file holding just a token). Throws weft::usage_error naming the
/// file and what is wrong when it cannot be read, has no token, or the token is malformed.
replay_file read_replay_file(const std::string& path);

/// Replays options::replay as the prefix of a crashing execution (options::replay_crash_prefix):
/// runs the recorded choices, then continues round-robin. If the crash reproduces, the process
/// dies as it did; otherwise the report says what happened instead (kind none: the crash is gone).
report replay_crash_prefix(const options& opts, const std::function<void()>& body);

/// The file name stem for a test name: characters outside [A-Za-z0-9._-] become '_'.
std::string sanitize_file_name(const std::string& name);

/// The async-signal-safe token encoder of the crash handler: the token of `header` (every field
/// but its `choices`) with choices[0, count). Writes it (no terminator) into `out`, which must
/// hold token_raw_capacity(count) bytes (scratch included); returns its length, or 0 if `out` is
/// too small. Produces exactly what encode_token (schedule.cpp) produces.
std::size_t token_raw_capacity(std::size_t count) noexcept;
std::size_t encode_token_raw(const recorded_schedule& header, const choice* choices,
                             std::size_t count, char* out, std::size_t capacity) noexcept;

/// For tests: `token` re-encoded by encode_token_raw with only its first `keep` choices (all of
/// them when `keep` is larger), i.e. what a crash after the keep-th choice would record.
std::string crash_token(const std::string& token, std::size_t keep);

}  // namespace weft::detail
