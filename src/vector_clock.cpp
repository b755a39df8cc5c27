// Persistent vector clocks (weft/detail/vector_clock.hpp): the trie operations and the node pool.
//
// Ownership convention of the helpers: a `node*` parameter named `mine` is an owned reference
// (the callee consumes it), `other` is borrowed, and every returned node is an owned reference.
#include "weft/detail/vector_clock.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <new>

namespace weft::detail {

// Freed nodes are kept per thread (each exploring thread has its own engine) so that steady-state
// exploration allocates nothing. A node freed on another thread than the one that made it simply
// joins that thread's list. The list is capped: a burst of 100,000 tasks should not pin its peak
// memory forever.
struct clock_nodes {
  using node = vector_clock::node;
  static constexpr std::size_t max_cached = std::size_t{1} << 15;

  struct free_list {
    node* head = nullptr;  // linked through children[0]
    std::size_t count = 0;
    ~free_list() {
      while (head != nullptr) {
        node* next = head->children[0];
        ::operator delete(head);
        head = next;
      }
      count = 0;
      gone = true;
    }
  };
  static thread_local free_list cache;
  // Set once this thread's cache is destroyed: a clock destroyed later (a static object outliving
  // the thread's locals) frees its nodes directly.
  static thread_local bool gone;
  static thread_local std::uint64_t serials;  // the last serial given to a node on this thread
  static thread_local vector_clock::work_counters work;

