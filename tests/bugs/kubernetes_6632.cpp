// Origin: Kubernetes, PR #6632 -- GoBench kernel gobench/goker/blocking/kubernetes/6632
//   (kubernetes6632_test.go).
// Bug: idleAwareFramer.WriteFrame() sends on resetChan while holding writeLock. When the
//   connection closes, monitor() must take writeLock to close resetChan -- but the writer holds it
//   and waits for a reader of resetChan that will never come: a send under a lock the closer needs.
// Fix: before taking writeLock, monitor() starts a goroutine that drains resetChan, so a writer
//   blocked in the send gets through and releases the lock.
// Expected kind: leak. The Go test starts the helper, monitor() and WriteFrame() and returns;
//   monitor() and WriteFrame() stay blocked.
#include <memory>
#include <mutex>
#include <optional>
#include <weft/weft.hpp>

#include "kernel.hpp"

namespace {

using weft::bugs::version;

struct connection {
  weft::chan<bool> close_chan_;
};

struct idle_aware_framer {
  std::optional<weft::chan<bool>> reset_chan_ = weft::chan<bool>();  // guarded by write_lock_
  weft::mutex write_lock_;
  connection conn_;

  void monitor(version v) {
    weft::chan<bool> reset_chan = *reset_chan_;  // read before anyone can change it
    conn_.close_chan_.recv();
    if (v == version::fixed) {
      weft::go("drain-reset-chan", [reset_chan] {
        for (bool reset : reset_chan) (void)reset;
      });
    }
    std::lock_guard<weft::mutex> lock(write_lock_);  // buggy: held by a blocked write_frame()
    reset_chan.close();
    reset_chan_.reset();
  }

  void write_frame() {
    std::lock_guard<weft::mutex> lock(write_lock_);
    if (!reset_chan_) return;
    reset_chan_->send(true);  // buggy: nobody ever reads resetChan
  }
};

void run(version v) {
  auto framer = std::make_shared<idle_aware_framer>();
  weft::go("close-connection", [framer] { framer->conn_.close_chan_.send(true); });
  weft::go("monitor", [framer, v] { framer->monitor(v); });
  weft::go("write-frame", [framer] { framer->write_frame(); });
}

void buggy() { run(version::buggy); }
void fixed() { run(version::fixed); }

}  // namespace

WEFT_BUG_KERNEL("kubernetes_6632", "kubernetes#6632", weft::failure_kind::leak, buggy, fixed);
