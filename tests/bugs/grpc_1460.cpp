// Origin: gRPC-Go, PR #1460 -- GoBench kernel gobench/goker/blocking/grpc/1460
//   (grpc1460_test.go).
// Bug: with keepalives on and no active stream, keepalive() waits on awakenKeepalive while holding
//   t.mu. NewStream() needs t.mu to register the stream and wake it, so both block: a lock held
//   while waiting on a channel. (If NewStream() wins the lock, its non-blocking wake-up finds no
//   receiver and is simply dropped.)
// Fix: keepalive() releases t.mu before it waits, and awakenKeepalive gets a buffer of one so the
//   non-blocking wake-up is never lost.
// Expected kind: leak. The Go test starts both goroutines and returns; both stay blocked.
#include <memory>
#include <mutex>
#include <vector>
#include <weft/weft.hpp>

#include "kernel.hpp"

namespace {

using weft::bugs::unit;
using weft::bugs::version;

struct stream {};

struct http2_client {
  explicit http2_client(version v)
      : version_(v),
        awaken_keepalive_(v == version::buggy ? weft::chan<unit>() : weft::chan<unit>(1)) {}

  version version_;
  weft::mutex mu_;
  weft::chan<unit> awaken_keepalive_;
  std::vector<stream> active_streams_;  // guarded by mu_

  void keepalive() {
    mu_.lock();
    if (active_streams_.empty()) {
      if (version_ == version::buggy) {
        awaken_keepalive_.recv();  // waits for NewStream while holding mu_
        mu_.unlock();
      } else {
        mu_.unlock();
        awaken_keepalive_.recv();
      }
    } else {
      mu_.unlock();
    }
  }

  void new_stream() {
    std::lock_guard<weft::mutex> lock(mu_);  // buggy: blocked by keepalive()
    active_streams_.push_back(stream{});
    if (active_streams_.size() == 1) {
      weft::select(weft::on_send(awaken_keepalive_, unit{}), weft::on_default());
    }
  }
};

void run(version v) {
  auto client = std::make_shared<http2_client>(v);
  weft::go("keepalive", [client] { client->keepalive(); });
  weft::go("new-stream", [client] { client->new_stream(); });
}

void buggy() { run(version::buggy); }
void fixed() { run(version::fixed); }

}  // namespace

WEFT_BUG_KERNEL("grpc_1460", "grpc#1460", weft::failure_kind::leak, buggy, fixed);
