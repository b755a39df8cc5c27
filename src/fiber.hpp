// src/fiber.hpp — execution contexts and their stacks. The only part of weft that knows about
// Boost.Context (fcontext layer), the sanitizers' fiber interfaces, and machine registers (its
// x86-64 switch, in fiber.cpp).
#pragma once

#include <cxxabi.h>

#include <boost/context/detail/fcontext.hpp>
#include <cstddef>
#include <vector>

// Sanitizer builds keep fiber_switch out of line (fiber.cpp): its annotations must stay in the
// frame of the jump. Plain builds inline it (see fiber_switch below).
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define WEFT_FIBER_ANNOTATED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define WEFT_FIBER_ANNOTATED 1
#endif
#endif

// Plain x86-64 ELF builds switch with weft's own routine (weft_swap_context, fiber.cpp) instead of
// Boost.Context's jump_fcontext: it resumes the other fiber with `ret`, which keeps the CPU's
// return-address predictor in step (see fiber.cpp for the measurement). Sanitizer builds, other
// targets, builds with return-address protection (-fcf-protection=return or full: a shadow stack
// forbids returning into another fiber) and builds that define WEFT_FIBER_BOOST_JUMP use
// jump_fcontext.
#if defined(__CET__)
#define WEFT_SHADOW_STACK_BUILD ((__CET__ & 2) != 0)
#else
#define WEFT_SHADOW_STACK_BUILD 0
#endif
#if !defined(WEFT_FIBER_ANNOTATED) && !defined(WEFT_FIBER_BOOST_JUMP) && defined(__x86_64__) && \
    defined(__ELF__) && !WEFT_SHADOW_STACK_BUILD
#define WEFT_OWN_SWITCH 1
#endif

namespace weft::detail {

/// One task stack. `base` is the lowest usable address; the stack grows down from base + size.
struct stack_memory {
  char* base = nullptr;
  std::size_t size = 0;
};

/// Stacks are expensive to map and cheap to reuse, so every stack ever handed out comes back here
/// and is reused by later tasks and executions. Stacks are carved from large mappings (slabs) to
/// stay far below vm.max_map_count; with guard pages on, each stack gets one PROT_NONE page below
/// it until `max_guarded` stacks exist (each guard splits the mapping, costing map entries), after
/// which new stacks are unguarded.
class stack_pool {
 public:
  stack_pool(std::size_t stack_size, bool guard_pages);
  ~stack_pool();
  stack_pool(const stack_pool&) = delete;
  stack_pool& operator=(const stack_pool&) = delete;

  stack_memory acquire() {
#ifndef WEFT_FIBER_ANNOTATED  // sanitizer builds prepare a reused stack first (fiber.cpp)
    if (free_count_ != 0) return free_[--free_count_];
#endif
    return acquire_slow();
  }
  /// `s` came from this pool's acquire(). Never allocates (free_ has a slot for every stack).
  void release(stack_memory s) noexcept { free_[free_count_++] = s; }
  std::size_t stack_size() const noexcept { return stack_size_; }
  std::size_t stacks_created() const noexcept { return created_; }

  static constexpr std::size_t max_guarded = 16384;

 private:
  std::size_t stack_size_;  // usable bytes per stack, a multiple of the page size
  bool guard_pages_;
  stack_memory acquire_slow();

