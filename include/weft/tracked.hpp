// weft/tracked.hpp — shared state whose every access is a scheduling point (and is checked for
// data races) inside a deterministic scope.
//
//   auto balance = std::make_shared<weft::tracked<int>>(0);
//   weft::go([balance] { balance->set(balance->get() + 10); });   // read, then write: racy
//   weft::go([balance] { balance->write([](int& b) { b += 10; }); });
//
// Wrap the plain data that tasks share in `tracked<T>` to let weft interleave tasks between the
// accesses: `get` and `read(fn)` are one read each, `set` and `write(fn)` one write each (`fn`
// sees the whole object and runs without any scheduling point of its own, unless it calls weft).
// A read-then-write such as `set(get() + 1)` is two accesses, so another task can slip in between:
// exactly the lost update weft should find. Accesses are checked against Go's happens-before
// order built from weft's synchronization primitives; two unordered accesses, one a write, are a
// `data_race`, whether or not this schedule made them collide (options::detect_races, env
// WEFT_RACE_DETECTION=0, turns the check off; the accesses stay scheduling points).
//
// Production mode (outside any scope): tracked<T> is a plain T and performs NO synchronization,
// exactly like an ordinary variable. It is meant for code under test: guard it with a weft::mutex
// (or another primitive) wherever real threads share it, as you would a plain variable.
//
// None of the operations blocks. Misuse: using a tracked object created in a scope from elsewhere
// (or vice versa) is a panic inside a scope and a weft::usage_error outside.
#pragma once

#include <utility>

#include "weft/detail/runtime.hpp"
#include "weft/detail/source_location.hpp"

namespace weft {

template <class T>
class tracked {
 public:
  tracked(T init = T{}, weft::source_location site = weft::source_location::current())  // NOLINT
      : value_(std::move(init)) {
    detail::register_object(header_, detail::object_kind::tracked, site);
  }
  tracked(const tracked&) = delete;
  tracked& operator=(const tracked&) = delete;

  /// One tracked read: a copy of the value.
  T get(weft::source_location site = weft::source_location::current()) const {
    on_access(false, site);
    return value_;
  }
  /// One tracked write.
  void set(T value, weft::source_location site = weft::source_location::current()) {
    on_access(true, site);
    value_ = std::move(value);
  }
  /// One tracked read of the whole object: returns fn(const T&).
  template <class F>
  auto read(F&& fn, weft::source_location site = weft::source_location::current()) const {
    on_access(false, site);
    return std::forward<F>(fn)(static_cast<const T&>(value_));
  }
  /// One tracked write of the whole object: returns fn(T&).
  template <class F>
  auto write(F&& fn, weft::source_location site = weft::source_location::current()) {
    on_access(true, site);
    return std::forward<F>(fn)(value_);
  }

  const detail::object_header& header() const noexcept { return header_; }

 private:
  // Every access passes here first, and only here: the scheduling point, then the data-race
  // check of this access against the earlier ones (happens-before, FastTrack; off when
  // options::detect_races is false). Production mode: nothing.
  void on_access(bool write, const weft::source_location& site) const {
    detail::scope* s = detail::check_use(header_, write ? "tracked::write" : "tracked::read");
    if (s == nullptr || detail::tearing_down(*s)) return;
    detail::step(*s, write ? detail::op_kind::tracked_write : detail::op_kind::tracked_read,
                 &header_, site);
    if (detail::tearing_down(*s)) return;  // resumed only to be unwound: no check
    detail::check_access(*s, history_, header_, write, site);
  }

  detail::object_header header_;
  T value_;  // production mode: unsynchronized, like a plain variable
  mutable detail::access_history history_;  // scope mode: earlier accesses, for the race check
};

}  // namespace weft
