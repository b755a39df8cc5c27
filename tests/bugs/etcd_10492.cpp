// Origin: etcd, PR #10492 -- GoBench kernel gobench/goker/blocking/etcd/10492
//   (etcd10492_test.go).
// Bug: lessor.Renew() write-locks le.mu and, still holding it, calls the checkpointer callback,
//   which calls lessor.Checkpoint(), which write-locks le.mu again: a double lock through a
//   callback.
// Fix: Renew() releases le.mu before calling the checkpointer (upstream swaps the deferred unlock
//   for a no-op and unlocks by hand before the callback).
// Expected kind: leak. The Go test runs the lessor in a goroutine and returns; that goroutine stays
//   blocked on le.mu.
#include <functional>
#include <memory>
#include <mutex>
#include <weft/weft.hpp>

#include "kernel.hpp"

namespace {

using weft::bugs::version;

using checkpointer = std::function<void(const weft::context&)>;

struct lessor {
  weft::rw_mutex mu_;
  checkpointer cp_;  // guarded by mu_

  void checkpoint() {
    std::lock_guard<weft::rw_mutex> lock(mu_);  // buggy: Renew() already holds mu_
  }

  void set_checkpointer(checkpointer cp) {
    std::lock_guard<weft::rw_mutex> lock(mu_);
    cp_ = std::move(cp);
  }

  void renew(version v) {
    std::unique_lock<weft::rw_mutex> lock(mu_);
    if (!cp_) return;
    if (v == version::buggy) {
      cp_(weft::context::background());  // calls back into checkpoint() with mu_ held
      return;
    }
    checkpointer cp = cp_;
    lock.unlock();
    cp(weft::context::background());
  }
};

void run(version v) {
  weft::go("lessor", [v] {
    auto le = std::make_shared<lessor>();
    // The callback only runs while this task (which owns `le`) is inside renew().
    lessor* raw = le.get();
    le->set_checkpointer([raw](const weft::context&) { raw->checkpoint(); });
    le->mu_.lock();
    le->mu_.unlock();
    le->renew(v);
  });
}

void buggy() { run(version::buggy); }
void fixed() { run(version::fixed); }

}  // namespace

WEFT_BUG_KERNEL("etcd_10492", "etcd#10492", weft::failure_kind::leak, buggy, fixed);
