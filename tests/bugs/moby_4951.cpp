// Origin: Moby, PR #4951 -- GoBench kernel gobench/goker/blocking/moby/4951
//   (moby4951_test.go).
// Bug: an AB-BA deadlock with a lock dropped and re-taken. DeleteDevice() takes the global
//   DeviceSet lock, then the device's own lock; removeDeviceAndWait() drops the global lock while
//   it waits and takes it again. A second DeleteDevice() of the same device grabs the global lock
//   in that window and blocks on the device lock, so the first one can never re-take the global
//   lock.
// Fix: lock in the order device lock, then global lock (the lookup takes the global lock only
//   briefly), so nobody waits for the device lock while holding the global one.
// Expected kind: leak. The Go test starts both deletions and returns; both stay blocked.
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <weft/weft.hpp>

#include "kernel.hpp"

namespace {

using weft::bugs::version;

struct dev_info {
  explicit dev_info(std::string name) : name_(std::move(name)) {}
  weft::mutex lock_;
  std::string name_;
};

struct device_set {
  weft::mutex mu_;  // the global lock
  std::map<std::string, std::shared_ptr<dev_info>> infos_;

  std::shared_ptr<dev_info> lookup_device(const std::string& hash) {  // requires mu_
    auto it = infos_.find(hash);
    return it == infos_.end() ? nullptr : it->second;
  }

  void delete_device(const std::string& hash, version v) {
    if (v == version::buggy) {
      std::lock_guard<weft::mutex> global(mu_);
      std::shared_ptr<dev_info> info = lookup_device(hash);
      std::lock_guard<weft::mutex> device(info->lock_);  // waits while holding the global lock
      delete_device_locked(*info);
      return;
    }
    std::shared_ptr<dev_info> info;
    {
      std::lock_guard<weft::mutex> global(mu_);
      info = lookup_device(hash);
    }
    std::lock_guard<weft::mutex> device(info->lock_);
    std::lock_guard<weft::mutex> global(mu_);
    delete_device_locked(*info);
  }

  void delete_device_locked(dev_info& info) { remove_device_and_wait(info.name_); }

  // Drops the global lock while the device goes away, then takes it again.
  void remove_device_and_wait(const std::string& devname) {
    (void)devname;
    mu_.unlock();
    weft::sleep_for(std::chrono::nanoseconds(300));
    mu_.lock();  // buggy: the other deletion holds mu_ and waits for our device lock
  }
};

std::shared_ptr<device_set> new_device_set() {
  auto devices = std::make_shared<device_set>();
  for (const char* name : {"info1", "info2"}) {
    devices->infos_[name] = std::make_shared<dev_info>(name);
  }
  return devices;
}

void run(version v) {
  auto ds = new_device_set();
  // Both delete the same device.
  weft::go("delete-device-1", [ds, v] { ds->delete_device("info1", v); });
  weft::go("delete-device-2", [ds, v] { ds->delete_device("info1", v); });
}

void buggy() { run(version::buggy); }
void fixed() { run(version::fixed); }

}  // namespace

WEFT_BUG_KERNEL("moby_4951", "moby#4951", weft::failure_kind::leak, buggy, fixed);
