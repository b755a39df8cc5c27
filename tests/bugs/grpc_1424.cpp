// Origin: gRPC-Go, PR #1424 -- GoBench kernel gobench/goker/blocking/grpc/1424
//   (grpc1424_test.go).
// Bug: DialContext's goroutine starts lbWatcher and waits for it on doneChan, but lbWatcher
//   returns (when the balancer's address channel is closed) without ever closing doneChan: the
//   done channel is never closed and the waiting goroutine leaks.
// Fix: lbWatcher closes doneChan when it returns (`defer close(doneChan)`).
// Expected kind: leak. The Go test starts DialContext and returns; the waiter stays blocked.
#include <memory>
#include <mutex>
#include <vector>
#include <weft/weft.hpp>

#include "kernel.hpp"

namespace {

using weft::bugs::unit;
using weft::bugs::version;

struct round_robin {
  weft::mutex mu_;
  weft::chan<bool> addr_ch_;
  weft::chan<bool> notify() const { return addr_ch_; }
};

struct addr_conn {
  weft::mutex mu_;
  void tear_down() { std::lock_guard<weft::mutex> lock(mu_); }
};

struct client_conn {
  std::shared_ptr<round_robin> balancer_ = std::make_shared<round_robin>();
  std::vector<std::shared_ptr<addr_conn>> conns_;  // never changes after construction

  void lb_watcher(weft::chan<unit> done_chan, version v) {
    for (bool addr : balancer_->notify()) {
      (void)addr;  // no address is added; every current connection is deleted
      std::vector<std::shared_ptr<addr_conn>> del = conns_;
      for (const auto& c : del) c->tear_down();
    }
    if (v == version::fixed) done_chan.close();  // buggy: never closed
  }
};

void dial_context(version v) {
  auto cc = std::make_shared<client_conn>();
  weft::chan<unit> wait_c(1);
  weft::go("dial-wait", [cc, wait_c, v] {
    weft::chan<unit> done_chan;
    weft::go("lb-watcher", [cc, done_chan, v] { cc->lb_watcher(done_chan, v); });
    done_chan.recv();  // buggy: blocks forever
    wait_c.close();
  });
  cc->balancer_->addr_ch_.close();
}

void run(version v) {
  weft::go("dial-context", [v] { dial_context(v); });
}

void buggy() { run(version::buggy); }
void fixed() { run(version::fixed); }

}  // namespace

WEFT_BUG_KERNEL("grpc_1424", "grpc#1424", weft::failure_kind::leak, buggy, fixed);
