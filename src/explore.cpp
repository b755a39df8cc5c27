// src/explore.cpp — the explore driver: runs executions, sharding and parallel jobs, replay, and
// turns an engine failure into a report.
//
// Determinism across jobs and shards: iteration i always runs with the strategy prepared for i
// (seeded from the master seed and i), whichever thread or process runs it, and the failure that
// is reported is the one with the lowest iteration index. With jobs > 1 a thread stops taking
// iterations above the lowest failure found so far but finishes every one below it, so the
// outcome equals that of a single job.
#include <algorithm>
#include <atomic>
#include <bit>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "engine.hpp"
#include "failure_files.hpp"
#include "progress.hpp"
#include "schedule.hpp"
#include "scheduler/guided.hpp"
#include "scheduler/replay.hpp"
#include "shrink.hpp"
#include "trace.hpp"
#include "weft/explore.hpp"

namespace weft {
namespace detail {
namespace {

/// The distinct schedule hashes (scope::schedule_hash) seen so far. Open addressing with linear
/// probing (Knuth, TAOCP vol. 3, 6.4, algorithm L) and Fibonacci hashing for the slot: an insert
/// per execution, nearly always of a hash already present, which a node-based unordered_set pays
/// with a division and a pointer chase. Only its size is reported, so its order never matters.
class schedule_set {
 public:
  /// Whether `key` was new.
  bool insert(std::uint64_t key) {
    if (key == 0) {  // 0 marks an empty slot: kept aside
      const bool fresh = !has_zero_;
      has_zero_ = true;
      return fresh;
    }
    if ((used_ + 1) * 2 > slots_.size()) grow();
    for (std::size_t i = slot_of(key);; i = (i + 1) & (slots_.size() - 1)) {
      if (slots_[i] == key) return false;
      if (slots_[i] == 0) {
        slots_[i] = key;
        ++used_;
        return true;
      }
    }
  }
  std::size_t size() const noexcept { return used_ + (has_zero_ ? 1 : 0); }
  void insert_all(const schedule_set& other) {
    if (other.has_zero_) insert(0);
    for (std::uint64_t k : other.slots_) {
      if (k != 0) insert(k);
    }
  }

 private:
  std::size_t slot_of(std::uint64_t key) const noexcept {
    return static_cast<std::size_t>((key * 0x9e3779b97f4a7c15ULL) >> shift_);
  }
  void grow() {
    std::vector<std::uint64_t> old(slots_.empty() ? 512 : slots_.size() * 2, 0);
    old.swap(slots_);
    shift_ = 64 - static_cast<unsigned>(std::countr_zero(slots_.size()));
    used_ = 0;
    for (std::uint64_t k : old) {
      if (k != 0) insert(k);
    }
  }

