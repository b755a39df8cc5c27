// weft/select.hpp — Go's select over channel operations.
//
//   weft::chan<int> jobs(8);
//   weft::chan<std::monostate> quit;
//   for (;;) {
//     bool stop = false;
//     weft::select(
//         weft::on_recv(jobs, [](std::optional<int> job) { if (job) handle(*job); }),
//         weft::on_recv(quit, [&](auto) { stop = true; }));
//     if (stop) break;
//   }
//
// `select(cases...)` blocks until one case can proceed, performs exactly that one, runs its
// handler and returns the case's index (0-based, in argument order). Cases:
//   on_recv(ch, fn)         fn(std::optional<T>): the value, or std::nullopt when ch is closed
//   on_send(ch, value, fn)  fn() after the value was sent
//   on_default(fn)          taken when no other case is ready: the select never blocks
// Every handler is optional (`on_recv(ch)`, `on_send(ch, v)`, `on_default()`).
//
// When several cases are ready, which runs is an explored, recorded choice inside a scope (so
// every ready case is taken in some explored schedule), and uniformly random outside, like Go.
// Blocking: parks on every channel at once (one waiter per case); a send in one select can meet
// a receive parked in another. A select with no cases and no default blocks forever (a deadlock
// or leak inside a scope). Misuse: a chosen send on a closed channel panics, as in Go.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <mutex>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>
#include "weft/detail/source_location.hpp"
#include "weft/detail/tsan.hpp"

#include "weft/chan.hpp"
#include "weft/detail/runtime.hpp"
#include "weft/detail/wait_queue.hpp"
#include "weft/task.hpp"

