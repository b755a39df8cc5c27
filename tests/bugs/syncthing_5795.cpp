// Origin: Syncthing, PR #5795 -- GoBench kernel gobench/goker/blocking/syncthing/5795
//   (syncthing5795_test.go).
// Bug: the connection's dispatcher loop hands a ClusterConfig message to the model, whose callback
//   closes the connection. Close() runs internalClose() synchronously: it closes `closed` and then
//   waits for the dispatcher loop to stop -- from inside the dispatcher loop, which can therefore
//   never stop: a loop waits for its own exit.
// Fix: Close() runs internalClose() in a goroutine of its own.
// Expected kind: deadlock. The test body waits for the dispatcher loop to stop and blocks with it.
// Port note: the reader loop busy-polls `closed` with select/default in Go; here it blocks on
//   `closed`, which is the same thing without spinning.
#include <functional>
#include <memory>
#include <optional>
#include <weft/weft.hpp>

#include "kernel.hpp"

namespace {

using weft::bugs::unit;
using weft::bugs::version;

enum class message { cluster_config, other };

struct test_model {
  std::function<void()> cc_fn_;  // set before the connection starts
  void cluster_config() {
    if (cc_fn_) cc_fn_();
  }
};

struct raw_connection : std::enable_shared_from_this<raw_connection> {
  raw_connection(std::shared_ptr<test_model> receiver, version v)
      : receiver_(std::move(receiver)), version_(v) {}

  std::shared_ptr<test_model> receiver_;
  version version_;
  weft::chan<message> inbox_;
  weft::chan<unit> dispatcher_loop_stopped_;
  weft::chan<unit> closed_;
  weft::once close_once_;

  void start() {
    auto self = shared_from_this();
    weft::go("reader-loop", [self] { self->reader_loop(); });
    weft::go("dispatcher-loop", [self] { self->dispatcher_loop(); });
  }

  void reader_loop() { closed_.recv(); }

  void dispatcher_loop() {
    for (;;) {
      std::optional<message> msg;
      bool closed = false;
      weft::select(weft::on_recv(inbox_, [&](std::optional<message> m) { msg = m; }),
                   weft::on_recv(closed_, [&](std::optional<unit>) { closed = true; }));
      if (closed || !msg || *msg != message::cluster_config) break;
      receiver_->cluster_config();  // buggy: the model's callback closes us from in here
    }
    dispatcher_loop_stopped_.close();  // Go: defer close(c.dispatcherLoopStopped)
  }

  void internal_close() {
    close_once_.call([this] {
      closed_.close();
      dispatcher_loop_stopped_.recv();  // buggy: waits for the loop we are running in
    });
  }

  void close() {
    if (version_ == version::buggy) {
      internal_close();
      return;
    }
    auto self = shared_from_this();
    weft::go("internal-close", [self] { self->internal_close(); });
  }
};

void run(version v) {
  auto m = std::make_shared<test_model>();
  auto c = std::make_shared<raw_connection>(m, v);
  m->cc_fn_ = [weak = std::weak_ptr<raw_connection>(c)] {
    if (auto conn = weak.lock()) conn->close();
  };
  c->start();
  c->inbox_.send(message::cluster_config);
  c->dispatcher_loop_stopped_.recv();  // buggy: blocks forever
}

void buggy() { run(version::buggy); }
void fixed() { run(version::fixed); }

}  // namespace

WEFT_BUG_KERNEL("syncthing_5795", "syncthing#5795", weft::failure_kind::deadlock, buggy, fixed);
