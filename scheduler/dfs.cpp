// scheduler/dfs.cpp — depth-first search with source-DPOR and sleep sets; see dfs.hpp.
//
// The model. An execution is a sequence of *events*: at every scheduling point one candidate runs
// its pending operation (then its local code up to its next scheduling point). Happens-before
// (hb) is the transitive closure of program order, of the edge from the event that woke or
// created a task to that task's next event, and of the order of dependent events. Each event
// gets a vector clock (one entry per task, plus one for the clock pseudo-task); clocks make
// "a hb b" an O(1) test.
//
// Races. After an execution, every event k is compared, newest first, with the earlier events it
// depends on; an earlier event j that is not already ordered before k through the events seen so
// far is in a *race* with k. For each race whose first event was chosen at a decision, we compute
// the initials of v = notdep(j).k — the tasks whose first event after j, not ordered after j, has
// no hb-predecessor after j — and if none of them is already in the source set (backtrack) of
// that decision, add one (source-DPOR, Abdulla et al. POPL 2014, Algorithm 1, with races found
// on the whole execution at its end instead of step by step: the same races).
//
// Blocking, modelled as Go programs observe it. Which events parked is known after the fact:
// the task vanished from the candidates right after the event and reappeared later.
// - mutex: a lock that parks (Lp) and its completion after the hand-off (R) behave like a lock
//   that waited until the unlock and then acquired (L). So Lp is independent of everything but
//   other Lp on the same mutex (their order is the FIFO order of the hand-off); unlock → lock is
//   not a race to reverse (the lock could not have gone first), and instead every acquisition
//   races with the previous acquisition of the same mutex, ignoring the unlock in between — the
//   reversal runs the second critical section first. try_lock is an ordinary operation.
// - wait_group: decrements (D: add with a negative delta, e.g. done, leaving the counter >= 0)
//   commute with each other. From counter c, two decrements d1, d2 with c + d1 + d2 >= 0 never
//   pass through zero before the second (c + d1 > c + d1 + d2 >= 0), so in either order nothing
//   wakes before the second, the counter ends at the same value, and the waiters woken at zero
//   (if any) wake with the same state. Which of them is "the last" is not observable. A
//   decrement that takes the counter below zero panics and ends the execution: it is an
//   ordinary add. Whether an add was a decrement that stayed >= 0 is known only after it ran;
//   the engine reports it (strategy::wait_group_changed), and a sleeping done is kept asleep
//   across another done until then.
// - wait_group: a wait that parks (P) and its completion (Rw) behave like a wait after the
//   counter reached zero; P depends only on the add that released it, and that race is reversed
//   only if the wait group is used again afterwards (only then can the waiting moment matter);
//   add → wait is not reversed (the add that let the wait pass brought the counter to zero, so
//   before it the wait would have parked: the same behaviour).
// When the parking of an event is not known exactly, it is an ordinary operation on its object
// (dependent with every non-read-only access, every race reversed): less reduction, still sound.
//
// Unseen steps (engines that do not call strategy::forced). A scheduling point with one runnable
// task is not reported to the strategy. The strategy detects such gaps from decision_point::step
// (each point increments it; firing the clock does not) and from a task vanishing when nothing
// else could run (a silent idle timer firing). Every operation inside a gap is ordered after an
// *anchor* that is known: after two candidates p, q the gap starts with q's pending operation
// (recorded as an event), otherwise with the last event itself. Soundness then needs: (1) every
// earlier decision whose event is not ordered before the anchor may race with the gap, so the
// initials of notdep(j).anchor are all added there; (2) hb across a gap is under-approximated
// (events in the gap are missing), which can only make more pairs look like races and make more
// tasks look like initials, so for races spanning a gap all computed initials are added rather
// than one. The sleep set and the mutex model are reset at a gap.
#include "dfs.hpp"

#include "footprint.hpp"

#include <algorithm>

