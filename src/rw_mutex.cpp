// src/rw_mutex.cpp — Go's sync.RWMutex, both worlds.
//
// Go's implementation (sync/rwmutex.go) is a writer mutex `w`, a reader count that a writer
// drives negative to announce itself, and two semaphores. Its observable behaviour is the state
// machine below, written once and shared by both modes:
//   - a writer first takes its *turn* (Go: w.Lock()); writers wait for their turn in FIFO order;
//   - with its turn it waits for the readers already inside to leave (pending), then holds the
//     lock (active); from the moment it has its turn, new readers park (writer preference);
//   - unlock admits every parked reader at once (they count as holding the lock from that
//     instant), then hands the turn to the next writer, who waits for those readers to leave.
// Ownership moves by hand-off: whoever releases the lock updates the state on behalf of the woken
// task, so a woken task never re-checks anything and the order is exactly the one above.
//
// Inside a scope the only thread is the engine's and the waker calls detail::wake. In production
// mode mutex_ guards the state; a blocked thread sleeps on its waiter's signal and re-locks
// mutex_ after waking, so the waker (which signals under mutex_) is done with the record before
// the record's stack frame can go away.
//
// Teardown: every scheduling point is followed by a tearing_down check. When an execution ends,
// the engine unwinds the tasks still alive, newest first, and a task suspended at a non-blocking
// operation (an unlock, a release, a notify) is resumed to run on rather than unwound there; by
// then the waiter records of tasks already unwound are gone, so the operation must not touch its
// queues: it returns at once.
#include "weft/rw_mutex.hpp"
#include "weft/detail/tsan.hpp"

#include <string>