  std::vector<std::uint64_t> slots_;  // a power of two in size, at most half used
  unsigned shift_ = 64;
  std::size_t used_ = 0;
  bool has_zero_ = false;
};

recorded_schedule record_of(const scope& s, const options& opts, bool minimal = false) {
  recorded_schedule r;
  r.minimal = minimal;
  r.choices.assign(s.choices().begin(), s.choices().end());
  r.steps = s.steps();
  r.test_hash = test_name_hash(opts.test_name);
  r.time_policy = opts.time_policy;
  r.max_steps = opts.max_steps;
  r.max_live_tasks = opts.max_live_tasks;
  r.progress_steps = opts.progress_steps;
  return r;
}

std::string shell_quote(const std::string& s) {
  bool plain = !s.empty();
  for (char c : s) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '/' || c == '.' || c == '_' ||
          c == '-' || c == '=' || c == ':' || c == ',' || c == '+')) {
      plain = false;
    }
  }
  if (plain) return s;
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

/// The failure message: identical whenever the same schedule runs (no counts, times, seeds).
std::string build_message(const scope& s, const std::string& token, const options& opts,
                          bool minimal) {
  const failure_record& f = s.failure();
  std::string msg = "weft: " + std::string(to_string(f.kind)) + " — " + f.headline + "\n";
  msg += f.evidence;
  msg += s.describe_schedule_tail();
  msg += "  this schedule: " + std::to_string(s.preemptions()) +
         (s.preemptions() == 1 ? " preemption, " : " preemptions, ") + std::to_string(s.steps()) +
         " scheduling points";
  if (minimal && s.preemptions() > 0) {
    msg += "; the bug needs " + std::to_string(s.preemptions()) +
           (s.preemptions() == 1 ? " preemption" : " preemptions") +
           " (a bounded exhaustive search found no schedule with fewer that fails this way)";
  }
  msg += "\n";
  msg += "  replay: WEFT_REPLAY=" + token + " " + current_command();
  if (!opts.replay_args.empty()) msg += " " + opts.replay_args;
  msg += "\n";
  return msg;
}

/// The message of a run that found nothing: a proof when the strategy exhausted its space.
std::string summary_line(const report& r, const options& opts) {
  if (r.exhausted) {
    const std::string bound = opts.preemption_bound < 0
                                  ? std::string("no preemption bound")
                                  : "preemption bound " + std::to_string(opts.preemption_bound);
    return "weft: verified: all " + std::to_string(r.executions) + " schedules within the bound (" +
           std::string(to_string(opts.strategy)) + ", " + bound + ")\n";
  }
  return "weft: no bug found in " + std::to_string(r.executions) + " executions (" +
         std::to_string(r.distinct_schedules) + " distinct schedules)\n";
}

struct found_failure {
  std::uint64_t iteration = 0;
  report rep;
  // What shrinking needs of the failing execution.
  std::vector<choice> choices;
  failure_record failure;
  std::uint64_t preemptions = 0;
};

/// The report of the execution `s` just ran.
report failure_report(const scope& s, const options& opts, bool minimal = false) {
  report r;
  r.kind = s.failure().kind;
  r.replay = encode_token(record_of(s, opts, minimal));
  r.message = build_message(s, r.replay, opts, minimal);
  r.preemptions = s.preemptions();
  r.failing_steps = s.steps();
  return r;
}

/// Replaces `f`'s report by that of the shortest schedule shrinking finds (WEFT_SHRINK_BUDGET).
void shrink_failure(found_failure& f, const options& opts, const std::function<void()>& body) {
  if (opts.shrink_budget == 0 || !shrinkable(f.rep.kind)) return;
  const shrink_outcome out = shrink_schedule(opts, body, f.choices, f.failure, f.preemptions,
                                             f.rep.failing_steps, opts.shrink_budget);
  f.rep.shrink_replays = out.replays;
  f.rep.unshrunk_preemptions = f.preemptions;
  f.rep.unshrunk_steps = f.rep.failing_steps;
  if (!out.improved && !out.minimal) return;
  guided_strategy strat(out.guide);
  scope engine(opts, strat);
  strat.begin_execution(0);
  engine.run_execution(body);
  // A program that depends on something weft does not control may not fail again: keep the
  // schedule as found (its replay reports the nondeterminism).
  if (engine.failure().kind != f.rep.kind || engine.failure().place != f.failure.place) return;
  report shrunk = failure_report(engine, opts, out.minimal);
  f.rep.replay = std::move(shrunk.replay);
  f.rep.message = std::move(shrunk.message);
  f.rep.preemptions = shrunk.preemptions;
  f.rep.failing_steps = shrunk.failing_steps;
}

void validate(const options& opts) {
  if (opts.jobs == 0) throw usage_error("weft::options::jobs must be at least 1");
  if (opts.total_shards == 0) throw usage_error("weft::options::total_shards must be at least 1");
  if (opts.shard_index >= opts.total_shards) {
    throw usage_error("weft::options::shard_index (" + std::to_string(opts.shard_index) +
                      ") must be below total_shards (" + std::to_string(opts.total_shards) + ")");
  }
  if (opts.max_steps == 0) throw usage_error("weft::options::max_steps must be at least 1");
  if (opts.max_live_tasks == 0) {
    throw usage_error("weft::options::max_live_tasks must be at least 1");
  }
  if (opts.pct_depth < 1) throw usage_error("weft::options::pct_depth must be at least 1");
  if (opts.preemption_bound < -1) {
    throw usage_error(
        "weft::options::preemption_bound must be -1 (unbounded) or a number of preemptions");
  }
}

/// Writes a timeline; a path that cannot be written is reported on stderr, never thrown over
/// the failure being reported.
void write_trace(const std::string& path, const trace_recorder& timeline) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << timeline.json();
  out.close();
  if (!out) {
    std::fprintf(stderr, "weft: WEFT_TRACE: could not write the trace to %s\n", path.c_str());
  }
}

