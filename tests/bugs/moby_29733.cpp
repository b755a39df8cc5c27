// Origin: Moby, PR #29733 -- GoBench kernel gobench/goker/blocking/moby/29733
//   (moby29733_test.go).
// Bug: plugins.Handle() marks every stored plugin as not activated so that the new handler gets
//   run on the next activation. An already running plugin is never activated again, so the next
//   waitActive() waits on its condition variable forever: a cond_var that is never signalled.
// Fix: Handle() resets a separate handlersRun flag and leaves `activated` alone.
// Expected kind: deadlock. The test body waits for the second waitActive() and blocks with it.
// Port note: the GoBench kernel never activates the plugin (so even its first wait hangs); here an
//   activator task activates it first, as in the upstream test, so that only the Handle() step
//   matters.
#include <map>
#include <memory>
#include <mutex>
#include <weft/weft.hpp>

#include "kernel.hpp"

namespace {

using weft::bugs::unit;
using weft::bugs::version;

struct plugin {
  weft::mutex mu_;                // activateWait.L
  weft::cond_var activate_wait_;  // signalled when the plugin gets activated
  bool activated_ = false;        // guarded by mu_
  bool handlers_run_ = false;     // guarded by mu_

  void activate() {
    std::lock_guard<weft::mutex> lock(mu_);
    activated_ = true;
    handlers_run_ = true;
    activate_wait_.notify_all();
  }

  void wait_active() {
    std::unique_lock<weft::mutex> lock(mu_);
    activate_wait_.wait(lock, [this] { return activated_; });  // buggy: forever after handle()
  }
};

struct plugin_storage {
  weft::mutex mu_;
  std::map<int, std::shared_ptr<plugin>> plugins_;  // guarded by mu_
};

struct extpoint_handlers {
  weft::rw_mutex mu_;
  std::map<int, int> handlers_;  // guarded by mu_: extension point -> number of handlers
};

void handle(plugin_storage& storage, extpoint_handlers& handlers, version v) {
  std::lock_guard<weft::rw_mutex> handlers_lock(handlers.mu_);
  ++handlers.handlers_[0];
  std::lock_guard<weft::mutex> storage_lock(storage.mu_);
  for (const auto& entry : storage.plugins_) {
    plugin& p = *entry.second;
    std::lock_guard<weft::mutex> lock(p.mu_);
    if (v == version::buggy) {
      p.activated_ = false;  // a running plugin is never activated again
    } else {
      p.handlers_run_ = false;
    }
  }
}

void test_active(const std::shared_ptr<plugin>& p) {
  weft::chan<unit> done;
  weft::go("wait-active", [p, done] {
    p->wait_active();
    done.close();
  });
  done.recv();
}

void run(version v) {
  auto p = std::make_shared<plugin>();
  plugin_storage storage;
  extpoint_handlers handlers;
  {
    std::lock_guard<weft::mutex> lock(storage.mu_);
    storage.plugins_[0] = p;
  }
  weft::go("activate", [p] { p->activate(); });

  test_active(p);
  handle(storage, handlers, v);
  test_active(p);  // buggy: blocks forever
}

void buggy() { run(version::buggy); }
void fixed() { run(version::fixed); }

}  // namespace

WEFT_BUG_KERNEL("moby_29733", "moby#29733", weft::failure_kind::deadlock, buggy, fixed);
