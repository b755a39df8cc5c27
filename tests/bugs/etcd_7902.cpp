// Origin: etcd, PR #7902 -- GoBench kernel gobench/goker/blocking/etcd/7902 (etcd7902_test.go).
// Bug: doRounds() runs every round client's release() under the shared mutex. A follower's
//   release() waits (holding the mutex) for the leader to close the round's channel, and the leader
//   can only do that in its own release(), which needs the mutex: a lock held while waiting for a
//   release.
// Fix: release() runs without the mutex (upstream removed the Lock/Unlock around rc.release()).
// Expected kind: leak. As in the Go test, the election runs in a goroutine and the test returns;
//   the election goroutine (on wg.Wait) and the round clients stay blocked.
// Port notes: two rounds instead of 100. The GoBench kernel dropped the upstream handshake in
//   which the leader, before closing the round's channel, waits until every client has validated
//   the round (validatec); without it a follower can validate after the leader's last round and
//   wait forever even with the fix, so it is kept here, in both twins.
#include <array>
#include <functional>
#include <memory>
#include <string>
#include <weft/weft.hpp>

#include "kernel.hpp"

namespace {

using weft::bugs::unit;
using weft::bugs::version;

constexpr int kClients = 3;
constexpr int kRounds = 2;

struct round_client {
  int progress_ = 0;  // only touched by the client's own task
  std::function<void()> acquire_;
  std::function<void()> validate_;
  std::function<void()> release_;
};

using round_clients = std::array<round_client, kClients>;

// State shared by the closures of runElectionFunc.
struct election {
  weft::chan<unit> nextc_;  // closed by the leader when the round is over
  weft::chan<unit> validatec_ = weft::chan<unit>(kClients);
};

void do_rounds(const std::shared_ptr<round_clients>& rcs, int rounds, version v) {
  auto mu = std::make_shared<weft::mutex>();
  auto wg = std::make_shared<weft::wait_group>();
  wg->add(kClients);
  for (int i = 0; i < kClients; ++i) {
    weft::go("round-client-" + std::to_string(i), [rcs, i, rounds, mu, wg, v] {
      round_client& rc = (*rcs)[i];
      while (rc.progress_ < rounds) {
        rc.acquire_();
        mu->lock();
        rc.validate_();
        mu->unlock();
        ++rc.progress_;
        if (v == version::buggy) {
          mu->lock();  // the leader blocks here while a follower waits inside release()
          rc.release_();
          mu->unlock();
        } else {
          rc.release_();
        }
      }
      wg->done();
    });
  }
  wg->wait();  // buggy: waits forever
}

void run_election(version v) {
  auto e = std::make_shared<election>();
  auto rcs = std::make_shared<round_clients>();
  for (int i = 0; i < kClients; ++i) {
    auto rc_nextc = std::make_shared<weft::chan<unit>>();  // the channel of the round validated
    round_client& rc = (*rcs)[i];
    rc.acquire_ = [] {};
    rc.validate_ = [e, rc_nextc] {
      *rc_nextc = e->nextc_;
      e->validatec_.send(unit{});
    };
    rc.release_ = [e, rc_nextc, i] {
      if (i == 0) {                                               // the first client is the leader
        for (int k = 0; k < kClients; ++k) e->validatec_.recv();  // everyone validated the round
        weft::chan<unit> old = e->nextc_;
        e->nextc_ = weft::chan<unit>();
        old.close();
      }
      rc_nextc->recv();  // followers block here until the leader closes the round
    };
  }
  do_rounds(rcs, kRounds, v);
}

void run(version v) {
  weft::go("run-election", [v] { run_election(v); });
}

void buggy() { run(version::buggy); }
void fixed() { run(version::fixed); }

}  // namespace

WEFT_BUG_KERNEL("etcd_7902", "etcd#7902", weft::failure_kind::leak, buggy, fixed);
