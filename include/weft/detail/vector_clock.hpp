// weft/detail/vector_clock.hpp — vector clocks for the happens-before relation (Lamport 1978;
// Mattern 1989), stored as persistent (copy-on-write) tries so that clocks share structure.
//
// Why not a flat array: a program whose task count grows with its work — 1,000 tasks taking one
// mutex in turn — makes every lock acquisition learn everything the previous holders knew, so a
// flat clock does O(tasks) work per synchronization and the program's race detection is
// quadratic. Here a clock is a trie indexed by task id (leaves hold 64 epochs, inner nodes have 16
// children). Copying a
// clock shares its root; joining two clocks skips every subtree the two already share (pointer
// equality) and reuses whichever side dominates a subtree instead of building a new one; writing
// a component copies only the path to it when the path is shared. The clocks that flow along
// happens-before edges are mostly copies of one another, so a join costs O(subtrees that differ ×
// depth) rather than O(tasks). This is the hash-consing idea of persistent data structures
// (Driscoll, Sarnak, Sleator, Tarjan, "Making data structures persistent", JCSS 1989) applied to
// vector clocks; "tree clocks" (Mathur et al., ASPLOS 2022) bound the same cost differently, by
// recording who learned what from whom, but still copy every entry a fresh task learns.
//
// Nodes are reference counted (not atomically: a clock belongs to one engine, which runs on one
// thread) and recycled through a per-thread free list, so steady-state exploration allocates
// nothing here. Missing components are zero, and clocks only grow as far as the tasks they have
// heard of.
#pragma once

#include <cstdint>

namespace weft::detail {

class vector_clock {
 public:
  vector_clock() noexcept = default;
  vector_clock(const vector_clock& other) noexcept : root_(other.root_), height_(other.height_) {
    if (root_ != nullptr) ++root_->refs;
  }
  vector_clock(vector_clock&& other) noexcept : root_(other.root_), height_(other.height_) {
    other.root_ = nullptr;
    other.height_ = 0;
  }
  vector_clock& operator=(const vector_clock& other) noexcept {
    if (other.root_ != nullptr) ++other.root_->refs;
    release(root_);
    root_ = other.root_;
    height_ = other.height_;
    return *this;
  }
  vector_clock& operator=(vector_clock&& other) noexcept {
    if (this != &other) {
      release(root_);
      root_ = other.root_;
      height_ = other.height_;
      other.root_ = nullptr;
      other.height_ = 0;
    }
    return *this;
  }
  ~vector_clock() { release(root_); }

  /// The component of `task` (0 if this clock has never heard of it).
  std::uint32_t get(std::uint32_t task) const noexcept {
    if (root_ == nullptr || (std::uint64_t{task} >> (leaf_bits + inner_bits * height_)) != 0)
      return 0;
    const node* n = root_;
    for (unsigned level = height_; level > 0; --level) {
      n = n->children[(task >> child_shift(level)) & inner_mask];
      if (n == nullptr) return 0;
    }
    const std::uint32_t index = task & leaf_mask;
    return index < n->width ? n->epochs[index] : 0;
  }
  void set(std::uint32_t task, std::uint32_t value) { component(task, true) = value; }
  void tick(std::uint32_t task) { ++component(task, false); }
  /// this = max(this, other), component-wise.
  void join(const vector_clock& other);
  /// Forgets every component (the nodes go back to this thread's free list).
  void clear() noexcept {
    release(root_);
    root_ = nullptr;
    height_ = 0;
  }
  bool empty() const noexcept { return root_ == nullptr; }
  /// Whether the two clocks share their root (a copy not written since): a test hook, and the
  /// O(1) case of join.
  bool shares_root_with(const vector_clock& other) const noexcept {
    return root_ != nullptr && root_ == other.root_;
  }

  /// Work done by this thread's clocks since it started: nodes created (fresh or recycled) and
  /// nodes visited by joins. Tests use it to show that the cost of a synchronization does not grow
  /// with the number of tasks.
  struct work_counters {
    std::uint64_t nodes_made = 0;
    std::uint64_t nodes_merged = 0;
  };
  static work_counters work() noexcept;

 private:
  // Leaves are wider than inner nodes: a leaf comparison is one vectorized loop, and up to 64
  // tasks (most programs) keep a single-leaf clock with no indirection at all.
  static constexpr unsigned leaf_bits = 6;
  static constexpr unsigned leaf_fanout = 1u << leaf_bits;
  static constexpr std::uint32_t leaf_mask = leaf_fanout - 1;
  static constexpr std::uint32_t width_step = 8;
  static constexpr unsigned inner_bits = 4;
  static constexpr unsigned inner_fanout = 1u << inner_bits;
  static constexpr std::uint32_t inner_mask = inner_fanout - 1;
  // Which bits of a task id select the child of a node at `level` (>= 1).
  static constexpr unsigned child_shift(std::uint32_t level) noexcept {
    return leaf_bits + inner_bits * (level - 1);
  }
  // A leaf (height 0) holds the epochs of 64 consecutive task ids; an inner node of height h
  // covers 64 * 16^h ids through 16 children, any of which may be null (all zero). Invariant:
  // `refs` counts the clocks and parent nodes pointing here; a node with refs > 1 is never
  // written (copy-on-write), so every clock sharing it keeps its value.
  struct node {
    std::uint32_t refs;
    std::uint32_t height;
    // Leaves: epochs[width..64) are zero and not stored (a multiple of 8), so that a clock of a
    // few tasks compares and copies a few epochs, not 64. Inner nodes: unused.
    std::uint32_t width;
    // Identity of this node's current content: unique per thread, never reused, renewed
    // whenever the node is written in place. Invariant: if `dominates` is not 0, this node's
    // content is >= (component-wise) that of the node whose serial it is. Joins record it and
    // skip the comparison next time: a wait group's clock meets the same unchanged subtrees of
    // its releasers again and again, and without the memo would compare them all every time.
    std::uint64_t serial;
    std::uint64_t dominates;
    union {
      std::uint32_t epochs[leaf_fanout];
      node* children[inner_fanout];
    };
  };
  friend struct clock_nodes;

  // The writable component of `task`, after copying the shared nodes on its path; `lowers`: the
  // write may decrease it, so the path's `dominates` memos no longer hold.
  std::uint32_t& component(std::uint32_t task, bool lowers);
  static void release(node* n) noexcept {
    if (n != nullptr && --n->refs == 0) destroy(n);
  }
  static void destroy(node* n) noexcept;
  static node* merge(node* mine, const node* other);
  static node* unshare(node* n);
  static void widen(node* leaf, std::uint32_t entries) noexcept;

  node* root_ = nullptr;      // null: every component is zero
  std::uint32_t height_ = 0;  // root_'s height when root_ is not null
};

}  // namespace weft::detail
