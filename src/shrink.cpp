// src/shrink.cpp — schedule shrinking.
//
// A failing schedule found by a random walk is long and full of context switches that have
// nothing to do with the bug. Bugs need few preemptions (Musuvathi & Qadeer, "Iterative Context
// Bounding for Systematic Testing of Multithreaded Programs", PLDI 2007: most need at most two),
// so the shortest explanation is the schedule with the fewest preemptions that still fails. The
// search edits the failing schedule's choice sequence, the way test-case reducers edit inputs
// (Zeller & Hildebrandt's delta debugging, TSE 2002), and replays each edit through
// guided_strategy, which fills every edited or missing choice with "let the running task go on":
//   1. truncation: binary search for the shortest prefix of choices that, followed by
//      non-preemptive scheduling, still fails;
//   2. removal: chunks of the remaining choices, halving the chunk size, are removed (with the
//      choices naming tasks, not indices, the later switches still pick the same tasks);
//   3. delaying: each switch becomes "once the running task blocks or ends" (a preemption turns
//      into a plain switch), then single choices are replaced by the non-preemptive default.
// Each step keeps every edit after which the run still fails.
// An edit is kept when the run fails with the same kind at the same place and is no worse in
// (preemptions, steps), compared lexicographically. Every run is an ordinary deterministic
// execution, so the result is the same whenever the same failing schedule is shrunk.
#include "shrink.hpp"

#include "scheduler/dfs.hpp"

#include <algorithm>
#include <memory>

