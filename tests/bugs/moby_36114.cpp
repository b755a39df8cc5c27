// Origin: Moby, PR #36114 -- GoBench kernel gobench/goker/blocking/moby/36114
//   (moby36114_test.go).
// Bug: serviceVM.hotAddVHDsAtStart() locks svm and, with the lock held, calls
//   hotRemoveVHDsAtStart(), which locks svm again: a double lock.
// Fix: the caller that already holds the lock uses a variant that does not lock.
// Expected kind: leak. The Go test starts the goroutines and returns (it starts 100; two are enough
//   here); every hot-add goroutine stays blocked on its own mutex.
#include <memory>
#include <mutex>
#include <string>
#include <weft/weft.hpp>

#include "kernel.hpp"

namespace {

using weft::bugs::version;

struct service_vm {
  weft::mutex mu_;

  void hot_add_vhds_at_start(version v) {
    std::lock_guard<weft::mutex> lock(mu_);
    if (v == version::buggy) {
      hot_remove_vhds_at_start();  // locks mu_ a second time
    } else {
      hot_remove_vhds_at_start_locked();
    }
  }

  void hot_remove_vhds_at_start() {
    std::lock_guard<weft::mutex> lock(mu_);
    hot_remove_vhds_at_start_locked();
  }

  void hot_remove_vhds_at_start_locked() {}  // requires mu_
};

void run(version v) {
  for (int i = 0; i < 2; ++i) {
    weft::go("start-vm-" + std::to_string(i), [v] {
      auto svm = std::make_shared<service_vm>();
      weft::go("hot-add", [svm, v] { svm->hot_add_vhds_at_start(v); });
    });
  }
}

void buggy() { run(version::buggy); }
void fixed() { run(version::fixed); }

}  // namespace

WEFT_BUG_KERNEL("moby_36114", "moby#36114", weft::failure_kind::leak, buggy, fixed);
