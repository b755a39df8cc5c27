// weft/chan.hpp — Go channels: unbuffered (rendezvous) or buffered (FIFO), closable, range-able.
//
// `chan<T>` is a copyable handle: copies share one channel, like Go's channel values.
//
//   weft::chan<int> results(16);               // buffered, capacity 16
//   weft::go([results] {
//     for (int i = 0; i < 3; ++i) results.send(i);
//     results.close();
//   });
//   for (int v : results) use(v);               // receives until closed and drained
//
// Blocking: `send` blocks until a receiver takes the value (unbuffered) or there is room in the
// buffer; `recv` blocks until a value is available or the channel is closed and drained, then
// returns std::nullopt. Inside a deterministic scope every operation is a scheduling point and a
// blocked task is "durably blocked": if nothing can unblock it weft reports a deadlock or leak.
//
// Misuse (Go panics): send on a closed channel and closing a closed channel. Inside a scope they
// fail the execution with kind `panic`; outside one they throw weft::usage_error. A channel made
// inside a scope belongs to that execution; using it from elsewhere is a panic / usage_error.
//
// `size()` and `capacity()` are not scheduling points.
#pragma once

#include <cstddef>
#include <iterator>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>
#include "weft/detail/source_location.hpp"
#include "weft/detail/tsan.hpp"

#include "weft/detail/runtime.hpp"
#include "weft/detail/wait_queue.hpp"

namespace weft {

namespace detail {

/// Engine side of one channel. In production mode `mutex` guards everything below it; inside a
/// scope there is one thread and it is unused.
template <class T>
struct chan_state : std::enable_shared_from_this<chan_state<T>> {
  object_header header;
  std::size_t capacity = 0;
  // Ring buffer. Invariant: count <= capacity; the live values are slots[(head + i) % capacity].
  std::vector<std::optional<T>> slots;
  std::size_t head = 0;
  std::size_t count = 0;
  bool closed = false;
  wait_queue recvq;  // parked receivers: slot is std::optional<T>*
  wait_queue sendq;  // parked senders: slot is T*
  std::mutex mutex;
  // Happens-before (scope mode only). A buffer slot is released into by whoever fills or empties
  // it and acquired by the next one to use it, which yields both Go rules: a send happens before
  // the receive that gets its value, and the k-th receive before the (k+C)-th send completes.
  std::vector<vector_clock> slot_clocks;
  vector_clock close_clock;  // close happens before every receive that observes it

  chan_state(std::size_t cap, const weft::source_location& site) : capacity(cap), slots(cap) {
    register_object(header, object_kind::channel, site);
    if (header.owner != nullptr) {
      slot_clocks.resize(cap);
      header.counted = this;
      header.handle_count = [](const void* self) -> long {
        return static_cast<const chan_state*>(self)->weak_from_this().use_count();
      };
    }
  }

  task* running() const noexcept { return running_task(*header.owner); }
  // Happens-before edges; scope mode only (production code has the real memory model).
  void sync_slot(std::size_t index, task* t) {
    if (header.owner != nullptr) hb_acquire_release(*header.owner, slot_clocks[index], t);
  }
  void sync_rendezvous(task* other) {
    if (header.owner != nullptr) hb_rendezvous(*header.owner, running(), other);
  }

  // Production mode, guarded by `mutex`: while `defer_wake` is set (by chan::send/recv around
  // their own try_send/try_recv), the one waiter they complete is signalled under the lock but
  // its futex wake waits in `deferred` until the caller has released the lock, so the woken
  // thread never finds the lock still held. Other callers (select, timers, close) wake at once.
  bool defer_wake = false;
  std::atomic<std::uint32_t>* deferred = nullptr;

  void wake_waiter(waiter* w) noexcept {
    if (header.owner != nullptr) {
      wake(*header.owner, w->owner);
    } else if (defer_wake && deferred == nullptr) {
      std::atomic<std::uint32_t>& signal = w->group != nullptr ? w->group->signal : w->signal;
      signal.store(1, std::memory_order_release);  // the last access to `w`, as in notify()
      deferred = &signal;
    } else {
      w->notify();  // the last access to `w`: its thread may return at once (waiter::notify)
    }
  }

  /// Appends a value sent by `sender` (the running task, or a parked sender being completed).
  void push(T&& v, task* sender) {
    const std::size_t tail = (head + count) % capacity;
    sync_slot(tail, sender);
    slots[tail].emplace(std::move(v));
    ++count;
  }
  T pop() {
    if (header.owner != nullptr) sync_slot(head, running());
    T v = std::move(*slots[head]);
    slots[head].reset();
    head = (head + 1) % capacity;
    --count;
    return v;
  }

