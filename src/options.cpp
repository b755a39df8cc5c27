// src/options.cpp — names of enums and options::from_env.
//
// Every WEFT_* variable is parsed strictly: a malformed value is a weft::usage_error naming the
// variable, quoting the value and listing what is accepted, never a silent default.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <thread>

#include "failure_files.hpp"
#include "schedule.hpp"
#include "weft/options.hpp"

extern char** environ;

namespace weft {

std::string_view to_string(weft::strategy s) noexcept {
  switch (s) {
    case strategy::random:
      return "random";
    case strategy::pct:
      return "pct";
    case strategy::pos:
      return "pos";
    case strategy::dfs:
      return "dfs";
    case strategy::portfolio:
      return "portfolio";
  }
  return "?";
}

std::string_view to_string(weft::time_policy p) noexcept {
  return p == time_policy::explored ? "explored" : "idle_only";
}

std::string_view to_string(failure_kind k) noexcept {
  switch (k) {
    case failure_kind::none:
      return "none";
    case failure_kind::deadlock:
      return "deadlock";
    case failure_kind::leak:
      return "leak";
    case failure_kind::data_race:
      return "data_race";
    case failure_kind::uncaught_exception:
      return "uncaught_exception";
    case failure_kind::panic:
      return "panic";
    case failure_kind::assertion:
      return "assertion";
    case failure_kind::step_limit:
      return "step_limit";
    case failure_kind::livelock:
      return "livelock";
    case failure_kind::too_many_tasks:
      return "too_many_tasks";
    case failure_kind::nondeterminism:
      return "nondeterminism";
  }
  return "?";
}

namespace {

[[noreturn]] void bad_env(const char* name, const std::string& value, const std::string& accepted) {
  throw usage_error(std::string("weft: ") + name + "=\"" + value + "\" is not valid: expected " +
                    accepted);
}

const char* env(const char* name) {
  const char* v = std::getenv(name);
  return (v != nullptr && *v != '\0') ? v : nullptr;
}

std::uint64_t parse_u64(const char* name, const std::string& v, std::uint64_t min,
                        const std::string& accepted) {
  if (v.empty() || v[0] == '-' || v[0] == '+' || v[0] == ' ') bad_env(name, v, accepted);
  std::size_t used = 0;
  unsigned long long n = 0;
  try {
    n = std::stoull(v, &used, 0);  // decimal, or 0x... hex
  } catch (const std::exception&) {
    bad_env(name, v, accepted);
  }
  if (used != v.size() || n < min) bad_env(name, v, accepted);
  return n;
}

std::chrono::milliseconds parse_duration(const char* name, const std::string& v) {
  const std::string accepted =
      "a duration such as 500ms, 30s, 10m or 2h (a bare number is seconds)";
  std::size_t i = 0;
  while (i < v.size() && std::isdigit(static_cast<unsigned char>(v[i]))) ++i;
  if (i == 0) bad_env(name, v, accepted);
  std::uint64_t n = parse_u64(name, v.substr(0, i), 0, accepted);
  std::string unit = v.substr(i);
  if (unit.empty() || unit == "s") return std::chrono::seconds(n);
  if (unit == "ms") return std::chrono::milliseconds(n);
  if (unit == "m" || unit == "min") return std::chrono::minutes(n);
  if (unit == "h") return std::chrono::hours(n);
  bad_env(name, v, accepted);
}

std::size_t parse_size(const char* name, const std::string& v) {
  const std::string accepted = "a byte count such as 65536, 64k or 1m (at least 16k)";
  std::size_t i = 0;
  while (i < v.size() && std::isdigit(static_cast<unsigned char>(v[i]))) ++i;
  if (i == 0) bad_env(name, v, accepted);
  std::uint64_t n = parse_u64(name, v.substr(0, i), 0, accepted);
  std::string unit = v.substr(i);
  if (unit == "k" || unit == "K")
    n *= 1024;
  else if (unit == "m" || unit == "M")
    n *= 1024 * 1024;
  else if (!unit.empty())
    bad_env(name, v, accepted);
  if (n < 16 * 1024) bad_env(name, v, accepted);
  return n;
}

// The variables weft reads; anything else starting with WEFT_ is probably a typo.
constexpr const char* known_variables[] = {
    "WEFT_STRATEGY",
    "WEFT_SEED",
    "WEFT_ITERATIONS",
    "WEFT_TIME_BUDGET",
    "WEFT_MAX_STEPS",
    "WEFT_PCT_DEPTH",
    "WEFT_PREEMPTION_BOUND",
    "WEFT_REPLAY",
    "WEFT_MAX_LIVE_TASKS",
    "WEFT_JOBS",
    "WEFT_TIME_POLICY",
    "WEFT_TOTAL_SHARDS",
    "WEFT_SHARD_INDEX",
    "WEFT_STACK_SIZE",
    "WEFT_GUARD_PAGES",
    "WEFT_UNFAIR_STEPS",
    "WEFT_FAILURE_DIR",
    "WEFT_TRACE",
    "WEFT_TRACE_ALL",
    "WEFT_SHRINK_BUDGET",
    "WEFT_PROGRESS_STEPS",
    "WEFT_REPLAY_PREFIX",
    "WEFT_QUIET",
    "WEFT_RACE_DETECTION",
    "WEFT_UPDATE_GOLDEN",  // weft's own test suite: rewrite tests/golden/ (report_golden_test)
};

void warn_unknown_variables() {
  static bool warned = false;
  if (warned) return;
  warned = true;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view entry(*e);
    if (entry.substr(0, 5) != "WEFT_") continue;
    std::string_view name = entry.substr(0, entry.find('='));
    bool known = false;
    for (const char* k : known_variables) known = known || name == k;
    if (!known) {
      std::fprintf(stderr, "weft: warning: unknown environment variable %.*s is ignored\n",
                   static_cast<int>(name.size()), name.data());
    }
  }
}

}  // namespace

