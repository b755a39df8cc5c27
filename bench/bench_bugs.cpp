// bench/bench_bugs.cpp — the bug benchmark (issue 5): how fast each strategy finds the GoBench
// "GoKer" kernels of tests/bugs/.
//
// For every kernel and every randomized strategy (random, pct, pos, portfolio) it explores the
// buggy twin once per seed (100 seeds by default), each time for at most 10,000 executions, and
// records whether the bug was found and after how many executions (report.iteration + 1). dfs is
// deterministic and runs once per kernel. It prints one Markdown table:
//
//   found       seeds (of N) whose exploration found a failure within the execution budget
//   median/p90  executions to the first failure over all N seeds; a seed that did not find the
//               bug counts as "more than the budget", so a median above the budget prints as ">B"
//   exec/s      executions per second of wall time over all of that row's runs (short runs: the
//               setup of an exploration, a fraction of a millisecond, weighs in)
//   fixed exec/s  executions per second of the fixed twin, which never fails: 1,000 executions
//               with the random strategy, the steady-state rate of the kernel
//   preempt     fewest preemptions the bug needs, from preemption-bounded dfs: 0 or 1 if dfs with
//               that bound finds it, "≥2" if dfs with bound 1 exhausted its space without finding
//               it, "?" if neither settled it within the budget
//
// Usage:
//   weft_bench_bugs [--seeds=N] [--iterations=N] [--kernels=a,b,...] [--strategies=random,pct,...]
//                   [--threads=N] [--no-preempt]
//   (also WEFT_BENCH_SEEDS, WEFT_BENCH_ITERATIONS, WEFT_BENCH_KERNELS, WEFT_BENCH_STRATEGIES,
//    WEFT_BENCH_THREADS; flags win). --kernels matches substrings of kernel names.
//
// Quick run: weft_bench_bugs --seeds=5 --kernels=cockroach,etcd
//
// The two targets of issue 5 are checked at the end: the default strategy (portfolio) finds every
// kernel in every seed within the budget; pct or pos needs fewer executions (median) than random
// on every kernel that needs two or more preemptions. Each exploration runs on one thread
// (options::jobs = 1); --threads runs that many explorations at once.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>
#include <weft/weft.hpp>

#include "../tests/bugs/kernel.hpp"

namespace {

using weft::bugs::kernel;

struct config {
  std::uint64_t seeds = 100;
  std::uint64_t iterations = 10'000;
  std::vector<std::string> kernels;  // substrings; empty = all
  std::vector<weft::strategy> strategies = {weft::strategy::random, weft::strategy::pct,
                                            weft::strategy::pos, weft::strategy::portfolio,
                                            weft::strategy::dfs};
  unsigned threads = 1;
  bool preempt = true;
};

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= s.size()) {
    std::size_t comma = s.find(',', start);
    if (comma == std::string::npos) comma = s.size();
    if (comma > start) out.push_back(s.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

[[noreturn]] void usage(const std::string& why) {
  std::fprintf(stderr,
               "weft_bench_bugs: %s\nusage: weft_bench_bugs [--seeds=N] [--iterations=N] "
               "[--kernels=a,b] [--strategies=random,pct,pos,portfolio,dfs] [--threads=N] "
               "[--no-preempt]\n",
               why.c_str());
  std::exit(2);
}

std::uint64_t number(const std::string& name, const std::string& v) {
  char* end = nullptr;
  unsigned long long n = std::strtoull(v.c_str(), &end, 10);
  if (v.empty() || *end != '\0' || n == 0) usage(name + "=" + v + ": expected a positive number");
  return n;
}

weft::strategy strategy_named(const std::string& s) {
  for (weft::strategy st : {weft::strategy::random, weft::strategy::pct, weft::strategy::pos,
                            weft::strategy::dfs, weft::strategy::portfolio}) {
    if (weft::to_string(st) == s) return st;
  }
  usage("unknown strategy \"" + s + "\"");
}

void apply(config& c, const std::string& key, const std::string& value) {
  if (key == "seeds") {
    c.seeds = number(key, value);
  } else if (key == "iterations") {
    c.iterations = number(key, value);
  } else if (key == "kernels") {
    c.kernels = split(value);
  } else if (key == "strategies") {
    c.strategies.clear();
    for (const std::string& s : split(value)) c.strategies.push_back(strategy_named(s));
  } else if (key == "threads") {
    c.threads = static_cast<unsigned>(number(key, value));
  } else {
    usage("unknown option --" + key);
  }
}

config parse(int argc, char** argv) {
  config c;
  for (const char* key : {"seeds", "iterations", "kernels", "strategies", "threads"}) {
    std::string var = "WEFT_BENCH_" + std::string(key);
    for (char& ch : var) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    if (const char* v = std::getenv(var.c_str()); v != nullptr && *v != '\0') apply(c, key, v);
  }
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--no-preempt") {
      c.preempt = false;
      continue;
    }
    if (a == "--help" || a == "-h") usage("help");
    if (a.rfind("--", 0) != 0 || a.find('=') == std::string::npos) usage("bad argument " + a);
    apply(c, a.substr(2, a.find('=') - 2), a.substr(a.find('=') + 1));
  }
  return c;
}