  /// Completes a receive if possible: a buffered value (refilled from a parked sender), a parked
  /// sender's value, or nullopt from a closed channel. False: the receiver must wait.
  bool try_recv(std::optional<T>& out) {
    if (count > 0) {
      if (header.owner != nullptr) note_progress(*header.owner);
      out.emplace(pop());
      if (waiter* w = sendq.pop_claimable()) {
        push(std::move(*static_cast<T*>(w->slot)), w->owner);
        w->completed = true;
        wake_waiter(w);
      }
      return true;
    }
    if (waiter* w = sendq.pop_claimable()) {
      if (header.owner != nullptr) sync_rendezvous(w->owner);
      out.emplace(std::move(*static_cast<T*>(w->slot)));
      w->completed = true;
      wake_waiter(w);
      return true;
    }
    if (closed) {
      if (header.owner != nullptr) hb_acquire(*header.owner, close_clock, running());
      out.reset();
      return true;
    }
    return false;
  }

  bool recv_ready() noexcept { return count > 0 || closed || sendq.peek_claimable() != nullptr; }

  /// Completes a send if possible (the caller checked `closed`). False: the sender must wait.
  bool try_send(T& value) {
    if (waiter* w = recvq.pop_claimable()) {
      if (header.owner != nullptr) sync_rendezvous(w->owner);
      static_cast<std::optional<T>*>(w->slot)->emplace(std::move(value));
      w->completed = true;
      wake_waiter(w);
      return true;
    }
    if (count < capacity) {
      if (header.owner != nullptr) note_progress(*header.owner);
      push(std::move(value), header.owner != nullptr ? running() : nullptr);
      return true;
    }
    return false;
  }

  /// Production mode: runs try_send/try_recv (`op`) with the wake deferred; if it succeeded,
  /// releases `lock` and then wakes the waiter it completed, if any.
  template <class Op>
  bool complete_unlocked(std::unique_lock<std::mutex>& lock, Op op) {
    defer_wake = true;
    bool done = false;
    try {
      done = op();
    } catch (...) {
      defer_wake = false;
      if (std::atomic<std::uint32_t>* d = std::exchange(deferred, nullptr)) d->notify_one();
      throw;
    }
    defer_wake = false;
    if (!done) return false;
    std::atomic<std::uint32_t>* d = std::exchange(deferred, nullptr);
    lock.unlock();
    if (d != nullptr) d->notify_one();  // may name a record already reused: see waiter::notify
    return true;
  }

  bool send_ready() noexcept {
    return closed || count < capacity || recvq.peek_claimable() != nullptr;
  }

  /// Closes; `closer` is the task whose history the close publishes (null: none, e.g. a timer).
  void close_waking_all(task* closer = nullptr) {
    closed = true;
    if (header.owner != nullptr && closer != nullptr) {
      hb_release(*header.owner, close_clock, closer);
    }
    while (waiter* w = recvq.pop_claimable()) {
      if (header.owner != nullptr) hb_acquire(*header.owner, close_clock, w->owner);
      w->completed = false;  // the slot stays nullopt
      wake_waiter(w);
    }
    while (waiter* w = sendq.pop_claimable()) {
      w->completed = false;  // the sender panics
      wake_waiter(w);
    }
  }
};

[[noreturn]] void panic_send_on_closed(scope* s, const object_header& h,
                                       const weft::source_location& site);
[[noreturn]] void panic_close_of_closed(scope* s, const object_header& h,
                                        const weft::source_location& site);

}  // namespace detail

template <class T>
class chan {
 public:
  using value_type = T;

  /// An unbuffered channel: each send waits for a receiver.
  explicit chan(weft::source_location site = weft::source_location::current())
      : state_(std::make_shared<detail::chan_state<T>>(0, site)) {}
  /// A buffered channel holding up to `capacity` values (0 is unbuffered).
  explicit chan(std::size_t capacity, weft::source_location site = weft::source_location::current())
      : state_(std::make_shared<detail::chan_state<T>>(capacity, site)) {}

  // send and recv are forced inline, their production paths kept out of line. Inside a scope a
  // task that another one switches back to resumes in the engine's step or park and returns up
  // through its frames; the CPU's return predictor holds the frames of the task that switched,
  // so each of those returns is mispredicted. Inlined, send and recv are no frame of their own:
  // one mispredicted return fewer at every switch (measured: bench BM_weft_chan_round_trip).

  /// Sends `value`, blocking until it is received or buffered. Panics if the channel is closed.
  [[gnu::always_inline]] void send(
      T value, weft::source_location site = weft::source_location::current()) const {
    auto& st = *state_;
    detail::scope* s = detail::check_use(st.header, "chan::send");
    if (s == nullptr) {
      send_outside(st, value, site);
      return;
    }
    detail::tsan_guard tsan(s);  // weft state: invisible to TSan (tsan.hpp)
    if (detail::tearing_down(*s, detail::op_kind::chan_send)) return;
    detail::step(*s, detail::op_kind::chan_send, &st.header, site);
    if (detail::tearing_down(*s)) return;  // resumed only to be torn down
    if (st.closed) detail::panic_send_on_closed(s, st.header, site);
    if (st.try_send(value)) return;
    detail::waiter w;
    w.owner = detail::running_task(*s);
    w.slot = &value;
    st.sendq.push_back(w);
    if (!detail::park(*s, detail::op_kind::chan_send, &st.header, site)) {
      st.sendq.remove(w);
      return;
    }
    if (!w.completed) detail::panic_send_on_closed(s, st.header, site);
  }

