// weft/rw_mutex.hpp — a reader/writer lock with Go's sync.RWMutex semantics (SharedLockable:
// works with std::lock_guard, std::unique_lock and std::shared_lock).
//
//   weft::rw_mutex mu;
//   std::map<std::string, int> table;             // guarded by mu
//   weft::go([&] { std::unique_lock w(mu); table["a"] = 1; });            // one writer
//   weft::go([&] { std::shared_lock r(mu); int a = table["a"]; use(a); }); // many readers
//
// Semantics (exactly Go's sync.RWMutex):
// - Any number of readers may hold the lock together; a writer holds it alone.
// - Writer preference: once a writer waits (it called `lock` while readers hold the lock), every
//   *new* `lock_shared` waits too, until that writer has had its turn. A reader that already holds
//   the lock and read-locks it again while a writer waits therefore deadlocks (as in Go) — and
//   weft reports that deadlock, naming the rw_mutex.
// - When a writer unlocks, every reader that parked behind it is admitted together, before the
//   next writer; writers among themselves are served in FIFO order.
// - Not owned: any task may unlock it. Not recursive.
//
// Blocking: `lock` and `lock_shared` block as above; the `try_` variants never block
// (`try_lock_shared` fails while a writer holds *or waits for* the lock, as Go's TryRLock does).
// Inside a deterministic scope every call is a scheduling point and a blocked call is durable
// (deadlocks are found, and the writer holding the lock is named in the report).
// Outside a scope it is a real lock for threads (a small internal mutex plus FIFO waiter records,
// no busy waiting).
//
// Misuse: `unlock` when no writer holds the lock, or `unlock_shared` when no reader does, is a
// bug: kind `panic` inside a scope, weft::usage_error outside.
#pragma once

#include <cstdint>
#include <mutex>

#include "weft/detail/runtime.hpp"
#include "weft/detail/source_location.hpp"
#include "weft/detail/vector_clock.hpp"
#include "weft/detail/wait_queue.hpp"

namespace weft {

class rw_mutex {
 public:
  explicit rw_mutex(weft::source_location site = weft::source_location::current()) {
    detail::register_object(header_, detail::object_kind::rw_mutex, site);
  }
  rw_mutex(const rw_mutex&) = delete;
  rw_mutex& operator=(const rw_mutex&) = delete;

  /// Write-locks: blocks until no reader and no other writer holds the lock.
  void lock(weft::source_location site = weft::source_location::current());
  /// Write-locks if that is possible right now; never blocks.
  bool try_lock(weft::source_location site = weft::source_location::current());
  /// Releases the write lock, admitting every reader parked behind it, then the next writer.
  void unlock(weft::source_location site = weft::source_location::current());

  /// Read-locks: blocks while a writer holds or waits for the lock.
  void lock_shared(weft::source_location site = weft::source_location::current());
  /// Read-locks if no writer holds or waits for the lock; never blocks.
  bool try_lock_shared(weft::source_location site = weft::source_location::current());
  /// Releases one read lock; the last reader out lets a waiting writer in.
  void unlock_shared(weft::source_location site = weft::source_location::current());

  const detail::object_header& header() const noexcept { return header_; }

 private:
  enum class writer_state : std::uint8_t {
    none,     // no writer holds or waits for its turn
    pending,  // a writer has its turn but waits for the active readers to leave
    active,   // a writer holds the lock
  };

  void wake(detail::scope* s, detail::waiter* w) noexcept;
  void writer_in(detail::scope* s, detail::task* t);
  void reader_in(detail::scope* s, detail::task* t);
  void admit_parked_readers(detail::scope* s);
  [[noreturn]] void misuse(detail::scope* s, const char* api, const char* what,
                           const weft::source_location& site) const;

  detail::object_header header_;
  // The same state machine serves both worlds; in production mode mutex_ guards all of it.
  // Invariants: writer_ == active => readers_ == 0;
  //             writer_ == pending <=> pending_writer_ != nullptr (and then readers_ > 0);
  //             writers_ or parked_readers_ non-empty => writer_ != none.
  int readers_ = 0;                           // readers holding the lock now
  writer_state writer_ = writer_state::none;  // the writer whose turn it is
  detail::waiter* pending_writer_ = nullptr;  // that writer, parked until readers_ drops to 0
  detail::wait_queue writers_;                // writers waiting for their turn (FIFO)
  detail::wait_queue parked_readers_;         // readers parked behind a pending/active writer
  std::mutex mutex_;                          // production mode only
  // Happens-before (scope mode; Go's memory model for RWMutex): writers release into
  // header_.clock, which every later lock and lock_shared acquires; readers release into
  // readers_clock_, which only the next writer acquires (readers do not order each other).
  detail::vector_clock readers_clock_;
};

}  // namespace weft
