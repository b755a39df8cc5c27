// Origin: Kubernetes, PR #62464 -- GoBench kernel gobench/goker/blocking/kubernetes/62464
//   (kubernetes62464_test.go).
// Bug: a recursive read lock. stateMemory.GetCPUSetOrDefault() read-locks s and then calls
//   GetCPUSet() / GetDefaultCPUSet(), which read-lock s again. If RemoveContainer()'s
//   SetDefaultCPUSet() asks for the write lock in between, Go's RWMutex makes the nested RLock wait
//   behind the writer, and the writer waits for the outer read lock: deadlock.
// Fix: GetCPUSetOrDefault() no longer locks; it just calls the two getters, which lock themselves.
// Expected kind: leak. The Go test starts both goroutines and returns; both stay blocked.
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <weft/weft.hpp>

#include "kernel.hpp"

namespace {

using weft::bugs::version;

struct state_memory {
  weft::rw_mutex mu_;

  void get_cpu_set_or_default(version v) {
    if (v == version::buggy) {
      std::shared_lock<weft::rw_mutex> lock(mu_);
      if (get_cpu_set()) return;  // read-locks mu_ again
      get_default_cpu_set();      // and again
      return;
    }
    if (get_cpu_set()) return;
    get_default_cpu_set();
  }

  bool get_cpu_set() {
    std::shared_lock<weft::rw_mutex> lock(mu_);
    return weft::choose(10) > 5;  // rand.Intn(10) > 5: whether the container has its own set
  }

  void get_default_cpu_set() { std::shared_lock<weft::rw_mutex> lock(mu_); }

  void set_default_cpu_set() { std::lock_guard<weft::rw_mutex> lock(mu_); }
};

// staticPolicy.RemoveContainer
void remove_container(state_memory& s) {
  s.get_default_cpu_set();
  s.set_default_cpu_set();
}

void run(version v) {
  auto state = std::make_shared<state_memory>();
  weft::go("reconcile-state", [state, v] { state->get_cpu_set_or_default(v); });
  weft::go("remove-container", [state] { remove_container(*state); });
}

void buggy() { run(version::buggy); }
void fixed() { run(version::fixed); }

}  // namespace

WEFT_BUG_KERNEL("kubernetes_62464", "kubernetes#62464", weft::failure_kind::leak, buggy, fixed);
