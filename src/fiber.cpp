// src/fiber.cpp — fibers: pooled stacks, context switches, sanitizer annotations.
//
// Two switch implementations behind one interface (fiber.hpp): weft's own `ret`-based switch in
// plain x86-64 builds (weft_swap_context, below: why), and Boost.Context's fcontext layer
// everywhere else — sanitizer builds, whose annotations are written for it, and other targets.
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

#include "weft/detail/tsan.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cxxabi.h>
#include <boost/context/detail/fcontext.hpp>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#if defined(__SANITIZE_ADDRESS__)
#define WEFT_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define WEFT_ASAN 1
#endif
#endif

#ifdef WEFT_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif
#ifdef WEFT_TSAN
#include <sanitizer/common_interface_defs.h>
#include <sanitizer/tsan_interface.h>

#include <atomic>
#include <cstring>
#include <string>
#include <thread>

#include "weft/detail/runtime.hpp"
#include "weft/explore.hpp"
#endif

#ifdef WEFT_OWN_SWITCH
// weft's own context switch (plain x86-64 System V builds; see fiber.hpp for when it is used).
//
// Why not jump_fcontext: it saves the same registers, but resumes the other fiber with
// `pop %r8; jmp *%r8`. The `call` into the switch pushed an entry on the CPU's return stack
// buffer that no `ret` consumes, so in the resumed fiber every return up to its next call is
// predicted from the wrong entry, one frame off, and mispredicted (≈ 15-20 cycles each).
// weft_swap_context resumes with `ret`: fibers suspend at the same few call sites in the engine
// (a task suspends in switch_to, called from step or park), so the return address the buffer
// predicts is usually the one taken, and the frames above it stay in step with it. Measured on a
// two-fiber ping-pong: ≈ 13 ns per switch at any call depth, against 12, 21, 24, 30 ns with 1 to
// 4 frames above jump_fcontext (bench/RESULTS.md has the engine-level figures).
//
// Frame of a suspended fiber, from its saved stack pointer up:
//   [MXCSR (low 32 bits) | x87 control word (bits 32-47)]  r15 r14 r13 r12 rbx rbp  return address
// The control words belong to the context, as in fcontext: a task that changes the rounding
// mode must not change it for the others. A fresh stack holds the same frame, built by
// fresh_frame(), whose return address is weft_fiber_start; weft_swap_context leaves its `arg`
// in %rax, which weft_fiber_start passes to weft_fiber_entry. The CFI of weft_fiber_start marks
// the outermost frame (the return address is undefined), so unwinders and debuggers stop there.
//
// Not shadow-stack (CET) aware, like the fcontext variant Debian builds: returning into another
// fiber is exactly what a shadow stack forbids.
extern "C" void weft_fiber_start();
asm(R"(
        .text
        .globl  weft_swap_context
        .hidden weft_swap_context
        .type   weft_swap_context, @function
        .p2align 4
weft_swap_context:
        pushq   %rbp
        pushq   %rbx
        pushq   %r12
        pushq   %r13
        pushq   %r14
        pushq   %r15
        leaq    -8(%rsp), %rsp
        stmxcsr (%rsp)
        fnstcw  4(%rsp)
        movq    %rsp, (%rdi)
        movq    %rsi, %rsp
        ldmxcsr (%rsp)
        fldcw   4(%rsp)
        leaq    8(%rsp), %rsp
        popq    %r15
        popq    %r14
        popq    %r13
        popq    %r12
        popq    %rbx
        popq    %rbp
        movq    %rdx, %rax
        ret
        .size   weft_swap_context, .-weft_swap_context

        .globl  weft_fiber_start
        .hidden weft_fiber_start
        .type   weft_fiber_start, @function
        .p2align 4
weft_fiber_start:
        .cfi_startproc
        .cfi_undefined rip
        movq    %rax, %rdi
        call    weft_fiber_entry
        ud2
        .cfi_endproc
        .size   weft_fiber_start, .-weft_fiber_start
)");
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

using hop = fiber_hop;

#ifdef WEFT_TSAN
// Task-to-task switches carry no synchronization (no_sync): only weft's explicit edges order
// tasks, so TSan sees the races a real scheduler could produce. A switch to or from the driver
// (the main fiber, which has no stack of its own) does synchronize: the driver starts the body
// and, after the execution, unwinds and reuses everything the tasks touched.
inline unsigned tsan_switch_flags(const fiber& from, const fiber& to) noexcept {
  return (from.stack.base == nullptr || to.stack.base == nullptr)
             ? 0u
             : static_cast<unsigned>(__tsan_switch_to_fiber_no_sync);
}
#endif

