// Origin: CockroachDB, PR #24808 -- GoBench kernel gobench/goker/blocking/cockroach/24808
//   (cockroach24808_test.go).
// Bug: Compactor.Start() sends on its capacity-1 channel to request an initial compaction before
//   it has started the worker that drains that channel. The test already queued a request, so the
//   buffer is full and the send blocks forever: send before the consumer starts.
// Fix: the initial request is sent without blocking (if one is already queued there is nothing to
//   add); the worker then drains it.
// Expected kind: deadlock. The test body itself blocks in Start(), with no other task alive.
#include <functional>
#include <memory>
#include <weft/weft.hpp>

#include "kernel.hpp"

namespace {

using weft::bugs::unit;
using weft::bugs::version;

struct stopper {
  weft::wait_group stop_;
  weft::chan<unit> stopper_;

  weft::chan<unit> should_stop() const { return stopper_; }
  void stop() { stopper_.close(); }
};

void run_worker(const std::shared_ptr<stopper>& s, const weft::context& ctx,
                std::function<void(const weft::context&)> f) {
  s->stop_.add(1);
  weft::go("stopper-worker", [s, ctx, f] {
    f(ctx);
    s->stop_.done();
  });
}

struct compactor {
  weft::chan<unit> ch_ = weft::chan<unit>(1);

  void start(const weft::context& ctx, const std::shared_ptr<stopper>& s, version v) {
    if (v == version::buggy) {
      ch_.send(unit{});  // the buffer is full and the worker does not exist yet
    } else {
      weft::select(weft::on_send(ch_, unit{}), weft::on_default());
    }
    weft::chan<unit> ch = ch_;
    run_worker(s, ctx, [s, ch](const weft::context&) {
      for (;;) {
        if (weft::select(weft::on_recv(s->should_stop()), weft::on_recv(ch)) == 0) return;
      }
    });
  }
};

void run(version v) {
  auto s = std::make_shared<stopper>();
  auto c = std::make_shared<compactor>();
  c->ch_.send(unit{});
  c->start(weft::context::background(), s, v);  // buggy: blocks here
  s->stop();                                    // the test's deferred stopper.Stop()
}

void buggy() { run(version::buggy); }
void fixed() { run(version::fixed); }

}  // namespace

WEFT_BUG_KERNEL("cockroach_24808", "cockroach#24808", weft::failure_kind::deadlock, buggy, fixed);