options options::from_env() { return from_env(options{}); }

options options::from_env(options o) {
  warn_unknown_variables();
  if (const char* v = env("WEFT_STRATEGY")) {
    std::string s = v;
    if (s == "random")
      o.strategy = strategy::random;
    else if (s == "pct")
      o.strategy = strategy::pct;
    else if (s == "pos")
      o.strategy = strategy::pos;
    else if (s == "dfs")
      o.strategy = strategy::dfs;
    else if (s == "portfolio")
      o.strategy = strategy::portfolio;
    else
      bad_env("WEFT_STRATEGY", s, "one of random, pct, pos, dfs, portfolio");
  }
  if (const char* v = env("WEFT_SEED")) {
    std::string s = v;
    if (s == "random") {
      std::random_device rd;
      o.seed = (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
      o.seed_from_env_random = true;
      std::fprintf(stderr, "weft: WEFT_SEED=random chose seed %llu (WEFT_SEED=%llu repeats it)\n",
                   static_cast<unsigned long long>(o.seed),
                   static_cast<unsigned long long>(o.seed));
    } else {
      o.seed = parse_u64("WEFT_SEED", s, 0, "a number (decimal or 0x hex) or \"random\"");
    }
  }
  if (const char* v = env("WEFT_ITERATIONS")) {
    o.iterations = parse_u64("WEFT_ITERATIONS", v, 1, "a positive number of executions");
  }
  if (const char* v = env("WEFT_TIME_BUDGET"))
    o.time_budget = parse_duration("WEFT_TIME_BUDGET", v);
  if (const char* v = env("WEFT_MAX_STEPS")) {
    o.max_steps = parse_u64("WEFT_MAX_STEPS", v, 1, "a positive number of scheduling points");
  }
  if (const char* v = env("WEFT_PCT_DEPTH")) {
    std::uint64_t n = parse_u64("WEFT_PCT_DEPTH", v, 1, "a bug depth from 1 to 64");
    if (n > 64) bad_env("WEFT_PCT_DEPTH", v, "a bug depth from 1 to 64");
    o.pct_depth = static_cast<int>(n);
  }
  if (const char* v = env("WEFT_PREEMPTION_BOUND")) {
    const std::string s = v;
    const std::string accepted = "a number of preemptions (0 to 1000), or -1 / unbounded";
    if (s == "-1" || s == "unbounded") {
      o.preemption_bound = -1;
    } else {
      std::uint64_t n = parse_u64("WEFT_PREEMPTION_BOUND", s, 0, accepted);
      if (n > 1000) bad_env("WEFT_PREEMPTION_BOUND", s, accepted);
      o.preemption_bound = static_cast<int>(n);
    }
  }
  if (const char* v = env("WEFT_REPLAY")) {
    std::string s = v;
    struct stat st {};
    const bool is_file = ::stat(s.c_str(), &st) == 0 && S_ISREG(st.st_mode);
    if (is_file || s.find('/') != std::string::npos ||
        (s.size() > 5 && s.compare(s.size() - 5, 5, ".weft") == 0)) {
      // A replay file (WEFT_FAILURE_DIR), or a file holding just a token.
      detail::replay_file f = detail::read_replay_file(s);
      s = f.token;
      o.replay_crash_prefix = f.crash_prefix;
    }
    detail::decode_token(s);  // validates now, with a clear message
    o.replay = s;
  }
  if (const char* v = env("WEFT_FAILURE_DIR")) o.failure_dir = v;
  if (const char* v = env("WEFT_REPLAY_PREFIX")) {
    std::string s = v;
    if (s == "1" || s == "on" || s == "true")
      o.replay_crash_prefix = true;
    else if (s == "0" || s == "off" || s == "false")
      o.replay_crash_prefix = false;
    else
      bad_env("WEFT_REPLAY_PREFIX", s, "1 or 0");
  }
  if (const char* v = env("WEFT_MAX_LIVE_TASKS")) {
    o.max_live_tasks = parse_u64("WEFT_MAX_LIVE_TASKS", v, 1, "a positive number of tasks");
  }
  if (const char* v = env("WEFT_JOBS")) {
    std::string s = v;
    if (s == "auto") {
      o.jobs = std::max(1u, std::thread::hardware_concurrency());
    } else {
      std::uint64_t n = parse_u64("WEFT_JOBS", s, 1, "a number of threads from 1 to 1024, or auto");
      if (n > 1024) bad_env("WEFT_JOBS", s, "a number of threads from 1 to 1024, or auto");
      o.jobs = static_cast<unsigned>(n);
    }
  }
  if (const char* v = env("WEFT_TIME_POLICY")) {
    std::string s = v;
    if (s == "explored")
      o.time_policy = time_policy::explored;
    else if (s == "idle_only")
      o.time_policy = time_policy::idle_only;
    else
      bad_env("WEFT_TIME_POLICY", s, "explored or idle_only");
  }
  const char* total = env("WEFT_TOTAL_SHARDS");
  const char* index = env("WEFT_SHARD_INDEX");
  if ((total == nullptr) != (index == nullptr)) {
    throw usage_error(
        "weft: WEFT_TOTAL_SHARDS and WEFT_SHARD_INDEX must be set together (e.g. "
        "WEFT_TOTAL_SHARDS=4 WEFT_SHARD_INDEX=0..3)");
  }
  if (total != nullptr) {
    o.total_shards = parse_u64("WEFT_TOTAL_SHARDS", total, 1, "a positive number of shards");
    o.shard_index =
        parse_u64("WEFT_SHARD_INDEX", index, 0, "a shard index from 0 to WEFT_TOTAL_SHARDS - 1");
    if (o.shard_index >= o.total_shards) {
      bad_env("WEFT_SHARD_INDEX", index,
              "a shard index from 0 to " + std::to_string(o.total_shards - 1) +
                  " (WEFT_TOTAL_SHARDS=" + std::string(total) + ")");
    }
  }
  if (const char* v = env("WEFT_STACK_SIZE")) o.stack_size = parse_size("WEFT_STACK_SIZE", v);
  if (const char* v = env("WEFT_SHRINK_BUDGET")) {
    o.shrink_budget = parse_u64("WEFT_SHRINK_BUDGET", v, 0,
                                "a number of executions to spend shrinking a failing schedule "
                                "(0 = off)");
  }
  if (const char* v = env("WEFT_PROGRESS_STEPS")) {
    o.progress_steps = parse_u64("WEFT_PROGRESS_STEPS", v, 0,
                                 "a number of scheduling points without progress before a "
                                 "livelock is reported (0 = off)");
  }
  if (const char* v = env("WEFT_UNFAIR_STEPS")) {
    o.unfair_steps = parse_u64("WEFT_UNFAIR_STEPS", v, 0,
                               "a number of scheduling decisions before fair scheduling (0 = "
                               "fair from the start)");
  }
  if (const char* v = env("WEFT_QUIET")) {
    const std::string s = v;
    if (s == "1") {
      o.progress = false;
    } else if (s == "0") {
      o.progress = true;
    } else {
      bad_env("WEFT_QUIET", s, "1 (no progress line) or 0");
    }
  }
  if (const char* v = env("WEFT_TRACE")) {
    if (*v == '\0') bad_env("WEFT_TRACE", v, "the path of a .json file to write");
    o.trace_path = v;
  }
  if (const char* v = env("WEFT_TRACE_ALL")) {
    const std::string s = v;
    if (s == "1") {
      o.trace_all = true;
    } else if (s == "0") {
      o.trace_all = false;
    } else {
      bad_env("WEFT_TRACE_ALL", s, "1 or 0");
    }
  }
  if (const char* v = env("WEFT_GUARD_PAGES")) {
    std::string s = v;
    if (s == "1" || s == "on" || s == "true")
      o.guard_pages = true;
    else if (s == "0" || s == "off" || s == "false")
      o.guard_pages = false;
    else
      bad_env("WEFT_GUARD_PAGES", s, "1 or 0");
  }
  if (const char* v = env("WEFT_RACE_DETECTION")) {
    std::string s = v;
    if (s == "1" || s == "on" || s == "true")
      o.detect_races = true;
    else if (s == "0" || s == "off" || s == "false")
      o.detect_races = false;
    else
      bad_env("WEFT_RACE_DETECTION", s, "1 or 0");
  }
  return o;
}

}  // namespace weft