#ifndef WEFT_OWN_SWITCH
// Runs on the resumed side of every jump: remember where `from` was suspended, finish the
// sanitizer switch.
inline void after_resume(ctx::transfer_t t, fiber& self) noexcept {
  hop* h = static_cast<hop*>(t.data);
  h->from->context = t.fctx;
#ifdef WEFT_ASAN
  __sanitizer_finish_switch_fiber(self.asan_fake_stack, &h->from->asan_bottom, &h->from->asan_size);
#else
  (void)self;
#endif
}
#else
// The floating-point control words every fresh fiber starts with: the driver thread's, read once
// by fiber_init_main (reading them costs more than the rest of a fiber's set-up). A task starts
// with the same modes whichever task spawned it: schedule-independent.
thread_local std::uint64_t fresh_fp_control = 0;

std::uint64_t read_fp_control() noexcept {
  std::uint32_t mxcsr = 0;
  std::uint16_t x87_cw = 0;
  asm volatile("stmxcsr %0\n\tfnstcw %1" : "=m"(mxcsr), "=m"(x87_cw));
  return static_cast<std::uint64_t>(mxcsr) | (static_cast<std::uint64_t>(x87_cw) << 32);
}

// The frame weft_swap_context restores for a fiber that never ran (layout above fiber.cpp's
// assembly): zeroed callee-saved registers, the driver's control words, and weft_fiber_start as
// the return address. Returns the stack pointer to store in fiber::context.
void* fresh_frame(stack_memory stack) noexcept {
  auto top = reinterpret_cast<std::uintptr_t>(stack.base + stack.size) & ~std::uintptr_t{15};
  auto* sp = reinterpret_cast<std::uint64_t*>(top);
  // After the `ret` into weft_fiber_start the stack pointer is `top`, 16-byte aligned as the ABI
  // wants before a call.
  *--sp = reinterpret_cast<std::uint64_t>(&weft_fiber_start);
  for (int i = 0; i < 6; ++i) *--sp = 0;  // rbp rbx r12 r13 r14 r15
  *--sp = fresh_fp_control;
  return sp;
}
#endif

#ifndef WEFT_OWN_SWITCH
void trampoline(ctx::transfer_t t) {
#ifdef WEFT_TSAN
  // A fresh fiber touches the records of the fiber it came from: weft state (see tsan.hpp).
  __tsan_ignore_thread_begin();
#endif
  fiber* self = static_cast<hop*>(t.data)->to;
  after_resume(t, *self);
#ifdef WEFT_TSAN
  tsan_guard_depth = 0;  // a fresh fiber holds no guard
  __tsan_ignore_thread_end();
#endif
  self->entry(self->entry_arg);
  weft_bug("a fiber entry returned instead of calling fiber_exit");
}
#endif

}  // namespace

#ifdef WEFT_OWN_SWITCH
// Where weft_fiber_start sends a fresh fiber (its first resume passed the fiber as `arg`).
extern "C" [[noreturn]] void weft_fiber_entry(void* self_fiber);
extern "C" void weft_fiber_entry(void* self_fiber) {
  fiber* self = static_cast<fiber*>(self_fiber);
  self->entry(self->entry_arg);
  weft_bug("a fiber entry returned instead of calling fiber_exit");
}
#endif

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

