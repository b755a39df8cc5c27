// Origin: Moby, PR #30408 -- GoBench kernel gobench/goker/blocking/moby/30408
//   (moby30408_test.go).
// Bug: when a plugin fails to activate, the error path records activateErr but neither signals
//   the plugin's condition variable nor counts as "done" for waitActive(), which loops until the
//   plugin has a manifest. A waiter of a failed plugin waits forever: the error path forgets to
//   signal.
// Fix: activation always broadcasts, and waitActive() also stops waiting once activateErr is set
//   (and returns it).
// Expected kind: deadlock. The test body waits for waitActive() and blocks with it.
// Port note: the GoBench kernel sets activateErr by hand before the wait and nobody activates;
//   here an activator task fails the activation, so the missing signal is part of the kernel.
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <weft/weft.hpp>

#include "kernel.hpp"

namespace {

using weft::bugs::unit;
using weft::bugs::version;

using error = std::string;

struct manifest {};

struct plugin {
  explicit plugin(version v) : version_(v) {}

  version version_;
  weft::mutex mu_;  // activateWait.L
  weft::cond_var activate_wait_;
  std::optional<manifest> manifest_;   // guarded by mu_; set by a successful activation
  std::optional<error> activate_err_;  // guarded by mu_

  bool activated() const { return manifest_.has_value(); }

  std::optional<error> activate_with_lock() { return error("some junk happened"); }

  void activate() {
    std::unique_lock<weft::mutex> lock(mu_);
    activate_err_ = activate_with_lock();
    if (activate_err_ && version_ == version::buggy) return;  // nobody is signalled
    lock.unlock();
    activate_wait_.notify_all();
  }

  std::optional<error> wait_active() {
    std::unique_lock<weft::mutex> lock(mu_);
    if (version_ == version::buggy) {
      while (!activated()) activate_wait_.wait(lock);  // forever: the plugin never gets active
    } else {
      while (!activated() && !activate_err_) activate_wait_.wait(lock);
    }
    return activate_err_;
  }
};

void test_active(const std::shared_ptr<plugin>& p) {
  weft::chan<unit> done;
  weft::go("wait-active", [p, done] {
    (void)p->wait_active();
    done.close();
  });
  done.recv();
}

void run(version v) {
  auto p = std::make_shared<plugin>(v);
  weft::go("activate", [p] { p->activate(); });
  test_active(p);  // buggy: blocks forever
}

void buggy() { run(version::buggy); }
void fixed() { run(version::fixed); }

}  // namespace

WEFT_BUG_KERNEL("moby_30408", "moby#30408", weft::failure_kind::deadlock, buggy, fixed);
