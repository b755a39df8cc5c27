// Origin: CockroachDB, PR #584 -- GoBench kernel gobench/goker/blocking/cockroach/584
//   (cockroach584_test.go).
// Bug: gossip's bootstrap() and manage() poll `closed` under g.mu and break out of their loop once
//   the gossip is closed -- without unlocking. The goroutine runs bootstrap() and then manage(),
//   which blocks forever on the mutex bootstrap() left locked (a double lock).
// Fix: unlock before breaking out of the loop.
// Expected kind: leak. As in the Go test, the body starts the goroutine and returns; the goroutine
//   stays blocked on the mutex.
#include <memory>
#include <weft/weft.hpp>

#include "kernel.hpp"

namespace {

using weft::bugs::version;

struct gossip {
  weft::mutex mu_;
  bool closed_ = true;  // guarded by mu_
};

// bootstrap() and manage() share this loop shape.
void poll_until_closed(gossip& g, version v) {
  for (;;) {
    g.mu_.lock();
    if (g.closed_) {
      if (v == version::fixed) g.mu_.unlock();
      break;  // buggy: g.mu_ stays locked
    }
    g.mu_.unlock();
  }
}

void bootstrap(gossip& g, version v) { poll_until_closed(g, v); }
void manage(gossip& g, version v) { poll_until_closed(g, v); }

void run(version v) {
  auto g = std::make_shared<gossip>();
  weft::go("gossip", [g, v] {
    bootstrap(*g, v);
    manage(*g, v);  // buggy: blocks forever on g->mu_
  });
}

void buggy() { run(version::buggy); }
void fixed() { run(version::fixed); }

}  // namespace

WEFT_BUG_KERNEL("cockroach_584", "cockroach#584", weft::failure_kind::leak, buggy, fixed);
