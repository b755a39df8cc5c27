// Origin: Kubernetes, PR #38669 -- GoBench kernel gobench/goker/blocking/kubernetes/38669
//   (kubernetes38669_test.go).
// Bug: cacheWatcher.process() first delivers the initial events on the unbuffered result channel.
//   Nobody reads the result in this test: the watcher is stopped right away, but the send does not
//   look at the stop, so the processing goroutine blocks on it forever (a send with no reader).
// Fix: stopping the watcher closes a done channel and every send of an event selects on it, so a
//   stopped watcher gives up its pending sends.
// Expected kind: leak. The Go test stops the watcher and returns; the processing goroutine stays
//   blocked on the send.
#include <memory>
#include <mutex>
#include <vector>
#include <weft/weft.hpp>

#include "kernel.hpp"

namespace {

using weft::bugs::unit;
using weft::bugs::version;

using watch_cache_event = int;
using event = int;

struct cache_watcher {
  explicit cache_watcher(version v) : version_(v) {}

  version version_;
  weft::mutex mu_;
  weft::chan<watch_cache_event> input_;
  weft::chan<event> result_;
  weft::chan<unit> done_;  // closed by stop(); only the fixed twin listens to it
  bool stopped_ = false;   // guarded by mu_

  void process(const std::vector<watch_cache_event>& init_events) {
    for (watch_cache_event e : init_events) send_watch_cache_event(e);
    while (input_.recv()) {
    }
    // Go: defer close(c.result); defer c.Stop()
    stop();
    result_.close();
  }

  void send_watch_cache_event(watch_cache_event e) {
    if (version_ == version::buggy) {
      result_.send(event{e});  // nobody reads the result: blocks forever
      return;
    }
    weft::select(weft::on_send(result_, event{e}), weft::on_recv(done_));
  }

  void stop() {
    std::lock_guard<weft::mutex> lock(mu_);
    if (!stopped_) {
      stopped_ = true;
      input_.close();
      done_.close();
    }
  }
};

std::shared_ptr<cache_watcher> new_cache_watcher(std::vector<watch_cache_event> init_events,
                                                 version v) {
  auto watcher = std::make_shared<cache_watcher>(v);
  weft::go("cache-watcher-process", [watcher, init_events] { watcher->process(init_events); });
  return watcher;
}

void run(version v) {
  auto w = new_cache_watcher({1, 2}, v);
  w->stop();
}

void buggy() { run(version::buggy); }
void fixed() { run(version::fixed); }

}  // namespace

WEFT_BUG_KERNEL("kubernetes_38669", "kubernetes#38669", weft::failure_kind::leak, buggy, fixed);
