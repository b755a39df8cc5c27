// src/fiber.cpp — fibers on Boost.Context's fcontext layer, with sanitizer annotations.
//
// Why fcontext and not boost::context::fiber: a raw jump_fcontext costs ~3.5 ns here, and
// ThreadSanitizer needs __tsan_switch_to_fiber to be called in the same frame as the jump (from a
// separate instrumented function it crashes; fiber::resume() cannot be annotated exactly from the
// outside). AddressSanitizer needs __sanitizer_start/finish_switch_fiber around every switch or a
// throw on a fiber stack makes it warn that "false positives may follow".
//
// Every jump passes a `hop` (from, to) so that the resumed side can store the suspended context
// of the fiber it came from: fcontext hands that context only to whoever is resumed.
#include "fiber.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <boost/context/detail/fcontext.hpp>
#include <cstdio>
#include <cstdlib>
#include <cxxabi.h>

#if defined(__SANITIZE_ADDRESS__)
#define WEFT_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define WEFT_ASAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define WEFT_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define WEFT_TSAN 1
#endif
#endif

#ifdef WEFT_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif
#ifdef WEFT_TSAN
#include <sanitizer/tsan_interface.h>
#endif

namespace weft::detail {
namespace {

namespace ctx = boost::context::detail;

[[noreturn]] void weft_bug(const char* what) {
  std::fprintf(stderr, "weft: internal error (this is a weft bug, please report it): %s\n", what);
  std::abort();
}

std::size_t page_size() {
  static const std::size_t size = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  return size;
}

std::size_t round_up(std::size_t n, std::size_t to) { return (n + to - 1) / to * to; }

// The layout of libstdc++'s / libc++abi's per-thread exception globals (both use this layout).
struct eh_globals {
  void* caught_exceptions;
  unsigned int uncaught_exceptions;
};
// Looked up once per thread: __cxa_get_globals goes through the dynamic TLS of libstdc++.
thread_local eh_globals* cached_eh_globals = nullptr;
inline eh_globals* current_eh_globals() noexcept {
  if (cached_eh_globals == nullptr) {
    cached_eh_globals = reinterpret_cast<eh_globals*>(abi::__cxa_get_globals());
  }
  return cached_eh_globals;
}

struct hop {
  fiber* from;
  fiber* to;
};

inline void swap_exception_state(fiber& from, fiber& to) noexcept {
  eh_globals* g = current_eh_globals();
  from.eh_caught = g->caught_exceptions;
  from.eh_uncaught = g->uncaught_exceptions;
  g->caught_exceptions = to.eh_caught;
  g->uncaught_exceptions = to.eh_uncaught;
}

// Runs on the resumed side of every jump: remember where `from` was suspended, finish the
// sanitizer switch.
inline void after_resume(ctx::transfer_t t, fiber& self) noexcept {
  hop* h = static_cast<hop*>(t.data);
  h->from->context = t.fctx;
#ifdef WEFT_ASAN
  __sanitizer_finish_switch_fiber(self.asan_fake_stack, &h->from->asan_bottom,
                                  &h->from->asan_size);
#else
  (void)self;
#endif
}

void trampoline(ctx::transfer_t t) {
  fiber* self = static_cast<hop*>(t.data)->to;
  after_resume(t, *self);
  self->entry(self->entry_arg);
  weft_bug("a fiber entry returned instead of calling fiber_exit");
}

}  // namespace

stack_pool::stack_pool(std::size_t stack_size, bool guard_pages)
    : stack_size_(round_up(stack_size < 16384 ? 16384 : stack_size, page_size())),
      guard_pages_(guard_pages) {}

stack_pool::~stack_pool() {
  for (const slab& s : slabs_) {
#ifdef WEFT_ASAN
    ASAN_UNPOISON_MEMORY_REGION(s.base, s.bytes);  // leave no stale redzones behind
#endif
    ::munmap(s.base, s.bytes);
  }
}

stack_memory stack_pool::acquire() {
  if (!free_.empty()) {
    stack_memory s = free_.back();
    free_.pop_back();
#ifdef WEFT_ASAN
    // A fiber that was abandoned mid-call leaves its frames' redzones poisoned.
    ASAN_UNPOISON_MEMORY_REGION(s.base, s.size);
#endif
    return s;
  }
  const bool guard = guard_pages_ && created_ < max_guarded;
  const std::size_t stride = stack_size_ + (guard ? page_size() : 0);
  if (slab_cursor_ == nullptr || static_cast<std::size_t>(slab_end_ - slab_cursor_) < stride) {
    // Slabs grow with the pool (16 stacks, then up to 256 per mapping).
    std::size_t count = created_ < 16 ? 16 : (created_ < 256 ? created_ : 256);
    std::size_t bytes = count * (stack_size_ + page_size());
    void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) {
      std::fprintf(stderr, "weft: cannot map %zu bytes for task stacks (%zu stacks exist)\n", bytes,
                   created_);
      std::abort();
    }
    slabs_.push_back({static_cast<char*>(p), bytes});
    slab_cursor_ = static_cast<char*>(p);
    slab_end_ = slab_cursor_ + bytes;
  }
  char* region = slab_cursor_;
  slab_cursor_ += stride;
  if (guard) ::mprotect(region, page_size(), PROT_NONE);
  ++created_;
#ifdef WEFT_ASAN
  // A fresh mapping can land where an earlier pool's stacks were, whose shadow memory still
  // holds the redzones of frames that never returned.
  ASAN_UNPOISON_MEMORY_REGION(region + (guard ? page_size() : 0), stack_size_);
#endif
  return {region + (guard ? page_size() : 0), stack_size_};
}

