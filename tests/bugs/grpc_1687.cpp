// Origin: gRPC-Go, PR #1687 -- GoBench kernel gobench/goker/nonblocking/grpc/1687
//   (grpc1687_test.go).
// Bug: serverHandlerTransport.WriteStatus() closes the `writes` channel when the status is out,
//   but do(), used by every later Write(), only checks `closedCh` before sending on `writes`. A
//   Write() after WriteStatus() sends on the closed channel: a send on a closed channel (Go
//   panics).
// Fix: WriteStatus() closes the transport (`closedCh`) instead of `writes`; do() selects between
//   `closedCh` and the send, and runStream() stops on `closedCh`.
// Expected kind: panic (send on a closed channel), in the handler task.
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <weft/weft.hpp>

#include "kernel.hpp"

namespace {

using weft::bugs::unit;
using weft::bugs::version;

using write_fn = std::function<void()>;

struct server_handler_transport {
  explicit server_handler_transport(version v) : version_(v) {}

  version version_;
  weft::chan<unit> closed_ch_;
  weft::chan<write_fn> writes_;

  void do_write(write_fn fn) {
    if (version_ == version::buggy) {
      if (weft::select(weft::on_recv(closed_ch_), weft::on_default()) == 0) return;
      // `writes` may be closed by now: sending on it panics.
      weft::select(weft::on_send(writes_, std::move(fn)), weft::on_recv(closed_ch_));
      return;
    }
    weft::select(weft::on_recv(closed_ch_), weft::on_send(writes_, std::move(fn)));
  }

  void write_status() {
    do_write([] {});
    if (version_ == version::buggy) {
      writes_.close();
    } else {
      closed_ch_.close();
    }
  }

  void write() {
    do_write([] {});
  }

  void run_stream() {
    for (;;) {
      std::optional<write_fn> fn;
      bool closed = false;
      weft::select(weft::on_recv(writes_,
                                 [&](std::optional<write_fn> f) {
                                   if (f) {
                                     fn = std::move(f);
                                   } else {
                                     closed = true;
                                   }
                                 }),
                   weft::on_recv(closed_ch_, [&](std::optional<unit>) { closed = true; }));
      if (closed) return;
      (*fn)();
    }
  }

  void handle_streams(const std::function<void()>& start_stream) {
    start_stream();
    run_stream();
  }
};

void run(version v) {
  auto ht = std::make_shared<server_handler_transport>(v);
  ht->handle_streams([ht] {
    weft::go("handle-stream", [ht] {
      ht->write_status();
      ht->write();  // buggy: sends on the closed `writes` channel
    });
  });
  weft::sleep_for(std::chrono::milliseconds(10));
}

void buggy() { run(version::buggy); }
void fixed() { run(version::fixed); }

}  // namespace

WEFT_BUG_KERNEL("grpc_1687", "grpc#1687", weft::failure_kind::panic, buggy, fixed);
