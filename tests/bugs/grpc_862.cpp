// Origin: gRPC-Go, PR #862 -- GoBench kernel gobench/goker/blocking/grpc/862 (grpc862_test.go).
// Bug: DialContext starts resetAddrConn, whose transport loop retries until the address
//   connection's context is cancelled. When the dial fails -- here it always does, the kernel
//   returns no connection -- the deferred cleanup only closes `conn`, which is nil, so the
//   ClientConn is never closed and the retry loop outlives the cancelled dial.
// Fix: the cleanup closes the ClientConn itself whenever no connection is returned.
// Expected kind: leak. The Go test starts DialContext and the cancel and returns; the transport
//   goroutine never finishes.
// Port note: upstream retries forever with back-off; here the loop gives up after three retries
//   and then parks on the connection's context, so the leaked goroutine ends up blocked (a leak)
//   instead of spinning through virtual time until the step limit.
#include <algorithm>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>
#include <weft/weft.hpp>

#include "kernel.hpp"

namespace {

using weft::bugs::unit;
using weft::bugs::version;

constexpr int kMaxRetries = 3;

struct addr_conn {
  weft::context ctx_;
  std::function<void()> cancel_;

  void reset_transport() {
    for (int retries = 1; retries <= kMaxRetries; ++retries) {
      const auto sleep_time = std::chrono::nanoseconds(2 * retries);
      const auto timeout = std::chrono::nanoseconds(10);
      auto [connect_ctx, cancel_connect] = weft::with_timeout(ctx_, timeout);  // one attempt
      (void)connect_ctx;
      const auto connect_time = weft::clock::now();
      cancel_connect();
      const auto wait = std::max<weft::clock::duration>(
          sleep_time - (weft::clock::now() - connect_time), weft::clock::duration::zero());
      if (weft::select(weft::on_recv(weft::after(wait)), weft::on_recv(ctx_.done())) == 1) {
        return;  // torn down
      }
    }
    ctx_.done().recv();  // out of retries: wait to be torn down (buggy: forever)
  }

  void tear_down() { cancel_(); }
};

struct client_conn {
  weft::context ctx_;
  std::function<void()> cancel_;
  weft::mutex mu_;
  std::vector<std::shared_ptr<addr_conn>> conns_;  // guarded by mu_

  void close() {
    cancel_();
    std::vector<std::shared_ptr<addr_conn>> conns;
    {
      std::lock_guard<weft::mutex> lock(mu_);
      conns.swap(conns_);
    }
    for (const auto& ac : conns) ac->tear_down();
  }

  void reset_addr_conn() {
    auto ac = std::make_shared<addr_conn>();
    auto [ctx, cancel] = weft::with_cancel(ctx_);
    ac->ctx_ = ctx;
    ac->cancel_ = cancel;
    {
      std::lock_guard<weft::mutex> lock(mu_);
      conns_.push_back(ac);
    }
    ac->reset_transport();
  }
};

std::shared_ptr<client_conn> dial_context(const weft::context& ctx, version v) {
  auto cc = std::make_shared<client_conn>();
  auto [cc_ctx, cc_cancel] = weft::with_cancel(weft::context::background());
  cc->ctx_ = cc_ctx;
  cc->cancel_ = cc_cancel;
  weft::go("reset-addr-conn", [cc] { cc->reset_addr_conn(); });

  std::shared_ptr<client_conn> conn;  // the kernel's dial never yields a connection
  // What Go runs in the deferred function:
  auto on_cancelled = [&](std::optional<unit>) {
    if (v == version::buggy && conn) conn->close();  // conn is null: cc is never closed
    conn = nullptr;
  };
  weft::select(weft::on_recv(ctx.done(), on_cancelled), weft::on_default());
  if (v == version::fixed && !conn) cc->close();
  return conn;
}

void run(version v) {
  auto [ctx, cancel] = weft::with_cancel(weft::context::background());
  weft::go("dial-context", [ctx = ctx, v] {
    std::shared_ptr<client_conn> conn = dial_context(ctx, v);
    if (conn) conn->close();  // a successful dial's connection is the caller's to close
  });
  weft::go("cancel", [cancel = cancel] { cancel(); });
}

void buggy() { run(version::buggy); }
void fixed() { run(version::fixed); }

}  // namespace

WEFT_BUG_KERNEL("grpc_862", "grpc#862", weft::failure_kind::leak, buggy, fixed);
