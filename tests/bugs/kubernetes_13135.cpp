// Origin: Kubernetes, PR #13135 -- GoBench kernel gobench/goker/blocking/kubernetes/13135
//   (kubernetes13135_test.go).
// Bug: an AB-BA deadlock between the Cacher's mutex and the WatchCache's RWMutex. Each round of
//   the caching loop, startCaching() locks the Cacher (the lock is handed over to the WatchCache's
//   OnReplace callback, which unlocks it after a successful list) and then needs the WatchCache
//   lock in Replace(). Meanwhile WatchCache.Add() holds the WatchCache lock and its OnEvent
//   callback, Cacher.processEvent(), needs the Cacher lock.
// Fix: the list/replace hand-over uses a lock of its own (upstream's `usable` lock) instead of the
//   Cacher mutex that event processing takes, so the two lock orders no longer form a cycle.
// Expected kind: leak. As in the Go test, the body creates the cacher, starts Add() and the closer
//   of the stop channel, and returns; the caching loop and Add() stay blocked on each other.
// Port notes: Util's period is 1 ms of virtual time instead of 0, so that the caching loop blocks
//   between rounds under every strategy. The deadlocking second round therefore starts when that
//   period elapses before the closer runs, which the default time_policy::explored explores (under
//   idle_only the bug is out of reach). The Go global StopChannel is a local channel.
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <weft/weft.hpp>

#include "kernel.hpp"

namespace {

using weft::bugs::unit;
using weft::bugs::version;

// wait.Until: run f every period until stop is closed.
void until(const std::function<void()>& f, weft::clock::duration period, weft::chan<unit> stop) {
  for (;;) {
    if (weft::select(weft::on_recv(stop), weft::on_default()) == 0) return;
    f();
    weft::sleep_for(period);
  }
}

struct watch_cache {
  weft::rw_mutex mu_;
  std::function<void()> on_replace_;  // guarded by mu_
  std::function<void()> on_event_;    // guarded by mu_

  void set_on_event(std::function<void()> f) {
    std::lock_guard<weft::rw_mutex> lock(mu_);
    on_event_ = std::move(f);
  }
  void set_on_replace(std::function<void()> f) {
    std::lock_guard<weft::rw_mutex> lock(mu_);
    on_replace_ = std::move(f);
  }
  void process_event() {
    std::lock_guard<weft::rw_mutex> lock(mu_);
    if (on_event_) on_event_();  // Cacher.processEvent: takes the Cacher lock under mu_
  }
  void add() { process_event(); }
  void replace() {
    std::lock_guard<weft::rw_mutex> lock(mu_);  // blocked here by add()
    if (on_replace_) on_replace_();
  }
};

struct reflector {
  watch_cache* store_;
  bool list_and_watch() {  // true: success
    store_->replace();
    return true;
  }
};

struct cacher {
  explicit cacher(version v) : version_(v) {}

  version version_;
  weft::mutex mu_;      // the Cacher's own lock, taken by process_event()
  weft::mutex usable_;  // fix: the lock handed from start_caching() to OnReplace
  weft::wait_group initialized_;
  weft::once init_once_;
  watch_cache watch_cache_;
  reflector reflector_{&watch_cache_};

  // The lock start_caching() takes and the OnReplace callback releases.
  weft::mutex& handover() { return version_ == version::buggy ? mu_ : usable_; }

  void process_event() {
    std::lock_guard<weft::mutex> lock(mu_);  // blocked here by start_caching()
  }

  void start_caching() {
    handover().lock();  // released by OnReplace after a successful list
    while (!reflector_.list_and_watch()) {
    }
  }
};

std::shared_ptr<cacher> new_cacher(version v, weft::chan<unit> stop) {
  auto c = std::make_shared<cacher>(v);
  c->initialized_.add(1);
  // The callbacks only run inside tasks that own `c`.
  cacher* raw = c.get();
  c->watch_cache_.set_on_replace([raw] {
    raw->init_once_.call([raw] { raw->initialized_.done(); });
    raw->handover().unlock();
  });
  c->watch_cache_.set_on_event([raw] { raw->process_event(); });
  weft::go("caching-loop",
           [c, stop] { until([c] { c->start_caching(); }, std::chrono::milliseconds(1), stop); });
  c->initialized_.wait();
  return c;
}

void run(version v) {
  weft::chan<unit> stop;
  auto c = new_cacher(v, stop);
  weft::go("watch-cache-add", [c] { c->watch_cache_.add(); });
  weft::go("close-stop", [stop] { stop.close(); });
}

void buggy() { run(version::buggy); }
void fixed() { run(version::fixed); }

}  // namespace

WEFT_BUG_KERNEL("kubernetes_13135", "kubernetes#13135", weft::failure_kind::leak, buggy, fixed);