namespace weft::detail {
namespace {

// Two wait_group::done calls on one group commute unless the first leaves the counter at zero
// (the second would take it below); known only once the one that runs has run.
bool dones_may_commute(op_kind sleeping, std::uint32_t object, const candidate& ran) noexcept {
  return sleeping == op_kind::wg_done && ran.op == op_kind::wg_done && object == ran.object &&
         object != 0;
}

// Event classes of the race analysis (see the file comment).
enum class cls : std::uint8_t {
  local,
  global,
  time,
  generic,
  lock,          // L: mutex::lock that acquired at once
  lock_parked,   // Lp
  lock_resumed,  // R
  unlock,        // U
  try_lock,      // T
  wg_add,        // A: an add, or a decrement that took the counter below zero
  wg_dec,        // D: a decrement that left the counter >= 0
  wg_wait,       // W: passed at once
  wg_parked,     // P
  wg_resumed,    // Rw
};

bool is_mutex_core(cls c) noexcept {
  return c == cls::lock || c == cls::lock_resumed || c == cls::unlock || c == cls::try_lock;
}

struct relation {
  bool dependent;
  bool reversible;
};

// Two events on the same object, j before k.
relation relate(cls j, op_kind oj, cls k, op_kind ok) noexcept {
  if (j == cls::generic || k == cls::generic) {
    const bool dep = !(op_is_read_only(oj) && op_is_read_only(ok));
    return {dep, dep};
  }
  switch (k) {
    case cls::lock:
    case cls::lock_resumed:
      return {is_mutex_core(j), j == cls::try_lock};
    case cls::unlock:
    case cls::try_lock:
      return {is_mutex_core(j), is_mutex_core(j)};
    case cls::lock_parked:
      return {j == cls::lock_parked, j == cls::lock_parked};
    case cls::wg_add:
      return {j == cls::wg_add || j == cls::wg_dec || j == cls::wg_wait,
              j == cls::wg_add || j == cls::wg_dec || j == cls::wg_wait};
    case cls::wg_dec:  // two D commute (see the file comment)
      return {j == cls::wg_add || j == cls::wg_wait, j == cls::wg_add || j == cls::wg_wait};
    case cls::wg_wait:
      return {j == cls::wg_add || j == cls::wg_dec, false};
    default:
      return {false, false};
  }
}

// Whether j, once joined into k's clock, orders every earlier access of the object that k
// depends on before k (so the scan of the object's log can stop).
bool covers(cls j, op_kind oj, cls k) noexcept {
  if (j == cls::generic) return !op_is_read_only(oj);
  switch (k) {
    case cls::lock:
    case cls::lock_resumed:
    case cls::unlock:
    case cls::try_lock:
      return is_mutex_core(j);
    case cls::lock_parked:
      return j == cls::lock_parked;
    case cls::wg_add:
    case cls::wg_dec:
    case cls::wg_wait:
      return j == cls::wg_add;  // not a D: the D before it need not be ordered before it
    default:
      return false;
  }
}

constexpr std::uint64_t max_clock_entries = std::uint64_t{1} << 26;

std::uint32_t actor_of(task_id t) noexcept { return t == time_task ? 0 : t + 1; }
task_id task_of(std::uint32_t actor) noexcept { return actor == 0 ? time_task : actor - 1; }

template <class T>
bool contains(const std::vector<T>& v, const T& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

bool contains_task(std::span<const candidate> cs, task_id t) {
  for (const candidate& c : cs) {
    if (c.task == t) return true;
  }
  return false;
}

}  // namespace

dfs_strategy::dfs_strategy(int preemption_bound, std::uint64_t unfair_steps, bool reduce)
    : bound_(preemption_bound < 0 ? -1 : preemption_bound),
      unfair_steps_(unfair_steps),
      reduce_(reduce) {}

// --- the search ------------------------------------------------------------------------------

bool dfs_strategy::begin_execution(std::uint64_t) {
  if (!started_) {
    started_ = true;
  } else if (!exhausted_) {
    // Branch at the deepest decision that has an alternative left.
    bool found = false;
    for (std::size_t j = path_.size(); j-- > 0 && !found;) {
      node& n = path_[j];
      if (!n.is_pick) {
        if (n.value + 1 < n.n) {
          ++n.value;
          found = true;
        }
      } else {
        for (task_id q : n.backtrack) {
          if (!contains(n.explored, q) && !asleep(n, q) && within_bound(n, q)) {
            n.chosen = q;
            n.explored.push_back(q);
            found = true;
            break;
          }
        }
      }
      if (found) path_.resize(j + 1);
    }
    if (!found) {
      exhausted_ = true;
      path_.clear();
    }
  }
  if (exhausted_) return false;
  cursor_ = 0;
  events_.clear();
  wildcards_.clear();
  tasks_.clear();
  locks_.clear();
  switched_in_.clear();
  sleep_.clear();
  outcome_pending_ = false;
  prev_candidates_.clear();
  have_position_ = false;
  forced_reported_ = false;
  last_step_ = 0;
  last_executor_ = no_task;
  preemptions_ = 0;
  decisions_ = 0;
  off_path_ = false;
  rr_last_ = no_task;
  limit_ = ~std::size_t{0};
  return true;
}

std::size_t dfs_strategy::pick(const decision_point& d) {
  ++decisions_;
  if (!off_path_ && decisions_ > unfair_steps_) {
    off_path_ = true;
    limit_ = events_.size();
    ++fair_fallbacks_;
    path_.resize(cursor_);  // nothing below this point is explored
  }
  if (off_path_) return round_robin(d);
  observe(d);

  std::size_t index = d.candidates.size();
  if (cursor_ < path_.size()) {
    node& n = path_[cursor_];
    const bool same = n.is_pick && n.candidates.size() == d.candidates.size() &&
                      std::equal(n.candidates.begin(), n.candidates.end(), d.candidates.begin(),
                                 [](const candidate& a, const candidate& b) {
                                   return a.task == b.task && a.op == b.op && a.object == b.object;
                                 });
    if (same) {
      for (std::size_t i = 0; i < d.candidates.size(); ++i) {
        if (d.candidates[i].task == n.chosen) index = i;
      }
      sleep_ = n.sleep;
    } else {
      ++nondeterministic_;
      path_.resize(cursor_);
    }
  }
  if (index == d.candidates.size()) {
    index = decide_new(d);
    if (off_path_) return index;  // sleep-blocked
  }

  node& n = path_[cursor_];
  const candidate& ran = d.candidates[index];
  // Sleep set of the child (Godefroid): what was asleep here, and the siblings explored before
  // this one, stay asleep while their next operations commute with what runs.
  std::vector<sleeper>& next = next_sleep_;  // reused: no allocation per decision
  next.clear();
  auto keep = [&](task_id t, op_kind op, std::uint32_t obj) {
    if (t == ran.task) return;
    if (!may_conflict(t, op, obj, ran.task, ran.op, ran.object)) {
      next.push_back({t, op, obj});
    } else if (dones_may_commute(op, obj, ran)) {
      next.push_back({t, op, obj, true});
      outcome_pending_ = true;
    }
  };
  for (const sleeper& s : n.sleep) keep(s.task, s.op, s.object);
  for (std::size_t e = 0; e + 1 < n.explored.size(); ++e) {
    for (const candidate& c : n.candidates) {
      if (c.task == n.explored[e]) keep(c.task, c.op, c.object);
    }
  }
  if (reduce_ && bound_ < 0) sleep_.swap(next);
  if (is_preemption(n, ran.task)) ++preemptions_;
  if (ran.task != n.running && ran.task != time_task) {
    if (switched_in_.size() <= ran.task) switched_in_.resize(ran.task + std::size_t{1}, -1);
    switched_in_[ran.task] = static_cast<std::int32_t>(cursor_);
  }
  record(ran, static_cast<std::int32_t>(cursor_));
  ++cursor_;
  return index;
}

std::size_t dfs_strategy::decide_new(const decision_point& d) {
  node n;
  n.is_pick = true;
  n.candidates.assign(d.candidates.begin(), d.candidates.end());
  n.running = d.running;
  n.preemptions = preemptions_;
  if (d.running < switched_in_.size()) n.switched_in = switched_in_[d.running];
  for (const candidate& c : d.candidates) {
    if (c.task == d.running) n.free_switch = c.op == op_kind::yield || predicted_blocked(c);
  }
  for (const sleeper& s : sleep_) {
    if (contains_task(d.candidates, s.task)) n.sleep.push_back(s);
  }
  auto available = [&](const candidate& c) {
    return !asleep(n, c.task) && within_bound(n, c.task);
  };
  // The default branch: keep running the running task (no preemption) unless it yields or is
  // about to block on a held mutex; otherwise the next task after it in id order.
  std::size_t choice = d.candidates.size();
  for (std::size_t i = 0; i < d.candidates.size(); ++i) {
    const candidate& c = d.candidates[i];
    if (c.task == d.running && available(c) && c.op != op_kind::yield && !predicted_blocked(c)) {
      choice = i;
    }
  }
  const std::size_t size = d.candidates.size();
  std::size_t start = 0;  // first candidate after the running task, in id order
  while (start < size && d.candidates[start].task <= d.running) ++start;
  for (int pass = 0; pass < 2 && choice == size; ++pass) {
    for (std::size_t k = 0; k < size && choice == size; ++k) {
      const candidate& c = d.candidates[(start + k) % size];
      if (!available(c)) continue;
      if (pass == 0 && (c.task == time_task || predicted_blocked(c))) continue;
      choice = (start + k) % size;
    }
  }
  if (choice == size) {
    // Every candidate is asleep: each continuation from here repeats an explored one.
    ++sleep_blocked_;
    off_path_ = true;
    limit_ = events_.size();
    return round_robin(d);
  }
  n.chosen = d.candidates[choice].task;
  n.backtrack.push_back(n.chosen);
  n.explored.push_back(n.chosen);
  if (bound_ >= 0 && reduce_ && (n.free_switch || !has_candidate(n, n.running))) {
    // Bounded search: where switching is free, every candidate is tried. Races found later can
    // only be reversed within the bound if the orders chosen at free switches are all there
    // (the non-preemptive schedules are exactly the b = 0 space).
    for (const candidate& c : d.candidates) {
      if (!contains(n.backtrack, c.task)) n.backtrack.push_back(c.task);
    }
  }
  path_.push_back(std::move(n));
  return choice;
}

std::size_t dfs_strategy::round_robin(const decision_point& d) {
  // Off the path (fair or redundant): keep the running task unless it yields, else rotate.
  for (std::size_t i = 0; i < d.candidates.size(); ++i) {
    const candidate& c = d.candidates[i];
    if (c.task == d.running && c.op != op_kind::yield && decisions_ <= unfair_steps_) return i;
  }
  std::size_t index = 0;
  for (std::size_t i = 0; i < d.candidates.size(); ++i) {
    if (d.candidates[i].task > rr_last_ || rr_last_ == no_task) {
      index = i;
      break;
    }
  }
  rr_last_ = d.candidates[index].task;
  return index;
}

std::uint64_t dfs_strategy::choose(std::uint64_t n) {
  if (off_path_) return 0;
  if (cursor_ < path_.size()) {
    node& nd = path_[cursor_];
    if (!nd.is_pick && nd.n == n) {
      ++cursor_;
      return nd.value;
    }
    ++nondeterministic_;
    path_.resize(cursor_);
  }
  node nd;
  nd.is_pick = false;
  nd.n = n;
  nd.value = 0;
  path_.push_back(std::move(nd));
  ++cursor_;
  return 0;
}

void dfs_strategy::forced(const decision_point& d) {
  if (off_path_ || d.candidates.size() != 1) return;
  observe(d);
  const candidate& c = d.candidates[0];
  record(c, -1);
  filter_sleep(c);
}

void dfs_strategy::wait_group_changed(std::int64_t delta, std::int64_t counter) {
  // The running task's operation is the last event recorded (every step is reported to dfs).
  if (off_path_ || events_.empty()) return;
  event& e = events_.back();
  if (e.op != op_kind::wg_add && e.op != op_kind::wg_done) return;
  e.decrement = delta < 0 && counter >= 0;
  // A sleeping done on the same group commutes with this one if neither order takes the counter
  // below zero: after both it is counter - 1.
  const bool commutes = e.op == op_kind::wg_done && counter >= 1;
  if (!outcome_pending_) return;
  outcome_pending_ = false;
  std::erase_if(sleep_, [&](sleeper& s) {
    if (!s.awaiting_outcome) return false;
    s.awaiting_outcome = false;
    return !commutes;
  });
}

void dfs_strategy::end_execution() {
  if (!started_ || exhausted_) return;
  // Without forced steps, whatever ran after the last decision was not seen either. After a
  // decision among three or more tasks another decision must follow, so there is nothing unseen.
  if (have_position_ && !forced_reported_ && !off_path_) {
    std::size_t real = 0;
    for (const candidate& c : prev_candidates_) real += c.task != time_task ? 1 : 0;
    if (last_executor_ == time_task || real <= 2) on_gap();
  }
  analyze();
}

bool dfs_strategy::is_preemption(const node& n, task_id q) const {
  // Firing the clock early (while tasks could run) counts as one: it interrupts the natural
  // order in which time moves only when everyone waits, and without a cost a loop that sleeps
  // would offer the search an endless supply of free rounds.
  if (q == time_task) return true;
  return q != n.running && n.running != no_task && !n.free_switch && has_candidate(n, n.running);
}

bool dfs_strategy::within_bound(const node& n, task_id q) const {
  return bound_ < 0 ||
         n.preemptions + (is_preemption(n, q) ? 1u : 0u) <= static_cast<std::uint32_t>(bound_);
}

bool dfs_strategy::has_candidate(const node& n, task_id q) {
  return contains_task(n.candidates, q);
}

bool dfs_strategy::asleep(const node& n, task_id q) {
  for (const sleeper& s : n.sleep) {
    if (s.task == q) return true;
  }
  return false;
}

// --- recording ---------------------------------------------------------------------------------

dfs_strategy::task_info& dfs_strategy::info(task_id t) {
  if (tasks_.size() <= t) tasks_.resize(static_cast<std::size_t>(t) + 1);
  return tasks_[t];
}

bool dfs_strategy::predicted_blocked(const candidate& c) {
  if (c.op != op_kind::mutex_lock || c.task == time_task || c.object >= locks_.size()) return false;
  if (info(c.task).resuming) return false;  // woken by the hand-off: it holds the mutex
  return locks_[c.object].holder != no_task;
}

void dfs_strategy::observe(const decision_point& d) {
  forced_reported_ = forced_reported_ || d.forced_reported;
  // A done whose outcome was never reported: it did not commute.
  if (outcome_pending_) {
    outcome_pending_ = false;
    std::erase_if(sleep_, [](const sleeper& s) { return s.awaiting_outcome; });
  }
  bool gap = false;
  if (have_position_) {
    const std::uint64_t expected = last_executor_ == time_task ? last_step_ : last_step_ + 1;
    if (d.step != expected) {
      gap = true;
    } else if (!d.forced_reported && last_executor_ != time_task &&
               !contains_task(d.candidates, last_executor_)) {
      // The task that ran is gone. If nothing else was runnable, the engine may have fired a
      // timer without asking (idle time), which we did not see.
      std::size_t others = 0;
      for (const candidate& c : prev_candidates_) {
        others += (c.task != time_task && c.task != last_executor_) ? 1 : 0;
      }
      gap = others == 0;
    }
  }
  if (gap) on_gap();
  const auto anchor = static_cast<std::int32_t>(events_.size()) - 1;
  for (const candidate& c : d.candidates) {
    if (c.task == time_task) continue;
    task_info& ti = info(c.task);
    const candidate* before = nullptr;
    for (const candidate& p : prev_candidates_) {
      if (p.task == c.task) before = &p;
    }
    if (gap) {
      // It may have run in the gap: ordered after the anchor, and what it does next is unknown.
      if (before == nullptr || before->op != c.op || before->object != c.object) {
        ti.pending_edge = anchor;
        ti.uncertain_next = true;
        ti.resuming = false;
      }
      ti.vanished_at = -1;
    } else if (before == nullptr && have_position_) {
      // Woken or created by the event that just ran.
      if (ti.vanished_at >= 0) {
        events_[static_cast<std::size_t>(ti.vanished_at)].parked = true;
        ti.resuming = true;
        ti.vanished_at = -1;
      }
      ti.pending_edge = anchor;
    }
  }
  if (!gap && have_position_ && last_executor_ != time_task &&
      !contains_task(d.candidates, last_executor_)) {
    info(last_executor_).vanished_at = static_cast<std::int32_t>(events_.size()) - 1;
  }
  prev_candidates_.assign(d.candidates.begin(), d.candidates.end());
  have_position_ = true;
  last_step_ = d.step;
}

void dfs_strategy::on_gap() {
  ++hidden_gaps_;
  std::int32_t anchor = static_cast<std::int32_t>(events_.size()) - 1;
  if (anchor >= 0) events_.back().certain = false;  // whether its task parked is unknown now
  // The first unseen operation, when it is known: after p ran with exactly one other candidate
  // q, q ran next alone; after the clock fired with one task runnable, that task ran.
  const candidate* first = nullptr;
  std::size_t real = 0;
  for (const candidate& c : prev_candidates_) real += c.task != time_task ? 1 : 0;
  if (last_executor_ == time_task && real == 1) {
    for (const candidate& c : prev_candidates_) {
      if (c.task != time_task) first = &c;
    }
  } else if (last_executor_ != time_task && real == 2) {
    for (const candidate& c : prev_candidates_) {
      if (c.task != last_executor_) first = &c;
    }
  }
  for (task_info& ti : tasks_) {
    if (ti.vanished_at >= 0) events_[static_cast<std::size_t>(ti.vanished_at)].certain = false;
    ti.vanished_at = -1;
    if (ti.resuming) ti.uncertain_next = true;  // it may have completed its operation unseen
    ti.resuming = false;
  }
  if (first != nullptr) {
    const candidate c = *first;
    record(c, -1);
    events_.back().certain = false;
    anchor = static_cast<std::int32_t>(events_.size()) - 1;
  }
  wildcards_.push_back({events_.size(), anchor});
  sleep_.clear();
  outcome_pending_ = false;
  locks_.clear();
}

void dfs_strategy::record(const candidate& c, std::int32_t node) {
  event e{c.task, c.op, c.object, node};
  if (c.task != time_task) {
    task_info& ti = info(c.task);
    e.edge = ti.pending_edge;
    e.resumed = ti.resuming;
    e.certain = !ti.uncertain_next;
    ti.pending_edge = -1;
    ti.resuming = false;
    ti.uncertain_next = false;
    // The mutex model (exact when every step is seen; reset at gaps).
    if (c.op == op_kind::mutex_lock || c.op == op_kind::mutex_unlock ||
        c.op == op_kind::mutex_try_lock) {
      if (locks_.size() <= c.object) locks_.resize(static_cast<std::size_t>(c.object) + 1);
      lock_info& l = locks_[c.object];
      if (c.op == op_kind::mutex_lock) {
        if (e.resumed) {
          l.holder = c.task;
        } else if (l.holder == no_task) {
          l.holder = c.task;
        } else {
          ++l.waiting;
        }
      } else if (c.op == op_kind::mutex_try_lock) {
        if (l.holder == no_task) l.holder = c.task;
      } else if (l.waiting > 0) {
        --l.waiting;
        l.holder = time_task;  // handed to a waiter (which one is not needed)
      } else {
        l.holder = no_task;
      }
    }
  }
  events_.push_back(e);
  last_executor_ = c.task;
}

void dfs_strategy::filter_sleep(const candidate& ran) {
  std::erase_if(sleep_, [&](sleeper& s) {
    if (s.task == ran.task) return true;
    if (!may_conflict(s.task, s.op, s.object, ran.task, ran.op, ran.object)) return false;
    if (!dones_may_commute(s.op, s.object, ran)) return true;
    s.awaiting_outcome = true;
    outcome_pending_ = true;
    return false;
  });
}

// --- race analysis -----------------------------------------------------------------------------

void dfs_strategy::analyze() {
  const std::size_t m = std::min(limit_, events_.size());
  if (m == 0) return;
  std::uint32_t actors = 1;
  for (std::size_t k = 0; k < m; ++k) actors = std::max(actors, actor_of(events_[k].task) + 1);
  if (!reduce_ || static_cast<std::uint64_t>(m) * actors > max_clock_entries ||
      static_cast<std::uint64_t>(m) * wildcards_.size() > max_clock_entries) {
    // Too long to analyze: explore every alternative of every decision (sound, no reduction).
    for (std::size_t k = 0; k < m; ++k) {
      if (events_[k].node < 0) continue;
      for (const candidate& c : path_[static_cast<std::size_t>(events_[k].node)].candidates) {
        add_task(static_cast<std::size_t>(events_[k].node), c.task);
      }
    }
    return;
  }
  const std::size_t width = actors;
  std::vector<std::uint32_t> clocks(m * width, 0);
  std::vector<std::uint32_t> local(m, 0);                    // 1-based index of k among its actor's
  std::vector<std::vector<std::uint32_t>> by_actor(actors);  // event indices per actor
  std::vector<std::int32_t> previous(m, -1);                 // the same actor's previous event
  for (std::size_t k = 0; k < m; ++k) {
    auto& list = by_actor[actor_of(events_[k].task)];
    if (!list.empty()) previous[k] = static_cast<std::int32_t>(list.back());
    list.push_back(static_cast<std::uint32_t>(k));
    local[k] = static_cast<std::uint32_t>(list.size());
  }

  // Classes.
  std::vector<cls> kind(m, cls::generic);
  for (std::size_t k = 0; k < m; ++k) {
    const event& e = events_[k];
    const footprint f = footprint_of(e.task, e.op, e.object);
    if (e.task == time_task) {
      kind[k] = cls::time;
    } else if (f == footprint::local) {
      kind[k] = cls::local;
    } else if (f == footprint::global) {
      kind[k] = cls::global;
    } else if (e.op == op_kind::mutex_unlock) {
      kind[k] = cls::unlock;
    } else if (e.op == op_kind::mutex_try_lock) {
      kind[k] = cls::try_lock;
    } else if (e.op == op_kind::wg_add || e.op == op_kind::wg_done) {
      kind[k] = e.decrement ? cls::wg_dec : cls::wg_add;
    } else if ((e.op == op_kind::mutex_lock || e.op == op_kind::wg_wait) && e.certain &&
               !e.parked && !e.resumed) {
      kind[k] = e.op == op_kind::mutex_lock ? cls::lock : cls::wg_wait;
    }
  }
  // Parked / resumed pairs, and which parked waits each add released.
  std::vector<std::vector<std::uint32_t>> released(m);
  for (std::size_t k = 0; k < m; ++k) {
    const event& e = events_[k];
    if (!e.resumed || !e.certain || previous[k] < 0 || e.edge < 0) continue;
    const auto p = static_cast<std::size_t>(previous[k]);
    const event& pe = events_[p];
    const event& waker = events_[static_cast<std::size_t>(e.edge)];
    if (!pe.parked || !pe.certain || pe.op != e.op || pe.object != e.object ||
        waker.object != e.object) {
      continue;
    }
    if (e.op == op_kind::mutex_lock && waker.op == op_kind::mutex_unlock) {
      kind[p] = cls::lock_parked;
      kind[k] = cls::lock_resumed;
    } else if (e.op == op_kind::wg_wait &&
               (waker.op == op_kind::wg_add || waker.op == op_kind::wg_done)) {
      kind[p] = cls::wg_parked;
      kind[k] = cls::wg_resumed;
      released[static_cast<std::size_t>(e.edge)].push_back(static_cast<std::uint32_t>(p));
    }
  }
  // For P: the last add or passing wait on each wait group (is the group used again?).
  std::vector<std::int64_t> last_use;
  for (std::size_t k = 0; k < m; ++k) {
    if (kind[k] == cls::wg_add || kind[k] == cls::wg_dec || kind[k] == cls::wg_wait) {
      const std::uint32_t o = events_[k].object;
      if (last_use.size() <= o) last_use.resize(static_cast<std::size_t>(o) + 1, -1);
      last_use[o] = static_cast<std::int64_t>(k);
    }
  }
  // Gaps between events: spans(j, k) is true when a wildcard lies between them.
  std::vector<std::uint32_t> gaps_before(m + 1, 0);
  for (const wildcard& w : wildcards_) {
    if (w.before <= m) ++gaps_before[w.before];
  }
  for (std::size_t k = 1; k <= m; ++k) gaps_before[k] += gaps_before[k - 1];

  auto clock = [&](std::size_t k) { return clocks.data() + k * width; };
  auto covered = [&](const std::uint32_t* c, std::size_t j) {
    return c[actor_of(events_[j].task)] >= local[j];
  };
  auto join = [&](std::uint32_t* into, const std::uint32_t* from) {
    for (std::size_t a = 0; a < width; ++a) into[a] = std::max(into[a], from[a]);
  };

  // initials of notdep(j).k, with `kc` the clock of k without j (see the file comment).
  std::vector<std::uint32_t> initials;
  auto compute_initials = [&](std::size_t j, std::size_t k, const std::uint32_t* kc) {
    initials.clear();
    const std::uint32_t aj = actor_of(events_[j].task);
    for (std::uint32_t q = 0; q < actors; ++q) {
      if (q == aj) continue;
      const auto& list = by_actor[q];
      auto it = std::upper_bound(list.begin(), list.end(), static_cast<std::uint32_t>(j));
      if (it == list.end() || *it > k) continue;
      const std::size_t f = *it;
      const std::uint32_t* fc = f == k ? kc : clock(f);
      if (f != k && fc[aj] >= local[j]) continue;  // ordered after j: q has nothing in v
      bool initial = true;
      for (std::uint32_t r = 0; r < actors && initial; ++r) {
        if (r == q || fc[r] == 0) continue;
        initial = by_actor[r][fc[r] - 1] < j;
      }
      if (initial) initials.push_back(q);
    }
  };
  auto race = [&](std::size_t j, std::size_t k, const std::uint32_t* kc) {
    if (events_[j].node < 0) return;
    compute_initials(j, k, kc);
    const bool spans_gap = gaps_before[k] != gaps_before[j + 1];
    add_backtrack(static_cast<std::size_t>(events_[j].node), initials, actor_of(events_[k].task),
                  spans_gap);
  };

  struct log_entry {
    std::vector<std::uint32_t> accesses;
    std::int64_t last_acquire = -1;
  };
  std::vector<log_entry> logs;
  std::vector<std::int64_t> last_of_actor(actors, -1);
  std::vector<std::uint32_t> touched;  // object ids with a log, for global events
  std::int64_t last_global = -1;
  std::int64_t last_time = -1;
  std::vector<std::uint32_t> c(width), base(width);
  struct dep {
    std::uint32_t index;
    bool reversible;
  };
  std::vector<dep> deps;

  for (std::size_t k = 0; k < m; ++k) {
    const event& e = events_[k];
    const cls kk = kind[k];
    const std::uint32_t a = actor_of(e.task);
    std::fill(c.begin(), c.end(), 0);
    if (previous[k] >= 0) {
      const std::uint32_t* p = clock(static_cast<std::size_t>(previous[k]));
      std::copy(p, p + width, c.begin());
    }
    base = c;
    if (e.edge >= 0 && static_cast<std::size_t>(e.edge) < k) {
      join(c.data(), clock(static_cast<std::size_t>(e.edge)));
      if (kk != cls::lock_resumed) join(base.data(), clock(static_cast<std::size_t>(e.edge)));
    }
    deps.clear();
    auto scan_object = [&](std::uint32_t o, bool everything) {
      if (o >= logs.size()) return;
      const auto& acc = logs[o].accesses;
      for (std::size_t i = acc.size(); i-- > 0;) {
        const std::uint32_t j = acc[i];
        if (everything) {
          if (static_cast<std::int64_t>(j) < last_global) break;
          deps.push_back({j, true});
          if (kind[j] == cls::generic && !op_is_read_only(events_[j].op)) break;
          continue;
        }
        const relation r = relate(kind[j], events_[j].op, kk, e.op);
        if (r.dependent) deps.push_back({j, r.reversible});
        if (r.dependent && covers(kind[j], events_[j].op, kk)) break;
      }
    };
    switch (kk) {
      case cls::time:
        for (std::uint32_t b = 0; b < actors; ++b) {
          if (last_of_actor[b] >= 0)
            deps.push_back({static_cast<std::uint32_t>(last_of_actor[b]), true});
        }
        break;
      case cls::local:
        break;
      case cls::global:
        for (std::uint32_t o : touched) scan_object(o, true);
        if (last_global >= 0) deps.push_back({static_cast<std::uint32_t>(last_global), true});
        break;
      default:
        scan_object(e.object, false);
        if (kk == cls::wg_add || kk == cls::wg_dec) {
          const bool used_again =
              e.object < last_use.size() && last_use[e.object] > static_cast<std::int64_t>(k);
          for (std::uint32_t p : released[k]) deps.push_back({p, used_again});
        }
        if (last_global >= 0) deps.push_back({static_cast<std::uint32_t>(last_global), true});
        break;
    }
    if (kk != cls::time && last_time >= 0)
      deps.push_back({static_cast<std::uint32_t>(last_time), true});
    std::sort(deps.begin(), deps.end(), [](const dep& x, const dep& y) {
      return x.index != y.index ? x.index > y.index : x.reversible > y.reversible;
    });
    for (std::size_t i = 0; i < deps.size(); ++i) {
      if (i > 0 && deps[i].index == deps[i - 1].index) continue;
      const std::size_t j = deps[i].index;
      if (covered(c.data(), j)) continue;
      if (actor_of(events_[j].task) != a && deps[i].reversible) race(j, k, c.data());
      join(c.data(), clock(j));
    }
    // A lock acquisition races with the previous acquisition of its mutex (the unlock between
    // them is not a race to reverse: see the file comment).
    if ((kk == cls::lock || kk == cls::lock_resumed) && e.object < logs.size()) {
      const std::int64_t prior = logs[e.object].last_acquire;
      if (prior >= 0) {
        const auto j = static_cast<std::size_t>(prior);
        if (actor_of(events_[j].task) != a && !covered(base.data(), j)) race(j, k, base.data());
      }
    }
    c[a] = local[k];
    std::copy(c.begin(), c.end(), clock(k));
    last_of_actor[a] = static_cast<std::int64_t>(k);
    if (kk == cls::time) {
      last_time = static_cast<std::int64_t>(k);
    } else if (kk == cls::global) {
      last_global = static_cast<std::int64_t>(k);
    } else if (kk != cls::local) {
      if (logs.size() <= e.object) logs.resize(static_cast<std::size_t>(e.object) + 1);
      if (logs[e.object].accesses.empty()) touched.push_back(e.object);
      logs[e.object].accesses.push_back(static_cast<std::uint32_t>(k));
      if (kk == cls::lock || kk == cls::lock_resumed || kk == cls::try_lock ||
          (kk == cls::generic &&
           (e.op == op_kind::mutex_lock || e.op == op_kind::mutex_try_lock))) {
        logs[e.object].last_acquire = static_cast<std::int64_t>(k);
      }
    }
  }

  // Unseen steps: each may race with any earlier decision not ordered before its anchor.
  for (const wildcard& w : wildcards_) {
    if (w.anchor < 0 || static_cast<std::size_t>(w.anchor) >= m) continue;
    const auto x = static_cast<std::size_t>(w.anchor);
    const std::size_t end = std::min(w.before, m);
    for (std::size_t j = 0; j < end; ++j) {
      if (events_[j].node < 0) continue;
      const auto ni = static_cast<std::size_t>(events_[j].node);
      if (j == x) {
        // The anchor itself was chosen: the gap may hold the clock firing, or whatever another
        // candidate would have done. Explore every alternative here.
        for (const candidate& cd : path_[ni].candidates) add_task(ni, cd.task);
        continue;
      }
      if (covered(clock(x), j)) continue;
      compute_initials(j, x, clock(x));
      add_backtrack(ni, initials, actor_of(events_[x].task), true);
    }
  }
}

void dfs_strategy::add_backtrack(std::size_t node_index, const std::vector<std::uint32_t>& initials,
                                 std::uint32_t preferred, bool all) {
  const node& n = path_[node_index];
  bool consistent = !initials.empty();
  for (std::uint32_t q : initials) consistent = consistent && has_candidate(n, task_of(q));
  if (!consistent) {
    // The model cannot say who starts the reversed order here: try everyone.
    std::vector<task_id> every;
    for (const candidate& cd : n.candidates) every.push_back(cd.task);
    for (task_id t : every) add_task(node_index, t);
    return;
  }
  if (all) {
    for (std::uint32_t q : initials) add_task(node_index, task_of(q));
    return;
  }
  for (std::uint32_t q : initials) {
    if (contains(n.backtrack, task_of(q))) return;  // the reversal is already scheduled
  }
  std::uint32_t best = initials.front();
  bool best_awake = !asleep(n, task_of(best));
  for (std::uint32_t q : initials) {
    const bool awake = !asleep(n, task_of(q));
    if ((awake && !best_awake) || (awake == best_awake && q == preferred)) {
      best = q;
      best_awake = awake;
    }
  }
  add_task(node_index, task_of(best));
}

void dfs_strategy::add_task(std::size_t node_index, task_id q) {
  node& n = path_[node_index];
  if (!has_candidate(n, q)) return;
  const bool here = within_bound(n, q);
  if (here && !contains(n.backtrack, q)) n.backtrack.push_back(q);
  if (bound_ < 0 || (here && !is_preemption(n, q))) return;
  // Bounded POR (Coons et al.): reversing here costs a preemption, which the bound may not allow
  // on the way to the race. Also schedule q where the task it preempts was switched in: there
  // running q instead costs no preemption.
  if (n.switched_in < 0) return;
  node& earlier = path_[static_cast<std::size_t>(n.switched_in)];
  if (has_candidate(earlier, q) && within_bound(earlier, q) && !contains(earlier.backtrack, q)) {
    earlier.backtrack.push_back(q);
  }
}

}  // namespace weft::detail
