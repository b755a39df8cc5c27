// Registry of the GoBench "GoKer" bug kernels ported to weft (see /shared/BUGS.md).
//
// Every kernel file defines, in an anonymous namespace, a `buggy()` body that contains the original
// concurrency bug and a `fixed()` twin with the upstream fix, and registers both with
// WEFT_BUG_KERNEL. The bodies are meant to be run under `weft::explore`; they must be
// deterministic (no real time, no std::rand, no addresses) and small enough to run 10,000 times.
//
// This header stays free of any test framework so that the benchmark can link the kernels too.
#pragma once

#include <cstdint>
#include <mutex>
#include <stdexcept>
#include <variant>
#include <vector>
#include <weft/weft.hpp>

namespace weft::bugs {

// One registered kernel.
struct kernel {
  const char* name;             // "cockroach_584": file name, test name
  const char* origin;           // "cockroach#584": project and pull request upstream
  weft::failure_kind expected;  // kind the buggy version must be reported with
  void (*buggy)();              // body with the bug
  void (*fixed)();              // body with the upstream fix: no failure in any schedule
};

// Every registered kernel, sorted by name (the order is the same in every run).
std::vector<kernel>& registry();

// Adds a kernel to registry() during static initialisation; see WEFT_BUG_KERNEL.
struct registrar {
  explicit registrar(kernel k);
};

// Which twin of a kernel a shared helper is running.
enum class version { buggy, fixed };

// Element type of channels that only signal (Go's `chan struct{}`).
using unit = std::monostate;

// Thrown by weft_expect. weft reports an exception escaping a task as kind uncaught_exception.
class expectation_failed : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

// A kernel-level assertion: throws expectation_failed carrying `what` when `ok` is false.
inline void weft_expect(bool ok, const char* what) {
  if (!ok) throw expectation_failed(what);
}

// Exploration options of the default kernel suite: `strategy` (random unless asked otherwise),
// seed 0, 10,000 executions.
inline weft::options kernel_options(weft::strategy strategy = weft::strategy::random) {
  weft::options opts;
  opts.strategy = strategy;
  opts.seed = 0;
  opts.iterations = 10'000;
  return opts;
}

// One integer field that Go code accesses both with sync/atomic and with plain loads and stores.
//
// weft::atomic and weft::tracked are separate objects, so a single word that is sometimes accessed
// atomically and sometimes plainly is modelled as one tracked cell: the atomic operations are
// serialised by a private mutex, which gives them the happens-before edges that Go's
// (sequentially consistent) atomics have, while the plain operations are bare tracked accesses
// that race with everything they are not ordered with -- exactly what Go's race detector reports.
template <class T>
class mixed_atomic {
 public:
  explicit mixed_atomic(T init = T{}) : value_(init) {}

  // atomic.AddT(&x, delta): returns the new value.
  T atomic_add(T delta) {
    std::lock_guard<weft::mutex> lock(mu_);
    T result{};
    value_.write([&](T& v) {
      v += delta;
      result = v;
    });
    return result;
  }
  // atomic.LoadT(&x)
  T atomic_load() {
    std::lock_guard<weft::mutex> lock(mu_);
    return value_.get();
  }
  // x (a plain read)
  T plain_load() const { return value_.get(); }
  // x += delta (a plain read, then a plain write: an update in between is lost)
  void plain_add(T delta) {
    T old = value_.get();
    value_.set(old + delta);
  }

 private:
  weft::mutex mu_;
  weft::tracked<T> value_;
};

}  // namespace weft::bugs

#define WEFT_BUGS_CONCAT_INNER(a, b) a##b
#define WEFT_BUGS_CONCAT(a, b) WEFT_BUGS_CONCAT_INNER(a, b)

// Registers a kernel: WEFT_BUG_KERNEL("cockroach_584", "cockroach#584",
//                                     weft::failure_kind::leak, buggy, fixed);
#define WEFT_BUG_KERNEL(NAME, ORIGIN, KIND, BUGGY, FIXED)                                 \
  static ::weft::bugs::registrar WEFT_BUGS_CONCAT(weft_bug_kernel_registrar_, __LINE__) { \
    ::weft::bugs::kernel { NAME, ORIGIN, KIND, BUGGY, FIXED }                             \
  }
