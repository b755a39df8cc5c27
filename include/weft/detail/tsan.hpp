// weft/detail/tsan.hpp — ThreadSanitizer inside deterministic scopes (-DWEFT_SANITIZE=thread).
//
// Not part of the public contract. Inside a scope the tasks are fibers of one thread; the fiber
// layer (src/fiber.cpp) gives each its own TSan "thread" and switches between them with
// __tsan_switch_to_fiber(..., no_sync), so TSan sees no synchronization between tasks except the
// edges weft emits: every happens-before edge of Go's memory model (detail::hb_*, the `go` edge
// of fiber creation, and every switch to or from the driver) becomes __tsan_release /
// __tsan_acquire. TSan then reports races on plain memory between tasks.
//
// weft's own state (engine tables, wait queues, channel buffers, primitive fields) is shared by
// all fibers and ordered only by the single thread, which TSan cannot see. Every scope-mode
// primitive operation and engine entry point therefore runs under a `tsan_guard`, which makes
// TSan ignore the fiber's plain memory accesses (not its synchronization) until it ends. User
// code called from inside an operation (once's callable) runs under a `tsan_unguard`. The ignore
// count belongs to the fiber, so a task that parks inside a guarded operation keeps it, and the
// task that runs next resumes inside its own.
//
// Without TSan every type here is empty and every function a no-op.
#pragma once

#if defined(__SANITIZE_THREAD__)
#define WEFT_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define WEFT_TSAN 1
#endif
#endif

#ifdef WEFT_TSAN
// Exported by g++'s libtsan and clang's runtime, but not declared by every tsan_interface.h.
extern "C" {
void __tsan_ignore_thread_begin(void);
void __tsan_ignore_thread_end(void);
}
#endif

namespace weft::detail {

class scope;

/// Whether this is a -fsanitize=thread build (every synchronization edge then goes to TSan).
#ifdef WEFT_TSAN
inline constexpr bool tsan_build = true;
#else
inline constexpr bool tsan_build = false;
#endif

#ifdef WEFT_TSAN
/// Open tsan_guards of the running fiber (fiber_switch saves and restores it per fiber), so that
/// a fiber abandoned by teardown can end them all before its last switch.
inline constinit thread_local int tsan_guard_depth = 0;
/// Set (per thread) when TSan reported a race inside a scope that is not a weft failure yet.
inline constinit thread_local bool tsan_report_pending = false;
/// Turns the pending TSan report into a data_race failure of the running execution (fiber.cpp).
void tsan_flush_report();

/// `as` (a fiber's TSan handle, fiber::tsan_fiber) acquires / releases the sync object at `addr`,
/// whether or not it is the running fiber: a parked task woken by another one acquires at the
/// moment of the handoff, like its vector clock does (fiber.cpp).
void tsan_acquire_as(void* as, const void* addr) noexcept;
void tsan_release_as(void* as, const void* addr) noexcept;
/// Names a fiber in TSan reports ("weft task 3 worker"), and lets reports name the task.
void tsan_name_fiber(void* fiber, unsigned task_id, const char* name) noexcept;

/// Ignores the running fiber's plain memory accesses while alive (scope mode only: `s` null, i.e.
/// production mode, is real threads and must stay fully checked).
class tsan_guard {
 public:
  explicit tsan_guard(const scope* s) noexcept : active_(s != nullptr) {
    if (active_) {
      if (tsan_report_pending) tsan_flush_report();
      __tsan_ignore_thread_begin();
      ++tsan_guard_depth;
    }
  }
  ~tsan_guard() {
    if (active_) {
      --tsan_guard_depth;
      __tsan_ignore_thread_end();
    }
  }
  tsan_guard(const tsan_guard&) = delete;
  tsan_guard& operator=(const tsan_guard&) = delete;

 private:
  bool active_;
};

/// User code called from inside a guarded operation: checked again while alive.
class tsan_unguard {
 public:
  explicit tsan_unguard(const scope* s) noexcept : active_(s != nullptr) {
    if (active_) {
      --tsan_guard_depth;
      __tsan_ignore_thread_end();
    }
  }
  ~tsan_unguard() {
    if (active_) {
      __tsan_ignore_thread_begin();
      ++tsan_guard_depth;
    }
  }
  tsan_unguard(const tsan_unguard&) = delete;
  tsan_unguard& operator=(const tsan_unguard&) = delete;

 private:
  bool active_;
};

/// Ignores the running fiber until its last switch (fiber_exit, or teardown abandoning it), where
/// tsan_end_exit_ignores ends them: TSan warns about a fiber destroyed with ignores enabled. One
/// counter per thread suffices: a fiber holding such ignores runs to its end without switching.
inline constinit thread_local int tsan_exit_ignores = 0;
inline void tsan_ignore_until_exit() noexcept {
  __tsan_ignore_thread_begin();
  ++tsan_exit_ignores;
}
inline void tsan_end_exit_ignores() noexcept {
  while (tsan_exit_ignores > 0) {
    --tsan_exit_ignores;
    __tsan_ignore_thread_end();
  }
}
/// A fiber abandoned by teardown (it never resumes): ends every ignore it holds.
inline void tsan_end_all_ignores() noexcept {
  tsan_end_exit_ignores();
  while (tsan_guard_depth > 0) {
    --tsan_guard_depth;
    __tsan_ignore_thread_end();
  }
}
/// A task being unwound by teardown: the execution has ended, what its destructors touch is no
/// race of the program.
inline void tsan_ignore_rest_of_fiber() noexcept {
  if (tsan_exit_ignores == 0) tsan_ignore_until_exit();
}
/// A task that finished: a pending report becomes a failure, then weft state until the exit.
inline void tsan_task_exit_begin() noexcept {
  if (tsan_report_pending) tsan_flush_report();
  tsan_ignore_until_exit();
}
#else
inline void tsan_flush_report() {}
inline void tsan_acquire_as(void*, const void*) noexcept {}
inline void tsan_release_as(void*, const void*) noexcept {}
inline void tsan_name_fiber(void*, unsigned, const char*) noexcept {}
class tsan_guard {
 public:
  explicit tsan_guard(const scope*) noexcept {}
};
class tsan_unguard {
 public:
  explicit tsan_unguard(const scope*) noexcept {}
};
inline void tsan_ignore_until_exit() noexcept {}
inline void tsan_end_exit_ignores() noexcept {}
inline void tsan_end_all_ignores() noexcept {}
inline void tsan_ignore_rest_of_fiber() noexcept {}
inline void tsan_task_exit_begin() noexcept {}
#endif

}  // namespace weft::detail