namespace weft {

namespace detail {

struct no_handler {
  template <class... A>
  void operator()(A&&...) const noexcept {}
};

template <class T, class F>
struct recv_case {
  chan<T> ch;
  F fn;
  std::optional<T> slot;
  weft::source_location site;
  static constexpr bool is_default = false;
};

template <class T, class F>
struct send_case {
  chan<T> ch;
  T value;
  F fn;
  weft::source_location site;
  static constexpr bool is_default = false;
};

template <class F>
struct default_case {
  F fn;
  weft::source_location site;
  static constexpr bool is_default = true;
};

template <class C>
struct case_traits;
template <class T, class F>
struct case_traits<recv_case<T, F>> {
  static constexpr bool has_channel = true;
};
template <class T, class F>
struct case_traits<send_case<T, F>> {
  static constexpr bool has_channel = true;
};
template <class F>
struct case_traits<default_case<F>> {
  static constexpr bool has_channel = false;
};

// --- per-case operations, overloaded on the case type --------------------------------------

template <class T, class F>
const object_header* header_of(recv_case<T, F>& c) noexcept {
  return &c.ch.state().header;
}
template <class T, class F>
const object_header* header_of(send_case<T, F>& c) noexcept {
  return &c.ch.state().header;
}
template <class F>
const object_header* header_of(default_case<F>&) noexcept {
  return nullptr;
}

template <class T, class F>
std::mutex* mutex_of(recv_case<T, F>& c) noexcept {
  return &c.ch.state().mutex;
}
template <class T, class F>
std::mutex* mutex_of(send_case<T, F>& c) noexcept {
  return &c.ch.state().mutex;
}
template <class F>
std::mutex* mutex_of(default_case<F>&) noexcept {
  return nullptr;
}

template <class T, class F>
bool ready(recv_case<T, F>& c) noexcept {
  return c.ch.state().recv_ready();
}
template <class T, class F>
bool ready(send_case<T, F>& c) noexcept {
  return c.ch.state().send_ready();
}
template <class F>
bool ready(default_case<F>&) noexcept {
  return false;
}

// Performs a ready case's operation now (channel state already guarded). Returns false if a
// send met a closed channel (the caller panics outside the locks).
template <class T, class F>
bool perform(recv_case<T, F>& c) {
  c.ch.state().try_recv(c.slot);
  return true;
}
template <class T, class F>
bool perform(send_case<T, F>& c) {
  auto& st = c.ch.state();
  if (st.closed) return false;
  st.try_send(c.value);
  return true;
}
template <class F>
bool perform(default_case<F>&) {
  return true;
}

template <class T, class F>
void enqueue(recv_case<T, F>& c, waiter& w) {
  w.slot = &c.slot;
  c.ch.state().recvq.push_back(w);
}
template <class T, class F>
void enqueue(send_case<T, F>& c, waiter& w) {
  w.slot = &c.value;
  c.ch.state().sendq.push_back(w);
}
template <class F>
void enqueue(default_case<F>&, waiter&) {}

template <class T, class F>
void run_handler(recv_case<T, F>& c) {
  c.fn(std::move(c.slot));
}
template <class T, class F>
void run_handler(send_case<T, F>& c) {
  c.fn();
}
template <class F>
void run_handler(default_case<F>& c) {
  c.fn();
}

template <class C>
constexpr bool is_send_case = false;
template <class T, class F>
constexpr bool is_send_case<send_case<T, F>> = true;

[[noreturn]] void panic_select_send_on_closed(scope* s, const object_header& h,
                                              const weft::source_location& site);

template <std::size_t I = 0, class Tuple, class Fn>
void visit_at(Tuple& t, std::size_t index, Fn&& fn) {
  if constexpr (I < std::tuple_size_v<Tuple>) {
    if (index == I) {
      fn(std::get<I>(t));
    } else {
      visit_at<I + 1>(t, index, std::forward<Fn>(fn));
    }
  }
}

inline weft::source_location first_site() noexcept { return weft::source_location::current(); }
template <class C, class... Rest>
weft::source_location first_site(const C& c, const Rest&...) noexcept {
  return c.site;
}

template <class... Cases>
std::size_t select_impl(const weft::source_location& site, Cases&... cases) {
  constexpr std::size_t n = sizeof...(Cases);
  constexpr std::size_t defaults = (static_cast<std::size_t>(Cases::is_default) + ... + 0);
  static_assert(defaults <= 1, "weft::select: at most one on_default case");
  auto tuple = std::tie(cases...);
  std::array<const object_header*, n> headers{header_of(cases)...};
  std::size_t default_index = n;
  {
    std::size_t i = 0;
    ((Cases::is_default ? (default_index = i, ++i) : ++i), ...);
  }

  // Which world: every channel must agree (check_use panics / throws otherwise).
  scope* s = nullptr;
  bool any_channel = false;
  for (const object_header* h : headers) {
    if (h == nullptr) continue;
    scope* hs = check_use(*h, "select");
    if (any_channel && hs != s) {
      panic(hs != nullptr ? hs : s,
            "select: mixes channels from a deterministic scope with production channels", site);
    }
    s = hs;
    any_channel = true;
  }
  if (!any_channel) s = current_scope();

  std::array<std::size_t, n + 1> ready_cases{};
  auto collect_ready = [&] {
    std::size_t count = 0;
    std::size_t i = 0;
    ((ready(cases) ? (ready_cases[count++] = i, ++i) : ++i), ...);
    return count;
  };

  if (s != nullptr) {
    tsan_guard tsan(s);  // weft state: invisible to TSan (tsan.hpp)
    if (tearing_down(*s, op_kind::select)) return n;
    step(*s, op_kind::select, any_channel ? headers[0] : nullptr, site);
    if (tearing_down(*s)) return n;  // resumed only to be torn down
    std::size_t count = collect_ready();
    std::size_t chosen = n;
    if (count > 0) {
      chosen = ready_cases[count > 1 ? explored_choice(*s, count) : 0];
      bool ok = true;
      visit_at(tuple, chosen, [&](auto& c) { ok = perform(c); });
      if (!ok) panic_select_send_on_closed(s, *headers[chosen], site);
    } else if (default_index < n) {
      chosen = default_index;
    } else {
      select_group group;
      std::array<waiter, n> waiters{};
      task* self = running_task(*s);
      std::size_t i = 0;
      auto park_case = [&](auto& c) {
        waiters[i].owner = self;
        waiters[i].group = &group;
        waiters[i].case_index = static_cast<std::uint32_t>(i);
        enqueue(c, waiters[i]);
        ++i;
      };
      (park_case(cases), ...);
      (void)park_case;
      const bool woken = park(*s, op_kind::select, any_channel ? headers[0] : nullptr, site);
      for (waiter& w : waiters) {
        if (w.queue != nullptr) w.queue->remove(w);
      }
      if (!woken) return n;
      chosen = group.winner;
      if (!waiters[chosen].completed) {
        bool is_send = false;
        visit_at(tuple, chosen,
                 [&](auto& c) { is_send = is_send_case<std::remove_reference_t<decltype(c)>>; });
        if (is_send) panic_select_send_on_closed(s, *headers[chosen], site);
        // A receive woken by close: the slot stays nullopt.
      }
    }
    {
      tsan_unguard user_code(s);  // the case's handler is the program's code: checked
      visit_at(tuple, chosen, [](auto& c) { run_handler(c); });
    }
    return chosen;
  }

  // Production mode: lock every distinct channel in address order (only to avoid lock-order
  // deadlocks between selects; it never influences which case is taken).
  std::array<std::mutex*, n> mutexes{mutex_of(cases)...};
  std::sort(mutexes.begin(), mutexes.end());
  auto end = std::unique(mutexes.begin(), mutexes.end());
  auto lock_all = [&] {
    for (auto it = mutexes.begin(); it != end; ++it) {
      if (*it != nullptr) (*it)->lock();
    }
  };
  auto unlock_all = [&] {
    for (auto it = end; it != mutexes.begin();) {
      --it;
      if (*it != nullptr) (*it)->unlock();
    }
  };
  lock_all();
  std::size_t count = collect_ready();
  std::size_t chosen = n;
  if (count > 0) {
    chosen = ready_cases[count > 1 ? production_choose(count) : 0];
    bool ok = true;
    visit_at(tuple, chosen, [&](auto& c) { ok = perform(c); });
    unlock_all();
    if (!ok) panic_select_send_on_closed(nullptr, *headers[chosen], site);
  } else if (default_index < n) {
    unlock_all();
    chosen = default_index;
  } else {
    select_group group;
    std::array<waiter, n> waiters{};
    std::size_t i = 0;
    auto park_case = [&](auto& c) {
      waiters[i].group = &group;
      waiters[i].case_index = static_cast<std::uint32_t>(i);
      enqueue(c, waiters[i]);
      ++i;
    };
    (park_case(cases), ...);
    (void)park_case;
    unlock_all();
    if constexpr (n > 0) {
      waiters[0].wait_signal();
    } else {
      group.signal.wait(0);  // select {} blocks forever, like Go
    }
    lock_all();  // the waker signals under its channel's lock: once we hold all, it is done
    for (waiter& w : waiters) {
      if (w.queue != nullptr) w.queue->remove(w);
    }
    unlock_all();
    chosen = group.winner;
    if (!waiters[chosen].completed) {
      bool is_send = false;
      visit_at(tuple, chosen,
               [&](auto& c) { is_send = is_send_case<std::remove_reference_t<decltype(c)>>; });
      if (is_send) panic_select_send_on_closed(nullptr, *headers[chosen], site);
    }
  }
  visit_at(tuple, chosen, [](auto& c) { run_handler(c); });
  return chosen;
}

}  // namespace detail

/// A receive case: fn(std::optional<T>) gets the value, or std::nullopt if ch is closed.
template <class T, class F = detail::no_handler>
detail::recv_case<T, std::decay_t<F>> on_recv(
    chan<T> ch, F&& fn = {}, weft::source_location site = weft::source_location::current()) {
  return {std::move(ch), std::forward<F>(fn), std::nullopt, site};
}

/// A send case: fn() runs after `value` was sent.
template <class T, class V, class F = detail::no_handler>
detail::send_case<T, std::decay_t<F>> on_send(
    chan<T> ch, V&& value, F&& fn = {},
    weft::source_location site = weft::source_location::current()) {
  return {std::move(ch), T(std::forward<V>(value)), std::forward<F>(fn), site};
}

/// The default case: taken when no other case is ready.
template <class F = detail::no_handler>
detail::default_case<std::decay_t<F>> on_default(
    F&& fn = {}, weft::source_location site = weft::source_location::current()) {
  return {std::forward<F>(fn), site};
}

/// Blocks until one case can proceed, performs it, runs its handler; returns its index. Reports
/// show the select at the line of its first case.
template <class... Cases>
std::size_t select(Cases&&... cases) {
  return detail::select_impl(detail::first_site(cases...), cases...);
}

}  // namespace weft