stack_memory stack_pool::acquire_slow() {
  if (free_count_ != 0) {
    stack_memory s = free_[--free_count_];
#ifdef WEFT_ASAN
    // A fiber that was abandoned mid-call leaves its frames' redzones poisoned.
    ASAN_UNPOISON_MEMORY_REGION(s.base, s.size);
#endif
#ifdef WEFT_TSAN
    // TSan's shadow of this stack still holds the accesses of the fiber that used it last, which
    // nothing orders with the next one. Mapping fresh pages over it (atomically, MAP_FIXED)
    // resets that shadow in TSan's mmap interceptor. TSan builds only: it costs a system call.
    if (::mmap(s.base, s.size, PROT_READ | PROT_WRITE,
               MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0) == MAP_FAILED) {
      weft_bug("cannot remap a task stack");
    }
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
  free_.resize(created_);  // its slot for release (see the invariant)
#ifdef WEFT_ASAN
  // A fresh mapping can land where an earlier pool's stacks were, whose shadow memory still
  // holds the redzones of frames that never returned.
  ASAN_UNPOISON_MEMORY_REGION(region + (guard ? page_size() : 0), stack_size_);
#endif
  return {region + (guard ? page_size() : 0), stack_size_};
}

void fiber_init_main(fiber& f) {
  f = fiber{};
#ifdef WEFT_OWN_SWITCH
  fresh_fp_control = read_fp_control();
#endif
#ifdef WEFT_TSAN
  f.tsan_fiber = __tsan_get_current_fiber();
  // A process that never created a thread is "single threaded" to glibc (__libc_single_threaded),
  // and libstdc++ then counts shared_ptr references with plain, non-atomic arithmetic: TSan would
  // report every handle copied between tasks. Tasks stand for threads, so be a threaded process.
  static const bool threaded = [] {
    std::thread([] {}).join();
    return true;
  }();
  (void)threaded;
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
#ifdef WEFT_OWN_SWITCH
  f.context = fresh_frame(stack);
#else
  f.context = ctx::make_fcontext(stack.base + stack.size, stack.size, &trampoline);
#endif
#ifdef WEFT_TSAN
  f.tsan_fiber = __tsan_create_fiber(0);
#endif
}

#ifdef WEFT_FIBER_ANNOTATED  // else inline in fiber.hpp
void fiber_switch(fiber& from, fiber& to) {
  swap_exception_state(from, to);
  hop h{&from, &to};
#ifdef WEFT_ASAN
  __sanitizer_start_switch_fiber(&from.asan_fake_stack, to.asan_bottom, to.asan_size);
#endif
  // Read `to` before telling TSan: after __tsan_switch_to_fiber every access counts as `to`'s.
  void* const target = to.context;
#ifdef WEFT_TSAN
  const int guard_depth = tsan_guard_depth;  // per fiber: kept in this frame while suspended
  __tsan_switch_to_fiber(to.tsan_fiber, tsan_switch_flags(from, to));
#endif
  ctx::transfer_t t = ctx::jump_fcontext(target, &h);
#ifdef WEFT_TSAN
  tsan_guard_depth = guard_depth;
#endif
  after_resume(t, from);
}
#endif

#ifdef WEFT_OWN_SWITCH  // fiber_exit is inline (fiber.hpp)
void fiber_resumed_after_exit() { weft_bug("a finished fiber was resumed"); }
#else
void fiber_exit(fiber& from, fiber& to) {
  swap_exception_state(from, to);
  hop h{&from, &to};
#ifdef WEFT_ASAN
  __sanitizer_start_switch_fiber(nullptr, to.asan_bottom, to.asan_size);
#endif
  void* const target = to.context;  // read `to` first (see fiber_switch)
#ifdef WEFT_TSAN
  void* const target_tsan = to.tsan_fiber;
  const unsigned flags = tsan_switch_flags(from, to);
  tsan_end_exit_ignores();  // the fiber's last instructions: TSan checks ignores at its end
  __tsan_switch_to_fiber(target_tsan, flags);
#endif
  ctx::jump_fcontext(target, &h);
  weft_bug("a finished fiber was resumed");
}
#endif

#ifdef WEFT_FIBER_ANNOTATED  // else inline in fiber.hpp
void fiber_destroy(fiber& f) noexcept {
#ifdef WEFT_TSAN
  if (f.tsan_fiber != nullptr) __tsan_destroy_fiber(f.tsan_fiber);
#endif
  f.tsan_fiber = nullptr;
}
#endif

#ifdef WEFT_TSAN
// --- ThreadSanitizer edges and reports (see weft/detail/tsan.hpp) ----------------------------

// Acting as another fiber: switch TSan's notion of the current fiber, acquire or release, and
// switch back, all in this frame and with no instrumented access in between (the same rule as
// for a real switch). Only the vector clocks move; no stack changes.
namespace {
template <void (*edge)(void*)>
void edge_as(void* as, const void* addr) noexcept {
  void* self = __tsan_get_current_fiber();
  if (as == nullptr || as == self) {
    edge(const_cast<void*>(addr));
    return;
  }
  __tsan_switch_to_fiber(as, __tsan_switch_to_fiber_no_sync);
  edge(const_cast<void*>(addr));
  __tsan_switch_to_fiber(self, __tsan_switch_to_fiber_no_sync);
}
}  // namespace

void tsan_acquire_as(void* as, const void* addr) noexcept { edge_as<&__tsan_acquire>(as, addr); }
void tsan_release_as(void* as, const void* addr) noexcept { edge_as<&__tsan_release>(as, addr); }

namespace {
constexpr char fiber_name_prefix[] = "weft task ";

bool has_prefix(const char* s, const char* prefix) noexcept {
  for (; *prefix != '\0'; ++s, ++prefix) {
    if (*s != *prefix) return false;
  }
  return true;
}

// What __tsan_on_report saw, kept until the running task reaches weft code again (the report
// callback runs inside TSan's reporting, under its locks: it must not allocate or call into
// weft). Per thread: each driver thread has its own fibers.
struct tsan_access {
  bool valid = false;
  bool write = false;
  bool atomic = false;
  int size = 0;
  int tid = -1;
  void* trace[16] = {};
  char thread[64] = {};
};
struct tsan_pending {
  char description[48] = {};
  tsan_access access[2];
};
thread_local tsan_pending pending_report;

// Reports TSan printed, and those that became weft failures: if every report of the process was
// turned into a weft failure, the weft verdict (a failed test) stands instead of TSan's exit code.
std::atomic<unsigned> reports_total{0};
std::atomic<unsigned> reports_taken{0};

// The first frame of `trace` in the program: not in the standard library (/usr/...), weft's
// headers, the sanitizer runtime (tsan_*.cpp, sanitizer_*.cpp), nor without a known line.
std::string user_site(void* const* trace) {
  char buf[2048];
  for (int i = 0; i < 16 && trace[i] != nullptr; ++i) {
    buf[0] = '\0';
    __sanitizer_symbolize_pc(trace[i], "%s:%l", buf, sizeof buf);
    // One string per (inlined) frame, innermost first, ended by an empty one.
    for (const char* frame = buf; *frame != '\0' && frame < buf + sizeof buf;
         frame += std::strlen(frame) + 1) {
      std::string_view f(frame);
      if (f.starts_with("/usr/") || f.find("include/weft/") != std::string_view::npos ||
          f.starts_with("??") || f.starts_with("<null>") || f.ends_with(":0") ||
          f.find("sanitizer") != std::string_view::npos || f.find("compiler-rt") != f.npos) {
        continue;
      }
      const bool absolute = f.starts_with("/");
      if (std::size_t slash = f.find_last_of('/'); slash != std::string_view::npos) {
        f.remove_prefix(slash + 1);
      }
      // The runtime's own sources come with relative paths (tsan_new_delete.cpp, ...).
      if (!absolute && (f.starts_with("tsan_") || f.starts_with("sanitizer_"))) continue;
      return std::string(f);
    }
  }
  return "an unknown location";
}
}  // namespace

void tsan_name_fiber(void* fiber, unsigned task_id, const char* name) noexcept {
  if (fiber == nullptr) return;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s%u %s", fiber_name_prefix, task_id, name);
  __tsan_set_fiber_name(fiber, buf);
}

void tsan_flush_report() {
  __tsan_ignore_thread_begin();  // weft state, like every engine entry point
  struct end_ignore {
    ~end_ignore() { __tsan_ignore_thread_end(); }
  } end;
  tsan_report_pending = false;
  tsan_pending p = pending_report;
  scope_state* st = tls_scope_state;
  if (st == nullptr || st->current_ == nullptr || st->tearing_down_) return;
  auto who = [&](const tsan_access& a) {
    // Fibers are named "weft task <id> <name>" (tsan_name_fiber).
    unsigned id = 0;
    int name_at = 0;
    if (std::sscanf(a.thread, "weft task %u %n", &id, &name_at) == 1 && name_at > 0) {
      const std::string name(a.thread + name_at);
      return "task \"" + (name.empty() ? "task-" + std::to_string(id) : name) + "\" (#" +
             std::to_string(id) + ")";
    }
    return std::string("thread T") + std::to_string(a.tid) + (a.thread[0] ? " (" : "") + a.thread +
           (a.thread[0] ? ")" : "");
  };
  auto line = [&](const tsan_access& a) {
    return std::string("  ") + (a.atomic ? "atomic " : "") + (a.write ? "write" : "read") +
           " of size " + std::to_string(a.size) + " by " + who(a) + " at " + user_site(a.trace) +
           "\n";
  };
  std::string headline = std::string("ThreadSanitizer: ") + p.description;
  if (p.access[0].valid && p.access[1].valid) {
    headline += " between " + who(p.access[1]) + " and " + who(p.access[0]) + " (plain memory)";
  }
  std::string evidence;
  for (int i = 1; i >= 0; --i) {
    if (p.access[i].valid) evidence += line(p.access[i]);
  }
  evidence +=
      "  ThreadSanitizer printed the full report with both stacks above (\"WARNING: "
      "ThreadSanitizer\"); nothing weft knows of orders the two accesses\n";
  report_user_failure(failure_kind::data_race, headline, evidence);
}

}  // namespace weft::detail

