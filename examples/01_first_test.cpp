// Example 01 — a first deterministic test.
//
// A bank account whose deposit reads the balance, does some work, and writes it back. With real
// threads the lost update shows up once in a blue moon; weft runs the same code as fibers under
// a controlled scheduler and tries many interleavings, so it shows up at once — with the exact
// schedule that loses the update and a line that replays it.
#include <memory>
#include <stdexcept>

#include "story.hpp"

namespace {

struct account {
  weft::mutex mu;
  int balance = 0;

  void deposit_racy(int amount) {
    int read = balance;
    weft::yield();  // e.g. logging or an RPC between the read and the write
    balance = read + amount;
  }
  void deposit_locked(int amount) {
    std::lock_guard lock(mu);
    deposit_racy(amount);
  }
};

void run_deposits(bool locked) {
  auto acct = std::make_shared<account>();
  weft::wait_group wg;
  wg.add(2);
  for (int amount : {10, 20}) {
    weft::go("depositor", [acct, &wg, amount, locked] {
      locked ? acct->deposit_locked(amount) : acct->deposit_racy(amount);
      wg.done();
    });
  }
  wg.wait();
  if (acct->balance != 30) {
    throw std::logic_error("balance is " + std::to_string(acct->balance) + ", expected 30");
  }
}

}  // namespace

int main() {
  return story::tell(
      "01 a first deterministic test: two deposits, one lost",
      weft::failure_kind::uncaught_exception, [] { run_deposits(false); },
      [] { run_deposits(true); });
}

// Expected output (abridged):
//   === 01 a first deterministic test: two deposits, one lost ===
//   --- the buggy version ---
//   weft: uncaught_exception — an exception escaped task "main"
//     task "main" (the test body) threw std::logic_error: balance is 10, expected 30
//     last 9 of 10 scheduling points (most recent last): ...
//     replay: WEFT_REPLAY=w1.... ./examples/01_first_test
//   --- the fixed version ---
//   no bug in 2000 executions (... distinct schedules)