report replay_once(options opts, const std::function<void()>& body) {
  const recorded_schedule rec =
      load_replay(opts, "the replay token (WEFT_REPLAY)", "the replay line it came from");
  replay_strategy strat(rec.choices);
  crash_guard crash_files(opts);  // WEFT_FAILURE_DIR: a crash still leaves a replay file
  scope engine(opts, strat);
  engine.set_replay(&strat);
  trace_recorder timeline;
  if (!opts.trace_path.empty()) engine.set_trace(&timeline);
  report r = run_single_execution(engine, strat, body, opts);
  if (!opts.trace_path.empty()) write_trace(opts.trace_path, timeline);
  failure_kind kind = engine.failure().kind;
  std::string divergence;
  if (kind == failure_kind::none || strat.diverged()) {
    if (strat.diverged()) {
      divergence = strat.divergence();
    } else if (!strat.complete()) {
      divergence = "the execution ended after " + std::to_string(strat.position()) + " of the " +
                   std::to_string(rec.choices.size()) + " recorded choices";
    } else if (engine.steps() != rec.steps) {
      divergence = "the execution took " + std::to_string(engine.steps()) +
                   " scheduling points; the recorded one took " + std::to_string(rec.steps);
    }
  }
  if (!divergence.empty() && !strat.diverged()) {
    // Diverged without a failure: the recorded run failed (tokens come from failures) or ran
    // differently; either way the program is not repeating itself.
    r.kind = failure_kind::nondeterminism;
    r.message = "weft: nondeterminism — the replayed schedule diverged\n  " + divergence +
                "\n  the program does not behave the same way under the same schedule: it "
                "depends on something weft does not control (real time, real randomness, "
                "addresses, unordered containers, global state kept between executions)\n";
    r.replay = opts.replay;
    return r;
  }
  if (kind != failure_kind::none) {
    report f = failure_report(engine, opts, rec.minimal);
    r.kind = kind;
    r.replay = std::move(f.replay);
    r.message = std::move(f.message);
    r.preemptions = f.preemptions;
    r.failing_steps = f.failing_steps;
  }
  return r;
}

/// WEFT_TRACE: replays `token` once more; replay_once records the timeline and writes it.
void trace_schedule(options opts, const std::function<void()>& body, std::string token) {
  opts.replay = std::move(token);
  (void)replay_once(std::move(opts), body);
}

}  // namespace

bool report_user_failure(failure_kind kind, const std::string& headline,
                         const std::string& evidence) {
  scope* s = current_scope();
  if (s == nullptr) return false;
  std::string where;
  if (task* t = s->running()) {
    where = "  in task \"" + s->task_label(t->id) + "\"\n";
  }
  s->report_failure(kind, headline, where + evidence);
  return true;
}

std::string current_command() {
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  std::string argv0;
  std::getline(in, argv0, '\0');
  if (argv0.empty()) return "<your test binary>";
  return shell_quote(argv0);
}

}  // namespace detail

