// Example 02 — an ABBA deadlock, found and replayed.
//
// transfer(a, b) locks a then b; a concurrent transfer(b, a) locks b then a. Each holds one lock
// and waits for the other. weft reports every blocked task, what it waits for and who holds it,
// then replays the failing schedule from its token and gets the identical report. The fix
// orders the locks by account id.
#include <memory>

#include "story.hpp"

namespace {

struct account {
  account(int id_, int balance_) : id(id_), balance(balance_) {}
  int id;
  int balance;
  weft::mutex mu;
};

void transfer(account& from, account& to, int amount, bool ordered) {
  account& first = (!ordered || from.id < to.id) ? from : to;
  account& second = (&first == &from) ? to : from;
  weft::lock_guard a(first.mu);  // like std::lock_guard, but reports name this line
  weft::lock_guard b(second.mu);
  from.balance -= amount;
  to.balance += amount;
}

void two_transfers(bool ordered) {
  auto alice = std::make_shared<account>(1, 100);
  auto bob = std::make_shared<account>(2, 100);
  weft::wait_group wg;
  wg.add(2);
  weft::go("alice->bob", [=, &wg] {
    transfer(*alice, *bob, 10, ordered);
    wg.done();
  });
  weft::go("bob->alice", [=, &wg] {
    transfer(*bob, *alice, 20, ordered);
    wg.done();
  });
  wg.wait();
}

}  // namespace

int main() {
  weft::options opts = story::options();
  int status = story::tell(
      "02 an ABBA deadlock", weft::failure_kind::deadlock, [] { two_transfers(false); },
      [] { two_transfers(true); }, opts);
  // Replaying: the token in the report runs exactly the failing schedule again.
  weft::report found = weft::explore(opts, [] { two_transfers(false); });
  weft::options replay = opts;
  replay.replay = found.replay;
  weft::report again = weft::explore(replay, [] { two_transfers(false); });
  std::printf("\n--- replaying the token ---\nsame report: %s\n",
              again.message == found.message ? "yes" : "NO");
  return status == 0 && again.message == found.message ? 0 : 1;
}

// Expected output (abridged):
//   weft: deadlock — every task is blocked and no timer can wake any of them
//     task "main" (the test body) is blocked in wait_group::wait on wait_group#3 ...
//     task "alice->bob" (spawned at 02_abba_deadlock.cpp:34) is blocked in mutex::lock on
//       mutex#2 (created at 02_abba_deadlock.cpp:14) at 02_abba_deadlock.cpp:24, held by task
//       "bob->alice"
//     task "bob->alice" (spawned at 02_abba_deadlock.cpp:38) is blocked in mutex::lock on
//       mutex#1 (created at 02_abba_deadlock.cpp:14) at 02_abba_deadlock.cpp:24, held by task
//       "alice->bob"
//     wait-for graph:
//       cycle: "alice->bob" → mutex#2 (held by "bob->alice") → mutex#1 (held by "alice->bob")
//       "main" waits in wait_group::wait on wait_group#3
//     last 11 of 12 scheduling points (most recent last):
//       step | main | alice->bob | bob->alice | at
//       ...
//     this schedule: 1 preemption, 12 scheduling points; the bug needs 1 preemption (...)
//     replay: WEFT_REPLAY=w1.... ./examples/02_abba_deadlock
//   --- the fixed version ---
//   no bug in 2000 executions (...)
//   --- replaying the token ---
//   same report: yes
