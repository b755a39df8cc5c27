// weft/lock_guard.hpp — std::lock_guard that remembers where the lock was taken.
//
// `std::lock_guard lock(mu)` calls `mu.lock()` from inside <mutex>, so a report can only name a
// line of the standard library ("mutex::lock at std_mutex.h:229"). `weft::lock_guard` takes the
// caller's source location and passes it on, so reports name the line that took the lock:
//
//   weft::mutex mu;
//   weft::go([&] {
//     weft::lock_guard lock(mu);  // a deadlock report points here
//     ++balance;
//   });
//
// Works with every weft lock with `lock(site)`/`unlock(site)` (weft::mutex, weft::rw_mutex's
// exclusive side); behaves like std::lock_guard otherwise: locks in the constructor (blocking
// like `Mutex::lock`), unlocks in the destructor, neither copyable nor movable. Outside a
// deterministic scope it costs nothing more than std::lock_guard (the site is not used there).
#pragma once

#include "weft/detail/source_location.hpp"

namespace weft {

template <class Mutex>
class lock_guard {
 public:
  using mutex_type = Mutex;

  explicit lock_guard(Mutex& m, weft::source_location site = weft::source_location::current())
      : mutex_(m), site_(site) {
    mutex_.lock(site_);
  }
  ~lock_guard() { mutex_.unlock(site_); }
  lock_guard(const lock_guard&) = delete;
  lock_guard& operator=(const lock_guard&) = delete;

 private:
  Mutex& mutex_;
  weft::source_location site_;
};

}  // namespace weft