  static node* allocate(std::uint32_t height) {
    ++work.nodes_made;
    node* n;
    if (!gone && cache.head != nullptr) {
      n = cache.head;
      cache.head = n->children[0];
      --cache.count;
    } else {
      n = static_cast<node*>(::operator new(sizeof(node)));
    }
    n->refs = 1;
    n->height = height;
    n->width = 0;
    n->serial = ++serials;
    n->dominates = 0;
    return n;
  }
  static node* allocate_zeroed(std::uint32_t height) {
    node* n = allocate(height);
    if (height > 0) std::fill(std::begin(n->children), std::end(n->children), nullptr);
    return n;  // a leaf of width 0 is all zero
  }
  static void recycle(node* n) noexcept {
    if (gone || cache.count >= max_cached) {
      ::operator delete(n);
      return;
    }
    n->children[0] = cache.head;
    cache.head = n;
    ++cache.count;
  }
};

thread_local clock_nodes::free_list clock_nodes::cache;
thread_local bool clock_nodes::gone = false;
thread_local std::uint64_t clock_nodes::serials = 0;
thread_local vector_clock::work_counters clock_nodes::work;

vector_clock::work_counters vector_clock::work() noexcept { return clock_nodes::work; }

void vector_clock::destroy(node* n) noexcept {
  if (n->height > 0) {
    for (node* child : n->children) release(child);
  }
  clock_nodes::recycle(n);
}

// Copy-on-write: a node shared with another clock is copied before it is written.
// Either way the returned node is about to be written: it gets a serial of its own.
vector_clock::node* vector_clock::unshare(node* mine) {
  if (mine->refs == 1) {
    mine->serial = ++clock_nodes::serials;
    return mine;
  }
  node* copy = clock_nodes::allocate(mine->height);
  copy->dominates = mine->dominates;
  if (mine->height == 0) {
    copy->width = mine->width;
    std::memcpy(copy->epochs, mine->epochs, mine->width * sizeof(std::uint32_t));
  } else {
    for (unsigned i = 0; i < inner_fanout; ++i) {
      copy->children[i] = mine->children[i];
      if (copy->children[i] != nullptr) ++copy->children[i]->refs;
    }
  }
  --mine->refs;  // still referenced elsewhere: refs was > 1
  return copy;
}

std::uint32_t& vector_clock::component(std::uint32_t task, bool lowers) {
  auto covers = [](std::uint32_t height, std::uint32_t id) {
    return (std::uint64_t{id} >> (leaf_bits + inner_bits * height)) == 0;
  };
  if (root_ == nullptr) {
    height_ = 0;
    while (!covers(height_, task)) ++height_;
    root_ = clock_nodes::allocate_zeroed(height_);
  }
  while (!covers(height_, task)) {  // grow: the old root becomes the first child
    node* up = clock_nodes::allocate_zeroed(height_ + 1);
    up->children[0] = root_;
    root_ = up;
    ++height_;
  }
  node** slot = &root_;
  for (std::uint32_t level = height_;; --level) {
    node* n = *slot == nullptr ? clock_nodes::allocate_zeroed(level) : unshare(*slot);
    *slot = n;
    if (lowers) n->dominates = 0;
    if (level == 0) {
      const std::uint32_t index = task & leaf_mask;
      if (index >= n->width) widen(n, index + 1);
      return n->epochs[index];
    }
    slot = &n->children[(task >> child_shift(level)) & inner_mask];
  }
}

// Makes a leaf store at least its first `entries` epochs (the new ones zero).
void vector_clock::widen(node* leaf, std::uint32_t entries) noexcept {
  const std::uint32_t width = (entries + width_step - 1) / width_step * width_step;
  std::memset(leaf->epochs + leaf->width, 0, (width - leaf->width) * sizeof(std::uint32_t));
  leaf->width = width;
}

// max(mine, other) for two nodes of the same height. Subtrees the two share are skipped; where
// one side dominates, its node is returned as it is, so the result shares structure with both
// inputs and later joins between their descendants stay cheap.
vector_clock::node* vector_clock::merge(node* mine, const node* other) {
  if (mine == other || other == nullptr) return mine;
  auto share_other = [&] {
    node* o = const_cast<node*>(other);  // shared, hence never written (copy-on-write)
    ++o->refs;
    return o;
  };
  if (mine == nullptr) return share_other();
  if (mine->dominates == other->serial) return mine;  // compared before, neither changed since
  if (other->dominates == mine->serial) {  // e.g. a mutex's clock at unlock: the holder joined it
    release(mine);
    return share_other();
  }
  ++clock_nodes::work.nodes_merged;
  if (mine->height == 0) {
    // Branch-free so that the compiler vectorizes it. Beyond a leaf's width its epochs are 0.
    const std::uint32_t common = std::min(mine->width, other->width);
    std::uint32_t mine_less = 0, other_less = 0;
    for (std::uint32_t i = 0; i < common; ++i) {
      mine_less |= static_cast<std::uint32_t>(mine->epochs[i] < other->epochs[i]);
      other_less |= static_cast<std::uint32_t>(other->epochs[i] < mine->epochs[i]);
    }
    for (std::uint32_t i = common; i < other->width; ++i) {
      mine_less |= static_cast<std::uint32_t>(other->epochs[i] != 0);
    }
    for (std::uint32_t i = common; i < mine->width; ++i) {
      other_less |= static_cast<std::uint32_t>(mine->epochs[i] != 0);
    }
    if (mine_less != 0) {
      if (other_less == 0) {
        release(mine);
        return share_other();
      }
      mine = unshare(mine);
      if (mine->width < other->width) widen(mine, other->width);
      for (std::uint32_t i = 0; i < other->width; ++i) {
        mine->epochs[i] = std::max(mine->epochs[i], other->epochs[i]);
      }
    }
    mine->dominates = other->serial;
    return mine;
  }
  bool same_as_other = true;
  bool changed_in_place = false;
  for (unsigned i = 0; i < inner_fanout; ++i) {
    node* child = mine->children[i];
    const node* other_child = other->children[i];
    if (child == other_child || other_child == nullptr) {
      same_as_other &= child == other_child;
      continue;
    }
    node* merged;
    if (mine->refs == 1) {  // the child reference is ours to consume
      const std::uint64_t serial_before = child != nullptr ? child->serial : 0;
      merged = merge(child, other_child);
      changed_in_place |= merged != child || merged->serial != serial_before;
      mine->children[i] = merged;
    } else {  // take our own reference (so nothing below is written in place); copy `mine`
              // only if the child really changes
      if (child != nullptr) ++child->refs;
      merged = merge(child, other_child);
      if (merged == child) {
        release(merged);
      } else {
        mine = unshare(mine);
        release(mine->children[i]);
        mine->children[i] = merged;
      }
    }
    same_as_other &= merged == other_child;
  }
  if (same_as_other) {
    release(mine);
    return share_other();
  }
  if (changed_in_place) mine->serial = ++clock_nodes::serials;
  mine->dominates = other->serial;
  return mine;
}

void vector_clock::join(const vector_clock& other) {
  if (other.root_ == nullptr || other.root_ == root_) return;
  if (root_ == nullptr) {
    *this = other;
    return;
  }
  while (height_ < other.height_) {
    node* up = clock_nodes::allocate_zeroed(height_ + 1);
    up->children[0] = root_;
    root_ = up;
    ++height_;
  }
  // `other` covers fewer ids: it merges into the subtree of the first 64 * 16^other.height_ ids.
  node** slot = &root_;
  for (std::uint32_t level = height_; level > other.height_; --level) {
    node* n = *slot;
    if (n->children[0] == other.root_) return;
    *slot = n = unshare(n);
    if (n->children[0] == nullptr) {  // nothing below yet: other's root hangs where it belongs
      node* below = level - 1 == other.height_ ? nullptr : clock_nodes::allocate_zeroed(level - 1);
      if (below == nullptr) {
        ++other.root_->refs;
        n->children[0] = other.root_;
        return;
      }
      n->children[0] = below;
    }
    slot = &n->children[0];
  }
  *slot = merge(*slot, other.root_);
}

}  // namespace weft::detail
