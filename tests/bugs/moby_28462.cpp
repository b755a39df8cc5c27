// Origin: Moby, PR #28462 -- GoBench kernel gobench/goker/blocking/moby/28462
//   (moby28462_test.go).
// Bug: Daemon.StateChanged() locks the container and, still holding the lock, stops the health
//   monitor by sending on its unbuffered stop channel. The monitor may be inside
//   handleProbeResult(), waiting for the container lock, so it never gets back to receive: a send
//   under a lock the monitor needs.
// Fix: CloseMonitorChannel() closes the stop channel (and forgets it) instead of sending on it;
//   a close never blocks.
// Expected kind: leak. The Go test starts the monitor and StateChanged() and returns; both stay
//   blocked.
// Port note: the GoBench monitor busy-polls `stop` with select/default; here it polls, probes, and
//   then, as upstream, waits for `stop` or the next probe interval (1 ms of virtual time), so it
//   blocks between probes under every strategy.
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <weft/weft.hpp>

#include "kernel.hpp"

namespace {

using weft::bugs::unit;
using weft::bugs::version;

constexpr auto kProbeInterval = std::chrono::milliseconds(1);

struct health {
  std::optional<weft::chan<unit>> stop_ = weft::chan<unit>();  // guarded by the container lock

  weft::chan<unit> open_monitor_channel() const { return *stop_; }

  void close_monitor_channel(version v) {
    if (!stop_) return;
    if (v == version::buggy) {
      stop_->send(unit{});  // waits for the monitor, which waits for the lock we hold
    } else {
      stop_->close();
      stop_.reset();
    }
  }
};

struct container {
  weft::mutex mu_;
  health health_;
};

void handle_probe_result(container& c) {
  std::lock_guard<weft::mutex> lock(c.mu_);  // buggy: held by state_changed()
}

void monitor(const std::shared_ptr<container>& c, weft::chan<unit> stop) {
  for (;;) {
    if (weft::select(weft::on_recv(stop), weft::on_default()) == 0) return;
    handle_probe_result(*c);
    // Wait for the next probe (or the stop) instead of polling again at once.
    if (weft::select(weft::on_recv(stop), weft::on_recv(weft::after(kProbeInterval))) == 0) {
      return;
    }
  }
}

// Daemon.StateChanged, reaching updateHealthMonitor's else branch.
void state_changed(container& c, version v) {
  std::lock_guard<weft::mutex> lock(c.mu_);
  c.health_.close_monitor_channel(v);
}

void run(version v) {
  auto c = std::make_shared<container>();
  weft::chan<unit> stop = c->health_.open_monitor_channel();
  weft::go("health-monitor", [c, stop] { monitor(c, stop); });
  weft::go("state-changed", [c, v] { state_changed(*c, v); });
}

void buggy() { run(version::buggy); }
void fixed() { run(version::fixed); }

}  // namespace

WEFT_BUG_KERNEL("moby_28462", "moby#28462", weft::failure_kind::leak, buggy, fixed);