  std::size_t created_ = 0;
  // The released stacks are free_[0, free_count_). Invariant: free_.size() == created_ (a slot for
  // every stack, so release never allocates) and free_count_ <= created_.
  std::vector<stack_memory> free_;
  std::size_t free_count_ = 0;
  struct slab {
    char* base;
    std::size_t bytes;
  };
  std::vector<slab> slabs_;
  char* slab_cursor_ = nullptr;  // next unused byte in the newest slab
  char* slab_end_ = nullptr;
};

using fiber_entry = void (*)(void* arg);

/// A suspended (or running) execution context. The engine embeds one per task plus one for the
/// thread that drives the engine ("main").
struct fiber {
  // The suspended fiber's saved stack pointer (an fcontext_t under Boost.Context); meaningless
  // while it runs.
  void* context = nullptr;
  stack_memory stack;           // empty for the main fiber
  fiber_entry entry = nullptr;  // what a new fiber runs first
  void* entry_arg = nullptr;
  // Per-fiber C++ exception state (__cxa_eh_globals), swapped on every switch so that a fiber
  // suspended inside a catch handler or during unwinding cannot corrupt another's.
  void* eh_caught = nullptr;
  unsigned int eh_uncaught = 0;
  // Sanitizer bookkeeping (unused in plain builds).
  void* asan_fake_stack = nullptr;
  const void* asan_bottom = nullptr;
  std::size_t asan_size = 0;
  void* tsan_fiber = nullptr;
};

/// What every jump passes to the resumed side: fcontext hands the suspended context of `from`
/// only to whoever is resumed, which stores it in from->context.
struct fiber_hop {
  fiber* from;
  fiber* to;
};

// The layout of libstdc++'s / libc++abi's per-thread exception globals (both use this layout).
struct fiber_eh_globals {
  void* caught_exceptions;
  unsigned int uncaught_exceptions;
};
// Looked up once per thread: __cxa_get_globals goes through the dynamic TLS of libstdc++.
inline constinit thread_local fiber_eh_globals* cached_eh_globals = nullptr;
inline fiber_eh_globals* current_eh_globals() noexcept {
  if (cached_eh_globals == nullptr) {
    cached_eh_globals = reinterpret_cast<fiber_eh_globals*>(abi::__cxa_get_globals());
  }
  return cached_eh_globals;
}
/// Part of every switch: `from` keeps the thread's exception state, `to` gets its own back.
[[gnu::always_inline]] inline void swap_exception_state(fiber& from, fiber& to) noexcept {
  fiber_eh_globals* g = current_eh_globals();
  from.eh_caught = g->caught_exceptions;
  from.eh_uncaught = g->uncaught_exceptions;
  g->caught_exceptions = to.eh_caught;
  g->uncaught_exceptions = to.eh_uncaught;
}

/// Makes `f` the fiber of the calling thread (the driver). Call once per engine, on its driver
/// thread: fibers created afterwards start with the floating-point control modes it has now.
void fiber_init_main(fiber& f);
/// Prepares `f` to run `entry(arg)` on `stack` when first switched to. `entry` must never return:
/// it ends with fiber_exit().
void fiber_create(fiber& f, stack_memory stack, fiber_entry entry, void* arg);
/// Suspends `from` (the running fiber) and runs `to`; returns when someone switches back to `from`.
#ifdef WEFT_FIBER_ANNOTATED
void fiber_switch(fiber& from, fiber& to);
#elif defined(WEFT_OWN_SWITCH)
/// Saves the callee-saved registers and the floating-point control words on the running stack,
/// stores the stack pointer in *save, loads `target` (a pointer saved the same way, or a fresh
/// stack from fiber_create) and returns into it. Returns `arg` on the resumed side of a fresh
/// fiber (its start routine reads it); a resumed fiber ignores the value. Written in assembly in
/// fiber.cpp.
extern "C" void* weft_swap_context(void** save, void* target, void* arg) noexcept;
// Inlined into the engine's scheduling points: a switch is the exception-state swap and one call.
[[gnu::always_inline]] inline void fiber_switch(fiber& from, fiber& to) {
  swap_exception_state(from, to);  // per-fiber exception state (see fiber)
  weft_swap_context(&from.context, to.context, &to);
}
#else
// Inlined into the engine's scheduling points, and not for the call alone: jump_fcontext resumes
// the other fiber with an indirect jmp, not a ret, so the CPU's return stack buffer keeps the
// entry of the call into jump_fcontext and every return of the resumed fiber up to its next call
// is predicted one frame off and mispredicted. One frame less between the jump and the
// primitive that reached the scheduling point is one misprediction less per switch (measured
// here: a ping-pong with 1, 2, 3 frames above the jump costs about 12, 21, 24 ns per switch).
[[gnu::always_inline]] inline void fiber_switch(fiber& from, fiber& to) {
  namespace ctx = boost::context::detail;
  swap_exception_state(from, to);  // per-fiber exception state (see fiber)
  fiber_hop h{&from, &to};
  const ctx::transfer_t t = ctx::jump_fcontext(to.context, &h);
  static_cast<fiber_hop*>(t.data)->from->context = t.fctx;
}
#endif
/// Leaves the running fiber `from` for good and runs `to`. `from`'s stack may be reused as soon as
/// `to` runs.
#ifdef WEFT_OWN_SWITCH
/// Reports that a finished fiber was resumed (a weft bug) and aborts.
[[noreturn]] void fiber_resumed_after_exit();
[[noreturn, gnu::always_inline]] inline void fiber_exit(fiber& from, fiber& to) {
  swap_exception_state(from, to);
  weft_swap_context(&from.context, to.context, &to);
  fiber_resumed_after_exit();
}
#else
[[noreturn]] void fiber_exit(fiber& from, fiber& to);
#endif
/// Releases sanitizer resources of a fiber that finished (call from another fiber).
#ifdef WEFT_FIBER_ANNOTATED
void fiber_destroy(fiber& f) noexcept;
#else
inline void fiber_destroy(fiber& f) noexcept { f.tsan_fiber = nullptr; }  // nothing to release
#endif

}  // namespace weft::detail