namespace weft {

namespace {

std::string name_of(const detail::object_header& h) {
  if (h.owner != nullptr) return detail::describe(h);
  return "rw_mutex (created at " + detail::format_site(h.created) + ")";
}

}  // namespace

void rw_mutex::wake(detail::scope* s, detail::waiter* w) noexcept {
  if (s != nullptr) {
    detail::wake(*s, w->owner);
  } else {
    w->notify();
  }
}

// The task `t` now holds the write lock: every earlier unlock and unlock_shared happened before.
void rw_mutex::writer_in(detail::scope* s, detail::task* t) {
  if (s == nullptr) return;
  detail::hb_acquire(*s, header_.clock, t);
  detail::hb_acquire(*s, readers_clock_, t);
}

// The task `t` now holds a read lock: every earlier (writer's) unlock happened before.
void rw_mutex::reader_in(detail::scope* s, detail::task* t) {
  if (s != nullptr) detail::hb_acquire(*s, header_.clock, t);
}

void rw_mutex::admit_parked_readers(detail::scope* s) {
  while (detail::waiter* r = parked_readers_.pop_claimable()) {
    ++readers_;
    reader_in(s, r->owner);
    wake(s, r);
  }
}

void rw_mutex::misuse(detail::scope* s, const char* api, const char* what,
                      const weft::source_location& site) const {
  detail::panic(s, std::string(api) + ": " + what + " " + name_of(header_), site);
}

// --- writers -------------------------------------------------------------------------------

void rw_mutex::lock(weft::source_location site) {
  detail::scope* s = detail::check_use(header_, "rw_mutex::lock");
  detail::tsan_guard tsan(s);  // weft state: invisible to TSan (tsan.hpp)
  std::unique_lock<std::mutex> guard;
  detail::waiter w;
  if (s != nullptr) {
    if (detail::tearing_down(*s, detail::op_kind::rw_lock)) return;
    detail::step(*s, detail::op_kind::rw_lock, &header_, site);
    if (detail::tearing_down(*s)) return;  // resumed only to be unwound
    w.owner = detail::running_task(*s);
  } else {
    guard = std::unique_lock(mutex_);
  }
  if (writer_ == writer_state::none) {
    if (readers_ == 0) {
      writer_ = writer_state::active;
      header_.holder = s != nullptr ? detail::id_of(w.owner) : detail::no_task;
      writer_in(s, w.owner);
      return;
    }
    writer_ = writer_state::pending;  // our turn; new readers park from now on
    pending_writer_ = &w;
  } else {
    writers_.push_back(w);
  }
  // Woken only once we hold the lock (the waker set writer_ = active and the holder).
  if (s != nullptr) {
    if (!detail::park(*s, detail::op_kind::rw_lock, &header_, site)) {
      writers_.remove(w);
      if (pending_writer_ == &w) pending_writer_ = nullptr;
    }
    return;
  }
  guard.unlock();
  w.wait_signal();
  guard.lock();
}

bool rw_mutex::try_lock(weft::source_location site) {
  detail::scope* s = detail::check_use(header_, "rw_mutex::try_lock");
  detail::tsan_guard tsan(s);  // weft state: invisible to TSan (tsan.hpp)
  std::unique_lock<std::mutex> guard;
  if (s != nullptr) {
    if (detail::tearing_down(*s, detail::op_kind::rw_try_lock)) return false;
    detail::step(*s, detail::op_kind::rw_try_lock, &header_, site);
    if (detail::tearing_down(*s)) return false;  // resumed only to be unwound
  } else {
    guard = std::unique_lock(mutex_);
  }
  if (writer_ != writer_state::none || readers_ != 0) return false;
  writer_ = writer_state::active;
  if (s != nullptr) {
    header_.holder = detail::id_of(detail::running_task(*s));
    writer_in(s, detail::running_task(*s));
  }
  return true;
}

void rw_mutex::unlock(weft::source_location site) {
  detail::scope* s = detail::check_use(header_, "rw_mutex::unlock");
  detail::tsan_guard tsan(s);  // weft state: invisible to TSan (tsan.hpp)
  std::unique_lock<std::mutex> guard;
  if (s != nullptr) {
    if (detail::tearing_down(*s, detail::op_kind::rw_unlock)) return;
    detail::step(*s, detail::op_kind::rw_unlock, &header_, site);
    if (detail::tearing_down(*s)) return;  // resumed only to be unwound
  } else {
    guard = std::unique_lock(mutex_);
  }
  if (writer_ != writer_state::active) {
    if (guard.owns_lock()) guard.unlock();
    misuse(s, "rw_mutex::unlock", "unlock of unlocked", site);
  }
  writer_ = writer_state::none;
  header_.holder = detail::no_task;
  if (s != nullptr) detail::hb_release(*s, header_.clock, detail::running_task(*s));
  // Readers parked behind us go first, all together...
  admit_parked_readers(s);
  // ...then the next writer takes its turn and waits for them to leave.
  if (detail::waiter* next = writers_.pop_claimable()) {
    if (readers_ == 0) {
      writer_ = writer_state::active;
      header_.holder = next->owner != nullptr ? detail::id_of(next->owner) : detail::no_task;
      writer_in(s, next->owner);
      wake(s, next);
    } else {
      writer_ = writer_state::pending;
      pending_writer_ = next;  // stays parked
    }
  }
}

// --- readers -------------------------------------------------------------------------------

void rw_mutex::lock_shared(weft::source_location site) {
  detail::scope* s = detail::check_use(header_, "rw_mutex::lock_shared");
  detail::tsan_guard tsan(s);  // weft state: invisible to TSan (tsan.hpp)
  std::unique_lock<std::mutex> guard;
  detail::waiter w;
  if (s != nullptr) {
    if (detail::tearing_down(*s, detail::op_kind::rw_lock_shared)) return;
    detail::step(*s, detail::op_kind::rw_lock_shared, &header_, site);
    if (detail::tearing_down(*s)) return;  // resumed only to be unwound
    w.owner = detail::running_task(*s);
  } else {
    guard = std::unique_lock(mutex_);
  }
  if (writer_ == writer_state::none) {
    ++readers_;
    reader_in(s, w.owner);
    return;
  }
  parked_readers_.push_back(w);
  // Woken only once admitted (the writer's unlock already counted us in readers_).
  if (s != nullptr) {
    if (!detail::park(*s, detail::op_kind::rw_lock_shared, &header_, site)) {
      parked_readers_.remove(w);
    }
    return;
  }
  guard.unlock();
  w.wait_signal();
  guard.lock();
}

bool rw_mutex::try_lock_shared(weft::source_location site) {
  detail::scope* s = detail::check_use(header_, "rw_mutex::try_lock_shared");
  detail::tsan_guard tsan(s);  // weft state: invisible to TSan (tsan.hpp)
  std::unique_lock<std::mutex> guard;
  if (s != nullptr) {
    if (detail::tearing_down(*s, detail::op_kind::rw_try_lock_shared)) return false;
    detail::step(*s, detail::op_kind::rw_try_lock_shared, &header_, site);
    if (detail::tearing_down(*s)) return false;  // resumed only to be unwound
  } else {
    guard = std::unique_lock(mutex_);
  }
  if (writer_ != writer_state::none) return false;  // held or awaited by a writer (Go's TryRLock)
  ++readers_;
  if (s != nullptr) reader_in(s, detail::running_task(*s));
  return true;
}

void rw_mutex::unlock_shared(weft::source_location site) {
  detail::scope* s = detail::check_use(header_, "rw_mutex::unlock_shared");
  detail::tsan_guard tsan(s);  // weft state: invisible to TSan (tsan.hpp)
  std::unique_lock<std::mutex> guard;
  if (s != nullptr) {
    if (detail::tearing_down(*s, detail::op_kind::rw_unlock_shared)) return;
    detail::step(*s, detail::op_kind::rw_unlock_shared, &header_, site);
    if (detail::tearing_down(*s)) return;  // resumed only to be unwound
  } else {
    guard = std::unique_lock(mutex_);
  }
  if (readers_ == 0) {
    if (guard.owns_lock()) guard.unlock();
    misuse(s, "rw_mutex::unlock_shared", "unlock_shared of read-unlocked", site);
  }
  --readers_;
  if (s != nullptr) detail::hb_release(*s, readers_clock_, detail::running_task(*s));
  if (readers_ == 0 && writer_ == writer_state::pending) {
    detail::waiter* w = pending_writer_;
    pending_writer_ = nullptr;
    writer_ = writer_state::active;
    header_.holder = w->owner != nullptr ? detail::id_of(w->owner) : detail::no_task;
    writer_in(s, w->owner);
    wake(s, w);
  }
}

}  // namespace weft
