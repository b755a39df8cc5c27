// weft/once.hpp — runs a function exactly once (Go's sync.Once).
//
//   weft::once init;
//   std::shared_ptr<config> cfg;
//   auto get = [&] {
//     init.call([&] { cfg = load_config(); });   // the first caller loads, the others wait
//     return cfg;                                // every caller sees the loaded config
//   };
//
// `call(fn)` runs `fn` if no call on this object has run its function yet; otherwise it does not
// run `fn`. Either way it returns only after the one function that runs has finished, so every
// caller observes its effects (for race detection: the function happens before every call that
// returns).
//
// Exceptions (as in Go, unlike std::call_once): a call whose `fn` throws still counts as done.
// The exception reaches that caller; the callers waiting for it return normally, and no later
// call runs its function.
//
// Blocking: a call blocks while another call's function runs. Inside a deterministic scope each
// call is a scheduling point and the wait is durable: calling `call` on the same object from
// inside its own function deadlocks (as in Go), and weft reports that deadlock. Outside a scope
// a finished once costs one atomic load; waiting threads sleep (no busy waiting).
#pragma once

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <utility>

#include "weft/detail/runtime.hpp"
#include "weft/detail/source_location.hpp"
#include "weft/detail/wait_queue.hpp"

namespace weft {

class once {
 public:
  explicit once(weft::source_location site = weft::source_location::current()) {
    detail::register_object(header_, detail::object_kind::once, site);
  }
  once(const once&) = delete;
  once& operator=(const once&) = delete;

  /// Runs `fn()` if no call has run its function yet, else waits for / skips it (see above).
  template <class F>
  void call(F&& fn, weft::source_location site = weft::source_location::current()) {
    if (!begin(site)) return;
    // Marks the once done on every way out of fn, a throw included (Go's defer o.done.Store(1)).
    struct finisher {
      once* self;
      ~finisher() { self->finish(); }
    } done{this};
    std::forward<F>(fn)();
  }

  const detail::object_header& header() const noexcept { return header_; }

 private:
  /// True if the caller must run its function now; false once the function has run (after
  /// waiting for it if it was running).
  bool begin(const weft::source_location& site);
  /// Called when the function returned or threw: done, and every waiter is released. Never
  /// throws and never switches tasks (it runs in a destructor, possibly during unwinding).
  void finish() noexcept;

  detail::object_header header_;
  // Scope mode. Invariant: waiters_ is non-empty only while running_.
  bool running_ = false;
  bool finished_ = false;
  detail::wait_queue waiters_;
  // Production mode: done_ is the lock-free fast path (release-stored after fn, under mutex_);
  // running_ (reused) is guarded by mutex_.
  std::atomic<bool> done_{false};
  std::mutex mutex_;
  std::condition_variable finished_cv_;
};

}  // namespace weft
