// weft/atomic.hpp — an atomic variable whose every operation is a scheduling point in a scope.
//
//   weft::atomic<int> hits;                    // starts at 0
//   weft::wait_group wg;
//   for (int i = 0; i < 4; ++i) {
//     wg.add(1);
//     weft::go([&] { hits.fetch_add(1); wg.done(); });
//   }
//   wg.wait();                                 // hits.load() == 4 in every schedule
//
// Every operation is sequentially consistent (Go's sync/atomic). Outside a deterministic scope
// this is a std::atomic<T> and costs the same. Inside a scope each operation is one scheduling
// point (load: `atomic::load`, store: `atomic::store`, the others: `atomic::read_modify_write`),
// so the explorer interleaves tasks between atomic operations but never inside one: a
// read-modify-write never loses an update, while a load followed by a store may. For race
// detection each atomic object carries one happens-before clock: every write (store, a
// read-modify-write, a successful compare-exchange) releases into it and every read acquires it.
//
// T must be trivially copyable (as for std::atomic). fetch_add / fetch_sub exist for integral and
// floating-point T, and for pointers (by an element count). None of the operations blocks.
// Misuse: using an atomic created inside a scope from elsewhere (or vice versa) is a panic inside
// a scope and a weft::usage_error outside.
#pragma once

#include <atomic>
#include <cstddef>
#include <type_traits>

#include "weft/detail/runtime.hpp"
#include "weft/detail/source_location.hpp"

namespace weft {

template <class T>
class atomic {
  static_assert(std::is_trivially_copyable_v<T>, "weft::atomic<T> requires a trivially copyable T");

 public:
  using value_type = T;

  /// Holds a value-initialized T.
  explicit atomic(weft::source_location site = weft::source_location::current()) : value_(T{}) {
    detail::register_object(header_, detail::object_kind::atomic, site);
  }
  /// Holds `desired`.
  atomic(T desired, weft::source_location site = weft::source_location::current())  // NOLINT
      : value_(desired) {
    detail::register_object(header_, detail::object_kind::atomic, site);
  }
  atomic(const atomic&) = delete;
  atomic& operator=(const atomic&) = delete;

  T load(weft::source_location site = weft::source_location::current()) const {
    if (detail::scope* s = enter(detail::op_kind::atomic_load, "atomic::load", site)) {
      detail::hb_acquire(*s, header_.clock, detail::running_task(*s));
    }
    return value_.load();
  }
  void store(T desired, weft::source_location site = weft::source_location::current()) {
    if (detail::scope* s = enter(detail::op_kind::atomic_store, "atomic::store", site)) {
      detail::hb_release(*s, header_.clock, detail::running_task(*s));
    }
    value_.store(desired);
  }
  /// Stores `desired` and returns the previous value.
  T exchange(T desired, weft::source_location site = weft::source_location::current()) {
    read_modify_write("atomic::exchange", site);
    return value_.exchange(desired);
  }
  /// Adds `arg`, returning the previous value.
  T fetch_add(T arg, weft::source_location site = weft::source_location::current()) requires(
      std::is_integral_v<T> || std::is_floating_point_v<T>) {
    read_modify_write("atomic::fetch_add", site);
    return value_.fetch_add(arg);
  }
  T fetch_add(
      std::ptrdiff_t arg,
      weft::source_location site = weft::source_location::current()) requires std::is_pointer_v<T> {
    read_modify_write("atomic::fetch_add", site);
    return value_.fetch_add(arg);
  }
  /// Subtracts `arg`, returning the previous value.
  T fetch_sub(T arg, weft::source_location site = weft::source_location::current()) requires(
      std::is_integral_v<T> || std::is_floating_point_v<T>) {
    read_modify_write("atomic::fetch_sub", site);
    return value_.fetch_sub(arg);
  }
  T fetch_sub(
      std::ptrdiff_t arg,
      weft::source_location site = weft::source_location::current()) requires std::is_pointer_v<T> {
    read_modify_write("atomic::fetch_sub", site);
    return value_.fetch_sub(arg);
  }
  /// If the value equals `expected`, stores `desired` and returns true; otherwise loads the value
  /// into `expected` and returns false. Never fails spuriously.
  bool compare_exchange_strong(T& expected, T desired,
                               weft::source_location site = weft::source_location::current()) {
    detail::scope* s = enter(detail::op_kind::atomic_rmw, "atomic::compare_exchange_strong", site);
    const bool stored = value_.compare_exchange_strong(expected, desired);
    if (s != nullptr) {
      if (stored) {
        detail::hb_acquire_release(*s, header_.clock, detail::running_task(*s));
      } else {  // a failed exchange only reads
        detail::hb_acquire(*s, header_.clock, detail::running_task(*s));
      }
    }
    return stored;
  }

  const detail::object_header& header() const noexcept { return header_; }

 private:
  // Every operation passes here before touching the value. Inside a scope: the scheduling point,
  // and the scope (for the happens-before edges: the atomic carries one clock, header_.clock,
  // that every write releases into and every read acquires from). Production: nothing, null.
  detail::scope* enter(detail::op_kind op, const char* api,
                       const weft::source_location& site) const {
    detail::scope* s = detail::check_use(header_, api);
    if (s == nullptr || detail::tearing_down(*s)) return nullptr;
    detail::step(*s, op, &header_, site);
    // Teardown may resume a task at a non-blocking operation only so that it runs on to its
    // next blocking one: the operation is then done without any happens-before bookkeeping.
    return detail::tearing_down(*s) ? nullptr : s;
  }
  void read_modify_write(const char* api, const weft::source_location& site) {
    if (detail::scope* s = enter(detail::op_kind::atomic_rmw, api, site)) {
      detail::hb_acquire_release(*s, header_.clock, detail::running_task(*s));
    }
  }

  detail::object_header header_;
  std::atomic<T> value_;  // inside a scope only one thread touches it; seq_cst in both worlds
};

}  // namespace weft
