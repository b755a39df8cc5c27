// Origin: Syncthing, PR #4829 -- GoBench kernel gobench/goker/blocking/syncthing/4829
//   (syncthing4829_test.go).
// Bug: Mapping.clearAddresses() write-locks m.mut and, while holding it, calls notify(), which
//   read-locks the same RWMutex. A reader never gets in while the writer holds the lock, so the
//   goroutine deadlocks on itself (lock, then read-lock of the same rw_mutex).
// Fix: clearAddresses() collects the removed addresses under the lock, unlocks, then notifies.
// Expected kind: leak. The Go test runs the NAT service in a goroutine and returns; that goroutine
//   stays blocked on the read lock.
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <vector>
#include <weft/weft.hpp>

#include "kernel.hpp"

namespace {

using weft::bugs::version;

using address = int;

struct mapping {
  weft::rw_mutex mut_;                            // L2
  std::map<std::string, address> ext_addresses_;  // guarded by mut_

  void clear_addresses(version v) {
    mut_.lock();
    std::vector<address> removed;
    for (const auto& entry : ext_addresses_) removed.push_back(entry.second);
    ext_addresses_.clear();
    if (v == version::buggy) {
      if (!removed.empty()) notify(removed);  // read-locks mut_ while this task write-holds it
      mut_.unlock();
    } else {
      mut_.unlock();
      if (!removed.empty()) notify(removed);
    }
  }

  void notify(const std::vector<address>& removed) {
    std::shared_lock<weft::rw_mutex> lock(mut_);
    (void)removed;  // subscribers would be told here
  }
};

struct service {
  weft::rw_mutex mut_;                              // L1
  std::vector<std::shared_ptr<mapping>> mappings_;  // guarded by mut_

  std::shared_ptr<mapping> new_mapping() {
    auto m = std::make_shared<mapping>();
    std::lock_guard<weft::rw_mutex> lock(mut_);
    mappings_.push_back(m);
    return m;
  }

  void remove_mapping(const std::shared_ptr<mapping>& m, version v) {
    std::lock_guard<weft::rw_mutex> lock(mut_);
    for (const auto& existing : mappings_) {
      if (existing == m) m->clear_addresses(v);
    }
  }
};

void run(version v) {
  weft::go("nat-service", [v] {
    service nat;
    auto m = nat.new_mapping();
    m->ext_addresses_["test"] = 0;
    nat.remove_mapping(m, v);
  });
}

void buggy() { run(version::buggy); }
void fixed() { run(version::fixed); }

}  // namespace

WEFT_BUG_KERNEL("syncthing_4829", "syncthing#4829", weft::failure_kind::leak, buggy, fixed);