// One exploration of a buggy twin.
struct outcome {
  bool found = false;
  bool right_kind = false;     // found with the kind the kernel expects
  std::uint64_t to_first = 0;  // executions up to and including the first failure
  std::uint64_t executions = 0;
  double wall_seconds = 0;
  weft::failure_kind kind = weft::failure_kind::none;
};

outcome explore_once(const kernel& k, weft::strategy st, std::uint64_t seed,
                     std::uint64_t iterations, int preemption_bound = 2) {
  weft::options opts = weft::bugs::kernel_options(st);
  opts.seed = seed;
  opts.iterations = iterations;
  opts.preemption_bound = preemption_bound;
  const auto start = std::chrono::steady_clock::now();
  const weft::report r = weft::explore(opts, k.buggy);
  outcome o;
  o.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  o.found = !r.ok();
  o.kind = r.kind;
  o.right_kind = r.kind == k.expected;
  o.to_first = o.found ? r.iteration + 1 : 0;
  // Executions up to the failure: the engine may run more afterwards (shrinking), which is
  // not exploration and not counted in the rate either way.
  o.executions = r.executions;
  return o;
}

// Executions to the first failure at quantile q over all seeds, misses counted as infinite.
std::string quantile(std::vector<std::uint64_t> found_at, std::uint64_t seeds, double q,
                     std::uint64_t budget, std::optional<std::uint64_t>* value = nullptr) {
  std::sort(found_at.begin(), found_at.end());
  // Nearest-rank: the smallest value with at least q * seeds runs at or below it.
  std::uint64_t rank = static_cast<std::uint64_t>(q * static_cast<double>(seeds) + 0.999999);
  if (rank == 0) rank = 1;
  if (rank > found_at.size()) {
    if (value != nullptr) value->reset();
    return ">" + std::to_string(budget);
  }
  if (value != nullptr) *value = found_at[rank - 1];
  return std::to_string(found_at[rank - 1]);
}

std::string rate(std::uint64_t executions, double seconds) {
  if (seconds <= 0) return "-";
  double r = static_cast<double>(executions) / seconds;
  char buf[32];
  if (r >= 1e6) {
    std::snprintf(buf, sizeof buf, "%.2fM", r / 1e6);
  } else if (r >= 1e3) {
    std::snprintf(buf, sizeof buf, "%.0fk", r / 1e3);
  } else {
    std::snprintf(buf, sizeof buf, "%.0f", r);
  }
  return buf;
}

struct cell {
  std::uint64_t found = 0, wrong_kind = 0;
  std::map<std::string, std::uint64_t> other_kinds;  // kind -> seeds, when not the expected one
  std::vector<std::uint64_t> found_at;
  std::uint64_t executions = 0;
  double seconds = 0;
  std::optional<std::uint64_t> median;
};

}  // namespace