void fiber_init_main(fiber& f) {
  f = fiber{};
#ifdef WEFT_TSAN
  f.tsan_fiber = __tsan_get_current_fiber();
#endif
}

void fiber_create(fiber& f, stack_memory stack, fiber_entry entry, void* arg) {
  f.stack = stack;
  f.entry = entry;
  f.entry_arg = arg;
  f.eh_caught = nullptr;
  f.eh_uncaught = 0;
  f.asan_fake_stack = nullptr;
  f.asan_bottom = stack.base;
  f.asan_size = stack.size;
  f.context = ctx::make_fcontext(stack.base + stack.size, stack.size, &trampoline);
#ifdef WEFT_TSAN
  f.tsan_fiber = __tsan_create_fiber(0);
#endif
}

void fiber_switch(fiber& from, fiber& to) {
  swap_exception_state(from, to);
  hop h{&from, &to};
#ifdef WEFT_ASAN
  __sanitizer_start_switch_fiber(&from.asan_fake_stack, to.asan_bottom, to.asan_size);
#endif
#ifdef WEFT_TSAN
  __tsan_switch_to_fiber(to.tsan_fiber, __tsan_switch_to_fiber_no_sync);
#endif
  ctx::transfer_t t = ctx::jump_fcontext(to.context, &h);
  after_resume(t, from);
}

void fiber_exit(fiber& from, fiber& to) {
  swap_exception_state(from, to);
  hop h{&from, &to};
#ifdef WEFT_ASAN
  __sanitizer_start_switch_fiber(nullptr, to.asan_bottom, to.asan_size);
#endif
#ifdef WEFT_TSAN
  __tsan_switch_to_fiber(to.tsan_fiber, __tsan_switch_to_fiber_no_sync);
#endif
  ctx::jump_fcontext(to.context, &h);
  weft_bug("a finished fiber was resumed");
}

void fiber_destroy(fiber& f) noexcept {
#ifdef WEFT_TSAN
  if (f.tsan_fiber != nullptr) __tsan_destroy_fiber(f.tsan_fiber);
#endif
  f.tsan_fiber = nullptr;
}

}  // namespace weft::detail