// The TSan runtime's report inspection interface (tsan_debugging.cpp; no public header).
extern "C" {
int __tsan_get_report_data(void* report, const char** description, int* count, int* stack_count,
                           int* mop_count, int* loc_count, int* mutex_count, int* thread_count,
                           int* unique_tid_count, void** sleep_trace, unsigned long trace_size);
int __tsan_get_report_mop(void* report, unsigned long idx, int* tid, void** addr, int* size,
                          int* write, int* atomic, void** trace, unsigned long trace_size);
int __tsan_get_report_thread(void* report, unsigned long idx, int* tid, unsigned long* os_id,
                             int* running, const char** name, int* parent_tid, void** trace,
                             unsigned long trace_size);
}

// Called by the TSan runtime (both g++'s libtsan and clang's) after it printed a report. Inside a
// scope, while a task runs, the report is remembered and becomes a weft failure (with its replay
// token) at the task's next entry into weft: tsan_guard or the end of the task. Not instrumented:
// it runs inside TSan's reporting.
extern "C" __attribute__((no_sanitize("thread"))) void __tsan_on_report(void* report) {
  using namespace weft::detail;
  reports_total.fetch_add(1, std::memory_order_relaxed);
  scope_state* st = tls_scope_state;
  if (st == nullptr || st->current_ == nullptr || st->tearing_down_) return;
  // Our own bookkeeping below (through interceptors such as snprintf) is no program access.
  __tsan_ignore_thread_begin();
  struct end_ignore {
    ~end_ignore() { __tsan_ignore_thread_end(); }
  } end;
  const char* description = nullptr;
  int count = 0, stacks = 0, mops = 0, locs = 0, mutexes = 0, threads = 0, unique_tids = 0;
  void* sleep_trace[1] = {};
  if (__tsan_get_report_data(report, &description, &count, &stacks, &mops, &locs, &mutexes,
                             &threads, &unique_tids, sleep_trace, 1) == 0 ||
      description == nullptr) {
    return;
  }
  const bool race = has_prefix(description, "data-race");
  if (!race && !has_prefix(description, "heap-use-after-free")) return;
  // A race while a task runs belongs to an execution that fails with it (or already failed: the
  // task runs on to its next scheduling point, and may race again on the way).
  reports_taken.fetch_add(1, std::memory_order_relaxed);
  if (tsan_report_pending) return;
  tsan_pending& p = pending_report;
  p = tsan_pending{};
  std::snprintf(p.description, sizeof p.description, "%s",
                race ? "data race" : "heap use after free (a race with free)");
  for (int i = 0; i < mops && i < 2; ++i) {
    tsan_access& a = p.access[i];
    void* addr = nullptr;
    int write = 0, atomic = 0;
    if (__tsan_get_report_mop(report, static_cast<unsigned long>(i), &a.tid, &addr, &a.size, &write,
                              &atomic, a.trace, 16) == 0) {
      continue;
    }
    a.valid = true;
    a.write = write != 0;
    a.atomic = atomic != 0;
    for (int k = 0; k < threads; ++k) {
      int tid = -1, running = 0, parent = -1;
      unsigned long os_id = 0;
      const char* name = nullptr;
      void* trace[1] = {};
      if (__tsan_get_report_thread(report, static_cast<unsigned long>(k), &tid, &os_id, &running,
                                   &name, &parent, trace, 1) != 0 &&
          tid == a.tid && name != nullptr) {
        std::snprintf(a.thread, sizeof a.thread, "%s", name);
      }
    }
  }
  tsan_report_pending = true;
}

// The TSan runtime's verdict at exit (both runtimes call this weak hook): a process whose every
// report became a weft failure is judged by those failures (the test that did not expect one
// fails; a test that expects a race passes), not by TSan's exit code.
namespace __tsan {
bool OnFinalize(bool failed) {
  using namespace weft::detail;
  const unsigned total = reports_total.load();
  if (failed && total > 0 && total == reports_taken.load()) return false;
  return failed;
}
}  // namespace __tsan

namespace weft::detail {
#endif

}  // namespace weft::detail
