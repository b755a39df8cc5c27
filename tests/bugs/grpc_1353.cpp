// Origin: gRPC-Go, PR #1353 -- GoBench kernel gobench/goker/blocking/grpc/1353
//   (grpc1353_test.go).
// Bug: roundRobin.watchAddrUpdates() sends each address update on the unbuffered addrCh while
//   holding rr.mu. lbWatcher, the only reader, is busy handling the previous update: tearing down a
//   connection calls the balancer's down(), which needs rr.mu. The sender waits for the reader and
//   the reader waits for the sender's lock: a send under a lock the receiver needs.
// Fix: addrCh gets a buffer of one and watchAddrUpdates() drains a stale update before sending, so
//   the send never blocks and the lock is always released.
// Expected kind: leak. The Go test starts the balancer, lbWatcher and the closer and returns; the
//   updater and lbWatcher stay blocked on each other (and the closer on HelpCh).
// Port note: three address updates instead of 100; the Go global HelpCh is a local channel.
#include <functional>
#include <memory>
#include <mutex>
#include <vector>
#include <weft/weft.hpp>

#include "kernel.hpp"

namespace {

using weft::bugs::unit;
using weft::bugs::version;

constexpr int kUpdates = 3;

struct round_robin {
  explicit round_robin(version v) : version_(v) {}

  version version_;
  weft::mutex mu_;
  weft::chan<bool> addr_ch_;  // set by start(), before any task uses it

  weft::chan<bool> notify() const { return addr_ch_; }

  void watch_addr_updates() {
    std::lock_guard<weft::mutex> lock(mu_);
    if (version_ == version::fixed) {
      weft::select(weft::on_recv(addr_ch_), weft::on_default());  // drop a stale update
    }
    addr_ch_.send(true);  // buggy: blocks while holding mu_
  }

  void down() {
    std::lock_guard<weft::mutex> lock(mu_);  // buggy: blocks lbWatcher
  }

  void close() {
    std::lock_guard<weft::mutex> lock(mu_);
    addr_ch_.close();
  }
};

void start(const std::shared_ptr<round_robin>& rr, weft::chan<unit> help_ch) {
  rr->addr_ch_ = rr->version_ == version::buggy ? weft::chan<bool>() : weft::chan<bool>(1);
  weft::go("watch-addr-updates", [rr, help_ch] {
    for (int i = 0; i < kUpdates; ++i) rr->watch_addr_updates();
    help_ch.close();
  });
}

std::function<void()> up(const std::shared_ptr<round_robin>& rr) {
  return [rr] { rr->down(); };
}

struct addr_conn {
  weft::mutex mu_;
  std::function<void()> down_;  // set before any task starts

  void tear_down() {
    std::lock_guard<weft::mutex> lock(mu_);
    if (down_) down_();
  }
};

struct client_conn {
  std::shared_ptr<round_robin> balancer_;
  std::vector<std::shared_ptr<addr_conn>> conns_;  // never changes after construction

  void lb_watcher() {
    for (bool addr : balancer_->notify()) {
      (void)addr;  // every update removes every current connection
      std::vector<std::shared_ptr<addr_conn>> del = conns_;
      for (const auto& c : del) c->tear_down();
    }
  }
};

std::shared_ptr<client_conn> new_client_conn(version v) {
  auto cc = std::make_shared<client_conn>();
  cc->balancer_ = std::make_shared<round_robin>(v);
  for (int i = 0; i < 2; ++i) {
    auto ac = std::make_shared<addr_conn>();
    ac->down_ = up(cc->balancer_);
    cc->conns_.push_back(ac);
  }
  return cc;
}

void run(version v) {
  weft::chan<unit> help_ch;
  auto cc = new_client_conn(v);
  start(cc->balancer_, help_ch);
  weft::go("lb-watcher", [cc] { cc->lb_watcher(); });
  weft::go("close-balancer", [cc, help_ch] {
    help_ch.recv();
    cc->balancer_->close();
  });
}

void buggy() { run(version::buggy); }
void fixed() { run(version::fixed); }

}  // namespace

WEFT_BUG_KERNEL("grpc_1353", "grpc#1353", weft::failure_kind::leak, buggy, fixed);