namespace weft::detail {

bool shrinkable(failure_kind k) noexcept {
  switch (k) {
    case failure_kind::deadlock:
    case failure_kind::leak:
    case failure_kind::data_race:
    case failure_kind::uncaught_exception:
    case failure_kind::panic:
    case failure_kind::assertion:
      return true;
    default:
      return false;
  }
}

shrink_outcome shrink_schedule(const options& opts, const std::function<void()>& body,
                               const std::vector<choice>& failing, const failure_record& target,
                               std::uint64_t preemptions, std::uint64_t steps,
                               std::uint64_t budget) {
  shrink_outcome best;
  best.preemptions = preemptions;
  best.steps = steps;

  guided_strategy strat({});
  scope engine(opts, strat);
  auto run = [&](const std::vector<guide_entry>& guide) {
    ++best.replays;
    strat = guided_strategy(guide);
    strat.begin_execution(0);
    engine.run_execution(body);
    strat.end_execution();
    const failure_record& f = engine.failure();
    return f.kind == target.kind && f.place == target.place;
  };
  // Runs `guide`; keeps it if it fails the same way and is no worse.
  auto attempt = [&](std::vector<guide_entry> guide) {
    if (best.replays >= budget || !run(guide)) return false;
    const auto cost = std::make_pair(engine.preemptions(), engine.steps());
    if (cost > std::make_pair(best.preemptions, best.steps)) return false;
    best.preemptions = cost.first;
    best.steps = cost.second;
    best.guide = std::move(guide);
    best.improved = true;
    return true;
  };

  // 0. Name the tasks: replay the failing schedule by index and keep the task ids it picked, so
  // that edits which shift later choices still pick the same tasks.
  {
    std::vector<guide_entry> by_index;
    by_index.reserve(failing.size());
    for (const choice& c : failing) by_index.push_back({guide_entry::kind::index, c.index});
    if (budget == 0 || !run(by_index)) return best;  // cannot happen: the run is deterministic
    best.guide = strat.taken();
  }

  // 1. Truncation. Invariant: the prefix of length `hi` fails (the whole schedule does).
  std::size_t lo = 0, hi = best.guide.size();
  while (lo < hi && best.replays < budget) {
    const std::size_t mid = lo + (hi - lo) / 2;
    if (attempt(std::vector<guide_entry>(best.guide.begin(),
                                         best.guide.begin() + static_cast<std::ptrdiff_t>(mid)))) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }

  // 2. Removing chunks of what is left, halving the chunk size: with the tasks named, removing a
  // choice lets the running task go on there and moves every later switch one decision earlier;
  // then defaulting single choices.
  for (std::size_t chunk = std::max<std::size_t>(best.guide.size() / 2, 1);
       best.replays < budget && !best.guide.empty(); chunk /= 2) {
    for (std::size_t start = 0; start < best.guide.size() && best.replays < budget;) {
      const std::size_t end = std::min(best.guide.size(), start + chunk);
      std::vector<guide_entry> edited = best.guide;
      edited.erase(edited.begin() + static_cast<std::ptrdiff_t>(start),
                   edited.begin() + static_cast<std::ptrdiff_t>(end));
      if (!attempt(std::move(edited))) start += chunk;  // else: the same start, new content
    }
    if (chunk == 1) break;
  }
  // 3. Delaying each switch until the running task blocks or ends (a preemption made a plain
  // switch), then defaulting single choices.
  for (std::size_t k = 0; k < best.guide.size() && best.replays < budget; ++k) {
    if (best.guide[k].what != guide_entry::kind::task) continue;
    std::vector<guide_entry> edited = best.guide;
    edited[k].what = guide_entry::kind::task_when_free;
    attempt(std::move(edited));
  }
  for (std::size_t k = 0; k < best.guide.size() && best.replays < budget; ++k) {
    if (best.guide[k].what == guide_entry::kind::by_default) continue;
    std::vector<guide_entry> edited = best.guide;
    edited[k] = guide_entry{};
    attempt(std::move(edited));
  }

  // 4. A bounded exhaustive search (dfs) for a schedule with fewer preemptions than the best so
  // far, bound 0 first: edits of one schedule cannot move a switch to another task, a search
  // can. When a bound's search ends without finding the failure, fewer preemptions than the
  // next bound do not produce it; when every bound below the best is searched that way, the
  // best is the minimum. The search runs without partial-order reduction: reduction and
  // preemption bounding do not compose (Coons, Musuvathi, McKinley, OOPSLA 2013; dfs.hpp), and
  // a reduced bounded search can miss a schedule within the bound, which would make the claim
  // of minimality false. Unreduced, it runs every schedule within the bound (dfs counts no more
  // preemptions than the engine does, so every schedule with fewer engine preemptions is among
  // them), or runs out of budget and claims nothing.
  bool searched_below = true;  // every bound below the current one was searched to its end
  for (std::uint64_t bound = 0; bound < best.preemptions; ++bound) {
    options o = opts;
    o.strategy = weft::strategy::dfs;
    o.preemption_bound = static_cast<int>(bound);
    auto search = std::make_unique<dfs_strategy>(o.preemption_bound, o.unfair_steps,
                                                 /*reduce=*/false);
    scope searcher(o, *search);
    bool found = false;
    for (std::uint64_t i = 0; best.replays < budget; ++i) {
      if (!search->begin_execution(i)) break;
      ++best.replays;
      searcher.run_execution(body);
      search->end_execution();
      const failure_record& f = searcher.failure();
      if (f.kind != target.kind || f.place != target.place) continue;
      const auto cost = std::make_pair(searcher.preemptions(), searcher.steps());
      if (cost >= std::make_pair(best.preemptions, best.steps)) continue;
      best.guide.clear();
      for (const choice& c : searcher.choices()) {
        best.guide.push_back({guide_entry::kind::index, c.index});
      }
      best.preemptions = cost.first;
      best.steps = cost.second;
      best.improved = true;
      // dfs lets some switches go free that the engine counts (away from a task whose lock would
      // block), so a schedule within this bound can cost the engine more. Only one that costs no
      // more than the bound ends this bound's search: the bounds below found nothing that
      // cheap, so it is the minimum. A costlier one is kept as the best so far, and the search
      // goes on.
      if (cost.first <= bound) {
        found = true;
        break;
      }
    }
    if (found) break;
    // Out of budget, or some executions ran their tails round-robin (fairness): not searched to
    // its end.
    if (!search->exhausted() || search->fair_fallbacks() != 0) {
      searched_below = false;
      break;
    }
  }
  best.minimal = searched_below;
  return best;
}

}  // namespace weft::detail