int main(int argc, char** argv) {
  const config cfg = parse(argc, argv);
  std::vector<const kernel*> kernels;
  for (const kernel& k : weft::bugs::registry()) {
    bool selected = cfg.kernels.empty();
    for (const std::string& sub : cfg.kernels)
      selected |= std::strstr(k.name, sub.c_str()) != nullptr;
    if (selected) kernels.push_back(&k);
  }
  if (kernels.empty()) usage("no kernel matches --kernels");
  std::vector<weft::strategy> randomized;
  bool with_dfs = false;
  for (weft::strategy st : cfg.strategies) {
    if (st == weft::strategy::dfs) {
      with_dfs = true;
    } else {
      randomized.push_back(st);
    }
  }

  // Every (kernel, strategy, seed) exploration is one job; --threads runs several at once.
  struct job {
    std::size_t kernel_index;
    std::size_t strategy_index;
    std::uint64_t seed;
  };
  std::vector<job> jobs;
  for (std::size_t ki = 0; ki < kernels.size(); ++ki) {
    for (std::size_t si = 0; si < randomized.size(); ++si) {
      for (std::uint64_t seed = 0; seed < cfg.seeds; ++seed) jobs.push_back({ki, si, seed});
    }
  }
  std::vector<std::vector<cell>> cells(kernels.size(), std::vector<cell>(randomized.size()));
  std::mutex cells_mutex;
  std::atomic<std::size_t> next{0};
  const auto start = std::chrono::steady_clock::now();
  std::atomic<std::size_t> done{0};
  auto worker = [&] {
    for (;;) {
      const std::size_t i = next.fetch_add(1);
      if (i >= jobs.size()) return;
      const job& j = jobs[i];
      const outcome o = explore_once(*kernels[j.kernel_index], randomized[j.strategy_index], j.seed,
                                     cfg.iterations);
      std::lock_guard lock(cells_mutex);
      cell& c = cells[j.kernel_index][j.strategy_index];
      c.executions += o.executions;
      c.seconds += o.wall_seconds;
      if (o.found) {
        ++c.found;
        c.found_at.push_back(o.to_first);
        if (!o.right_kind) {
          ++c.wrong_kind;
          ++c.other_kinds[std::string(weft::to_string(o.kind))];
        }
      }
      const std::size_t d = ++done;
      if (d % (cfg.seeds * randomized.size()) == 0) {
        std::fprintf(
            stderr, "  %zu/%zu kernels, %.0f s\n", d / (cfg.seeds * randomized.size()),
            kernels.size(),
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
      }
    }
  };
  {
    std::vector<std::thread> threads;
    for (unsigned t = 1; t < cfg.threads; ++t) threads.emplace_back(worker);
    worker();
    for (auto& t : threads) t.join();
  }

  // dfs: once per kernel with the default bound (2); and bounds 0 and 1 for the preemption
  // column.
  std::vector<outcome> dfs(kernels.size());
  std::vector<std::string> preempt(kernels.size(), "");
  for (std::size_t ki = 0; ki < kernels.size(); ++ki) {
    if (with_dfs) dfs[ki] = explore_once(*kernels[ki], weft::strategy::dfs, 0, cfg.iterations, 2);
    if (!cfg.preempt) continue;
    preempt[ki] = "?";
    for (int bound = 0; bound <= 1; ++bound) {
      weft::options opts = weft::bugs::kernel_options(weft::strategy::dfs);
      opts.iterations = cfg.iterations;
      opts.preemption_bound = bound;
      const weft::report r = weft::explore(opts, kernels[ki]->buggy);
      if (!r.ok()) {
        preempt[ki] = std::to_string(bound);
        break;
      }
      if (bound == 1) preempt[ki] = r.exhausted ? "≥2" : "?";
    }
  }
  // Steady-state throughput: the fixed twin never fails, so every run goes the whole way.
  std::vector<std::string> fixed_rate(kernels.size());
  for (std::size_t ki = 0; ki < kernels.size(); ++ki) {
    weft::options opts = weft::bugs::kernel_options(weft::strategy::random);
    opts.iterations = 1000;
    const weft::report r = weft::explore(opts, kernels[ki]->fixed);
    fixed_rate[ki] = rate(r.executions, r.wall_seconds) + (r.ok() ? "" : " (failed!)");
  }
  const double total_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  // The table.
  std::printf("| kernel | expected | preempt |");
  for (weft::strategy st : randomized) {
    const std::string n(weft::to_string(st));
    std::printf(" %s found | %s median | %s p90 | %s exec/s |", n.c_str(), n.c_str(), n.c_str(),
                n.c_str());
  }
  if (with_dfs) std::printf(" dfs (bound 2) | dfs exec/s |");
  std::printf(" fixed exec/s |");
  std::printf("\n|---|---|---|");
  for (std::size_t i = 0; i < randomized.size(); ++i) std::printf("---:|---:|---:|---:|");
  if (with_dfs) std::printf("---:|---:|");
  std::printf("---:|\n");

  std::vector<std::string> notes;
  std::vector<std::string> portfolio_misses, deep_misses, deep_checked;
  std::uint64_t wrong_kinds = 0;
  for (std::size_t ki = 0; ki < kernels.size(); ++ki) {
    const kernel& k = *kernels[ki];
    std::printf("| %s | %s | %s |", k.name, std::string(weft::to_string(k.expected)).c_str(),
                preempt[ki].c_str());
    std::optional<std::uint64_t> best_priority, random_median;
    bool have_random = false, have_priority = false;
    for (std::size_t si = 0; si < randomized.size(); ++si) {
      cell& c = cells[ki][si];
      std::optional<std::uint64_t> med;
      const std::string median = quantile(c.found_at, cfg.seeds, 0.5, cfg.iterations, &med);
      const std::string p90 = quantile(c.found_at, cfg.seeds, 0.9, cfg.iterations);
      std::printf(" %llu%% | %s | %s | %s |",
                  static_cast<unsigned long long>(c.found * 100 / cfg.seeds), median.c_str(),
                  p90.c_str(), rate(c.executions, c.seconds).c_str());
      wrong_kinds += c.wrong_kind;
      if (c.wrong_kind != 0) {
        std::string kinds;
        for (const auto& [kind, n] : c.other_kinds) {
          kinds += (kinds.empty() ? "" : ", ") + kind + " in " + std::to_string(n);
        }
        notes.push_back(std::string(k.name) + ": " + std::string(weft::to_string(randomized[si])) +
                        " reported another kind than " + std::string(weft::to_string(k.expected)) +
                        " (" + kinds + " of " + std::to_string(cfg.seeds) + " seeds)");
      }
      if (randomized[si] == weft::strategy::portfolio && c.found != cfg.seeds) {
        portfolio_misses.push_back(std::string(k.name) + " (" + std::to_string(c.found) + "/" +
                                   std::to_string(cfg.seeds) + ")");
      }
      if (randomized[si] == weft::strategy::random) {
        have_random = true;
        random_median = med;
      }
      if (randomized[si] == weft::strategy::pct || randomized[si] == weft::strategy::pos) {
        have_priority = true;
        if (med && (!best_priority || *med < *best_priority)) best_priority = med;
      }
    }
    if (with_dfs) {
      const outcome& o = dfs[ki];
      std::printf(" %s | %s |",
                  o.found ? std::to_string(o.to_first).c_str()
                          : (">" + std::to_string(cfg.iterations)).c_str(),
                  rate(o.executions, o.wall_seconds).c_str());
    }
    std::printf(" %s |\n", fixed_rate[ki].c_str());
    if (preempt[ki] == "≥2" && have_random && have_priority) {
      deep_checked.push_back(k.name);
      // Met when the better of pct/pos has a strictly smaller median (a miss median is infinite).
      const bool met = best_priority && (!random_median || *best_priority < *random_median);
      if (!met) deep_misses.push_back(k.name);
    }
  }

  std::printf("\n%zu kernels, %llu seeds, budget %llu executions per exploration, %.1f s total\n",
              kernels.size(), static_cast<unsigned long long>(cfg.seeds),
              static_cast<unsigned long long>(cfg.iterations), total_seconds);
  for (const std::string& n : notes) std::printf("note: %s\n", n.c_str());
  bool has_portfolio = std::find(randomized.begin(), randomized.end(), weft::strategy::portfolio) !=
                       randomized.end();
  if (has_portfolio) {
    if (portfolio_misses.empty()) {
      std::printf("target 1 (portfolio finds every kernel in 100%% of seeds): met\n");
    } else {
      std::printf("target 1 (portfolio finds every kernel in 100%% of seeds): NOT met:");
      for (const std::string& m : portfolio_misses) std::printf(" %s", m.c_str());
      std::printf("\n");
    }
  }
  if (!deep_checked.empty()) {
    std::printf(
        "target 2 (pct or pos median < random median on the %zu kernels needing >= 2 "
        "preemptions): %s",
        deep_checked.size(), deep_misses.empty() ? "met\n" : "NOT met:");
    for (const std::string& m : deep_misses) std::printf(" %s", m.c_str());
    if (!deep_misses.empty()) std::printf("\n");
  }
  return (portfolio_misses.empty() && deep_misses.empty() && wrong_kinds == 0) ? 0 : 1;
}
