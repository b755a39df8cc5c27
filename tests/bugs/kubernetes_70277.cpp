// Origin: Kubernetes, PR #70277 -- GoBench kernel gobench/goker/blocking/kubernetes/70277
//   (kubernetes70277_test.go).
// Bug: wait.WaitFor() hands the caller's `done` channel to the wait function (the poller) and
//   returns as soon as the condition holds, without stopping the poller. The poller lives on until
//   its own timeout, and the test, which checks that the channel given to the wait function is
//   closed once WaitFor returns, blocks on it forever: a done channel that is never closed.
// Fix: WaitFor creates its own stop channel for the wait function, closes it when it returns, and
//   watches the caller's `done` separately.
// Expected kind: deadlock. The test body blocks on the channel; the poller exits on its timeout
//   (80 ms of virtual time), after which nothing can ever close the channel.
#include <chrono>
#include <functional>
#include <optional>
#include <weft/weft.hpp>

#include "kernel.hpp"

namespace {

using weft::bugs::unit;
using weft::bugs::version;

using wait_func = std::function<weft::chan<unit>(weft::chan<unit> done)>;
using condition_func = std::function<bool()>;  // true: done

// Returns true when the condition held, false on a timeout or when `done` closed first.
bool wait_for(const wait_func& wait, const condition_func& fn, weft::chan<unit> done, version v) {
  if (v == version::buggy) {
    weft::chan<unit> c = wait(done);  // the poller runs until the caller's `done` closes
    for (;;) {
      const bool open = c.recv().has_value();
      if (fn()) return true;
      if (!open) return false;
    }
  }
  weft::chan<unit> stop_ch;
  weft::chan<unit> c = wait(stop_ch);
  bool result = false;
  for (;;) {
    bool open = true;
    bool cancelled = false;
    weft::select(weft::on_recv(c, [&](std::optional<unit> tick) { open = tick.has_value(); }),
                 weft::on_recv(done, [&](std::optional<unit>) { cancelled = true; }));
    if (cancelled) break;  // ErrWaitTimeout
    if (fn()) {
      result = true;
      break;
    }
    if (!open) break;
  }
  stop_ch.close();  // Go: defer close(stopCh)
  return result;
}

// wait.poller: ticks on the returned channel every `interval` until `done` closes or `timeout`.
wait_func poller(weft::clock::duration interval, weft::clock::duration timeout) {
  return [interval, timeout](weft::chan<unit> done) {
    weft::chan<unit> ch;
    weft::go("poller", [ch, done, interval, timeout] {
      weft::ticker tick(interval);
      weft::timer timeout_timer(timeout);
      for (;;) {
        const std::size_t fired =
            weft::select(weft::on_recv(tick.channel()), weft::on_recv(timeout_timer.channel()),
                         weft::on_recv(done));
        if (fired != 0) break;                                        // timeout, or done closed
        weft::select(weft::on_send(ch, unit{}), weft::on_default());  // tick, unless nobody listens
      }
      // Go: defer close(ch); defer tick.Stop(); defer timer.Stop()
      timeout_timer.stop();
      tick.stop();
      ch.close();
    });
    return ch;
  };
}

void run(version v) {
  weft::chan<unit> stop_ch;
  const wait_func wait = poller(std::chrono::milliseconds(1), std::chrono::milliseconds(80));
  weft::chan<unit> done_ch;  // the channel WaitFor handed to the wait function
  wait_for(
      [&done_ch, wait](weft::chan<unit> done) {
        done_ch = done;
        return wait(done);
      },
      [] {
        weft::sleep_for(std::chrono::milliseconds(10));
        return true;
      },
      stop_ch, v);
  done_ch.recv();   // buggy: blocks forever
  stop_ch.close();  // Go: defer close(stopCh)
}

void buggy() { run(version::buggy); }
void fixed() { run(version::fixed); }

}  // namespace

WEFT_BUG_KERNEL("kubernetes_70277", "kubernetes#70277", weft::failure_kind::deadlock, buggy, fixed);
