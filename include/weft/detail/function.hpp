// weft/detail/function.hpp — a move-only `void()` callable with a small inline buffer.
//
// Task bodies are often lambdas capturing a couple of handles; storing them inline keeps `go`
// free of heap allocation in the common case. Larger or throwing-move callables go to the heap.
#pragma once

#include <cstddef>
#include <new>
#include <type_traits>
#include <utility>

namespace weft::detail {

class task_fn {
 public:
  static constexpr std::size_t inline_size = 64;

  task_fn() noexcept = default;

  template <class F, class D = std::decay_t<F>,
            class = std::enable_if_t<!std::is_same_v<D, task_fn> && std::is_invocable_v<D&>>>
  task_fn(F&& f) {  // NOLINT(google-explicit-constructor): converting like std::function
    if constexpr (sizeof(D) <= inline_size && alignof(D) <= alignof(std::max_align_t) &&
                  std::is_nothrow_move_constructible_v<D>) {
      ::new (static_cast<void*>(buffer_)) D(std::forward<F>(f));
      ops_ = &inline_ops<D>;
    } else {
      *reinterpret_cast<D**>(buffer_) = new D(std::forward<F>(f));
      ops_ = &heap_ops<D>;
    }
  }

  task_fn(task_fn&& other) noexcept : ops_(other.ops_) {
    if (ops_ != nullptr) ops_->move(other.buffer_, buffer_);
    other.ops_ = nullptr;
  }
  task_fn& operator=(task_fn&& other) noexcept {
    if (this != &other) {
      reset();
      ops_ = other.ops_;
      if (ops_ != nullptr) ops_->move(other.buffer_, buffer_);
      other.ops_ = nullptr;
    }
    return *this;
  }
  task_fn(const task_fn&) = delete;
  task_fn& operator=(const task_fn&) = delete;
  ~task_fn() { reset(); }

  explicit operator bool() const noexcept { return ops_ != nullptr; }
  void operator()() { ops_->call(buffer_); }
  void reset() noexcept {
    if (ops_ != nullptr) {
      ops_->destroy(buffer_);
      ops_ = nullptr;
    }
  }

 private:
  struct ops {
    void (*call)(void*);
    void (*move)(void* from, void* to) noexcept;
    void (*destroy)(void*) noexcept;
  };
  template <class D>
  static constexpr ops inline_ops{[](void* p) { (*static_cast<D*>(p))(); },
                                  [](void* from, void* to) noexcept {
                                    ::new (to) D(std::move(*static_cast<D*>(from)));
                                    static_cast<D*>(from)->~D();
                                  },
                                  [](void* p) noexcept { static_cast<D*>(p)->~D(); }};
  template <class D>
  static constexpr ops heap_ops{
      [](void* p) { (**static_cast<D**>(p))(); },
      [](void* from, void* to) noexcept { *static_cast<D**>(to) = *static_cast<D**>(from); },
      [](void* p) noexcept { delete *static_cast<D**>(p); }};

  alignas(std::max_align_t) unsigned char buffer_[inline_size];
  const ops* ops_ = nullptr;
};

}  // namespace weft::detail