report explore(const options& opts_in, std::function<void()> body) {
  using namespace detail;
  if (current_scope() != nullptr) {
    throw usage_error(
        "weft::explore/run/check: called inside a deterministic scope; scopes do not nest");
  }
  if (!body) throw usage_error("weft::explore: the body is empty");
  validate(opts_in);
  if (!opts_in.replay.empty()) {
    return opts_in.replay_crash_prefix ? replay_crash_prefix(opts_in, body)
                                       : replay_once(opts_in, body);
  }

  options opts = opts_in;
  // dfs walks one tree whose next schedule depends on every earlier one: it cannot be split into
  // independent iterations. It runs on one job, and when sharded, shard 0 runs the whole search
  // and the other shards nothing (so a sharded CI matrix stays correct).
  const bool sequential = opts.strategy == weft::strategy::dfs;
  if (sequential) {
    opts.jobs = 1;
    if (opts.shard_index != 0) opts.iterations = 0;
    opts.total_shards = 1;
    opts.shard_index = 0;
  }
  const auto start = std::chrono::steady_clock::now();
  const bool budgeted = opts.time_budget.count() > 0;
  const auto deadline = start + opts.time_budget;

  std::mutex result_mutex;  // guards everything below, shared by the jobs
  std::optional<found_failure> lowest;
  std::uint64_t executions = 0;
  std::uint64_t steps = 0;
  bool exhausted = false;
  schedule_set schedules;
  std::atomic<std::uint64_t> next_slot{0};  // k-th iteration of this shard
  std::atomic<std::uint64_t> lowest_iteration{~std::uint64_t{0}};
  std::optional<recorded_schedule> last;  // WEFT_TRACE_ALL: the last execution's schedule
  std::uint64_t last_iteration = 0;
  const std::uint64_t per_shard = opts.iterations / opts.total_shards +
                                  (opts.shard_index < opts.iterations % opts.total_shards ? 1 : 0);

  progress_line progress(opts.progress, start, opts.time_budget);
  std::atomic<bool> printer_taken{false};  // the first worker prints the progress line

  auto worker = [&] {
    const bool printer = !printer_taken.exchange(true);
    crash_guard crash_files(opts);  // WEFT_FAILURE_DIR: a crash still leaves a replay file
    std::unique_ptr<detail::strategy> strat = make_strategy(opts);
    scope engine(opts, *strat);
    std::uint64_t my_execs = 0, my_steps = 0, my_last_iteration = 0;
    schedule_set my_schedules;  // merged into `schedules` at the end
    bool my_exhausted = false;
    std::uint64_t solo_slot = 0;  // one job: no other thread takes slots (no atomic per execution)
    for (;;) {
      if (budgeted && std::chrono::steady_clock::now() >= deadline) break;
      const std::uint64_t slot = opts.jobs <= 1 ? solo_slot++ : next_slot.fetch_add(1);
      if (slot >= per_shard) break;
      const std::uint64_t iteration = slot * opts.total_shards + opts.shard_index;
      if (iteration > lowest_iteration.load()) break;
      if (!strat->begin_execution(iteration)) {
        my_exhausted = true;
        break;
      }
      engine.run_execution(body);
      strat->end_execution();
      ++my_execs;
      my_last_iteration = iteration;
      my_steps += engine.steps();
      const bool fresh = my_schedules.insert(engine.schedule_hash());
      if (progress.active()) {
        progress.count(fresh);
        if (printer) progress.maybe_print();
      }
      if (engine.failure().kind != failure_kind::none) {
        found_failure f;
        f.iteration = iteration;
        f.rep = failure_report(engine, opts);
        f.rep.iteration = iteration;
        f.choices.assign(engine.choices().begin(), engine.choices().end());
        f.failure = engine.failure();
        f.preemptions = engine.preemptions();
        std::lock_guard lock(result_mutex);
        if (!lowest || iteration < lowest->iteration) {
          lowest = std::move(f);
          lowest_iteration.store(iteration);
        }
        break;
      }
    }
    if (strat->exhausted()) my_exhausted = true;
    std::lock_guard lock(result_mutex);
    if (opts.trace_all && my_execs > 0 && (!last || last_iteration < my_last_iteration)) {
      last = record_of(engine, opts);
      last_iteration = my_last_iteration;
    }
    executions += my_execs;
    steps += my_steps;
    schedules.insert_all(my_schedules);
    exhausted = exhausted || my_exhausted;
  };

  if (opts.jobs <= 1) {
    worker();
  } else {
    std::vector<std::thread> threads;
    for (unsigned j = 0; j < opts.jobs; ++j) threads.emplace_back(worker);
    for (auto& t : threads) t.join();
  }

  report r;
  if (lowest) {
    shrink_failure(*lowest, opts, body);
    r = std::move(lowest->rep);
  }
  r.seed = opts.seed;
  r.executions = executions;
  r.steps = steps;
  r.distinct_schedules = schedules.size();
  r.exhausted = exhausted && !lowest;
  r.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (r.ok()) r.message = summary_line(r, opts);
  if (!opts.trace_path.empty()) {
    if (!r.ok()) {
      trace_schedule(opts, body, r.replay);
    } else if (opts.trace_all && last) {
      trace_schedule(opts, body, encode_token(*last));
    }
  }
  save_failure(opts, r);  // WEFT_FAILURE_DIR: one replay file per distinct failure
  return r;
}

report run(std::function<void()> body) {
  options opts;
  opts.iterations = 1;
  return explore(opts, std::move(body));
}

void check(const options& opts, std::function<void()> body) {
  report r = explore(opts, std::move(body));
  if (!r.ok()) throw failure(std::move(r));
}

}  // namespace weft