  // g++ 12 warns, wherever recv is inlined, that the returned optional's payload "may be used
  // uninitialized" on the paths that return it disengaged (copying a disengaged optional<int>
  // copies its unset payload bytes, which nothing reads): a known false positive.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
  /// Receives a value, blocking until one is available; std::nullopt once the channel is closed
  /// and drained.
  [[gnu::always_inline]] std::optional<T> recv(
      weft::source_location site = weft::source_location::current()) const {
    auto& st = *state_;
    std::optional<T> out;  // every path returns it: NRVO, no copy of a disengaged optional
    detail::scope* s = detail::check_use(st.header, "chan::recv");
    if (s == nullptr) {
      recv_outside(st, out);
      return out;
    }
    detail::tsan_guard tsan(s);  // weft state: invisible to TSan (tsan.hpp)
    if (detail::tearing_down(*s, detail::op_kind::chan_recv)) return out;
    detail::step(*s, detail::op_kind::chan_recv, &st.header, site);
    if (detail::tearing_down(*s)) return out;  // resumed only to be torn down
    if (st.try_recv(out)) return out;
    detail::waiter w;
    w.owner = detail::running_task(*s);
    w.slot = &out;
    st.recvq.push_back(w);
    if (!detail::park(*s, detail::op_kind::chan_recv, &st.header, site)) {
      st.recvq.remove(w);
      out.reset();
    }
    return out;
  }
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

  /// Closes the channel: receivers drain what is buffered and then get std::nullopt; parked
  /// senders panic. Closing twice panics.
  void close(weft::source_location site = weft::source_location::current()) const {
    auto& st = *state_;
    detail::scope* s = detail::check_use(st.header, "chan::close");
    detail::tsan_guard tsan(s);  // weft state: invisible to TSan (tsan.hpp)
    if (s != nullptr) {
      if (detail::tearing_down(*s, detail::op_kind::chan_close)) return;
      detail::step(*s, detail::op_kind::chan_close, &st.header, site);
      if (detail::tearing_down(*s)) return;  // resumed only to be torn down
      if (st.closed) detail::panic_close_of_closed(s, st.header, site);
      st.close_waking_all(detail::running_task(*s));
      return;
    }
    std::unique_lock lock(st.mutex);
    if (st.closed) {
      lock.unlock();
      detail::panic_close_of_closed(nullptr, st.header, site);
    }
    st.close_waking_all();
  }

  /// Values buffered now (not a scheduling point).
  std::size_t size() const {
    auto& st = *state_;
    if (detail::check_use(st.header, "chan::size") != nullptr) return st.count;
    std::lock_guard lock(st.mutex);
    return st.count;
  }
  std::size_t capacity() const noexcept { return state_->capacity; }

  /// Input iterator receiving until the channel is closed and drained.
  class iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = T;
    using difference_type = std::ptrdiff_t;
    using pointer = T*;
    using reference = T&;

    iterator() = default;
    explicit iterator(const chan* c) : chan_(c) { ++*this; }
    T& operator*() { return *current_; }
    T* operator->() { return &*current_; }
    iterator& operator++() {
      current_ = chan_->recv();
      return *this;
    }
    void operator++(int) { ++*this; }
    friend bool operator==(const iterator& a, const iterator& b) {
      return !a.current_.has_value() && !b.current_.has_value();
    }

   private:
    const chan* chan_ = nullptr;
    std::optional<T> current_;
  };
  iterator begin() const { return iterator(this); }
  iterator end() const { return iterator(); }

  /// The engine-side state (used by select).
  detail::chan_state<T>& state() const noexcept { return *state_; }
  friend bool operator==(const chan& a, const chan& b) noexcept { return a.state_ == b.state_; }

 private:
  // Production mode (no scope): the channel's mutex and futex waits.
  [[gnu::noinline]] static void send_outside(detail::chan_state<T>& st, T& value,
                                             const weft::source_location& site) {
    std::unique_lock lock(st.mutex);
    if (st.closed) {
      lock.unlock();
      detail::panic_send_on_closed(nullptr, st.header, site);
    }
    if (st.complete_unlocked(lock, [&] { return st.try_send(value); })) return;
    detail::waiter w;
    w.slot = &value;
    st.sendq.push_back(w);
    lock.unlock();
    // No re-lock after waking: the waker's last access to `w` is the signal (waiter::notify),
    // so the woken thread does not queue up behind the waker on st.mutex.
    w.wait_signal();
    if (!w.completed) detail::panic_send_on_closed(nullptr, st.header, site);
  }
  [[gnu::noinline]] static void recv_outside(detail::chan_state<T>& st, std::optional<T>& out) {
    std::unique_lock lock(st.mutex);
    if (st.complete_unlocked(lock, [&] { return st.try_recv(out); })) return;
    detail::waiter w;
    w.slot = &out;
    st.recvq.push_back(w);
    lock.unlock();
    w.wait_signal();  // `out` was filled before the signal (release/acquire); no re-lock
  }

  std::shared_ptr<detail::chan_state<T>> state_;
};

}  // namespace weft
