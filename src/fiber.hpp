// src/fiber.hpp — execution contexts and their stacks. The only part of weft that knows about
// Boost.Context (fcontext layer) and the sanitizers' fiber interfaces.
#pragma once

#include <cstddef>
#include <vector>

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

  stack_memory acquire();
  void release(stack_memory s) noexcept { free_.push_back(s); }
  std::size_t stack_size() const noexcept { return stack_size_; }
  std::size_t stacks_created() const noexcept { return created_; }

  static constexpr std::size_t max_guarded = 16384;

 private:
  std::size_t stack_size_;  // usable bytes per stack, a multiple of the page size
  bool guard_pages_;
  std::size_t created_ = 0;
  std::vector<stack_memory> free_;
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
  void* context = nullptr;      // fcontext_t of the suspended fiber; meaningless while running
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

/// Makes `f` the fiber of the calling thread (the driver). Call once per driver thread.
void fiber_init_main(fiber& f);
/// Prepares `f` to run `entry(arg)` on `stack` when first switched to. `entry` must never return:
/// it ends with fiber_exit().
void fiber_create(fiber& f, stack_memory stack, fiber_entry entry, void* arg);
/// Suspends `from` (the running fiber) and runs `to`; returns when someone switches back to `from`.
void fiber_switch(fiber& from, fiber& to);
/// Leaves the running fiber `from` for good and runs `to`. `from`'s stack may be reused as soon as
/// `to` runs.
[[noreturn]] void fiber_exit(fiber& from, fiber& to);
/// Releases sanitizer resources of a fiber that finished (call from another fiber).
void fiber_destroy(fiber& f) noexcept;

}  // namespace weft::detail
