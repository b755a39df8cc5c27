// The persistent vector clocks behind the race detector (include/weft/detail/vector_clock.hpp):
// they must behave exactly like flat arrays of epochs, and the work of a synchronization must not
// grow with the number of tasks.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include <weft/weft.hpp>

namespace {

using weft::detail::vector_clock;

// The obvious implementation, as the reference.
struct flat_clock {
  std::vector<std::uint32_t> c;
  std::uint32_t get(std::uint32_t i) const { return i < c.size() ? c[i] : 0; }
  void set(std::uint32_t i, std::uint32_t v) {
    if (i >= c.size()) c.resize(i + 1, 0);
    c[i] = v;
  }
  void join(const flat_clock& o) {
    if (o.c.size() > c.size()) c.resize(o.c.size(), 0);
    for (std::size_t i = 0; i < o.c.size(); ++i) c[i] = std::max(c[i], o.c[i]);
  }
};

void expect_same(const vector_clock& v, const flat_clock& f, std::uint32_t ids, int step) {
  for (std::uint32_t i = 0; i < ids; ++i) {
    ASSERT_EQ(v.get(i), f.get(i)) << "component " << i << " after operation " << step;
  }
}

TEST(VectorClock, EmptyClockIsZeroEverywhere) {
  vector_clock c;
  EXPECT_TRUE(c.empty());
  EXPECT_EQ(c.get(0), 0u);
  EXPECT_EQ(c.get(4'000'000'000u), 0u);
  c.set(4'000'000'000u, 7);  // the deepest trie there is
  EXPECT_EQ(c.get(4'000'000'000u), 7u);
  EXPECT_EQ(c.get(3'999'999'999u), 0u);
  c.clear();
  EXPECT_TRUE(c.empty());
  EXPECT_EQ(c.get(4'000'000'000u), 0u);
}

TEST(VectorClock, CopiesAreIndependentAfterWrites) {
  vector_clock a;
  for (std::uint32_t i = 0; i < 300; ++i) a.set(i, i + 1);
  vector_clock b = a;
  EXPECT_TRUE(b.shares_root_with(a));
  b.tick(17);
  b.set(299, 1000);
  b.set(5000, 1);  // grows b's trie
  EXPECT_FALSE(b.shares_root_with(a));
  EXPECT_EQ(a.get(17), 18u);
  EXPECT_EQ(a.get(299), 300u);
  EXPECT_EQ(a.get(5000), 0u);
  EXPECT_EQ(b.get(17), 19u);
  EXPECT_EQ(b.get(299), 1000u);
  EXPECT_EQ(b.get(5000), 1u);
  EXPECT_EQ(b.get(16), 17u);
}

TEST(VectorClock, JoiningADominatingClockSharesIt) {
  vector_clock lock_clock;
  for (std::uint32_t i = 0; i < 200; ++i) lock_clock.set(i, 3);
  vector_clock task;  // a fresh task that acquires the lock, then releases it
  task.set(500, 1);
  task.join(lock_clock);
  lock_clock.join(task);  // the holder knows everything the lock knew: no new node
  EXPECT_TRUE(lock_clock.shares_root_with(task));
  EXPECT_EQ(lock_clock.get(500), 1u);
  EXPECT_EQ(lock_clock.get(199), 3u);
}

// Random operations on a handful of clocks, checked against flat arrays after every operation.
// Ids span several trie heights so that joins of clocks of different heights are exercised.
TEST(VectorClock, BehavesLikeFlatArrays) {
  std::mt19937 rng(20261128);
  constexpr int clocks = 6;
  constexpr std::uint32_t ids = 600;
  std::vector<vector_clock> v(clocks);
  std::vector<flat_clock> f(clocks);
  auto pick_id = [&] {  // mostly small ids, sometimes large ones
    return rng() % 4 == 0 ? static_cast<std::uint32_t>(rng() % ids)
                          : static_cast<std::uint32_t>(rng() % 20);
  };
  for (int step = 0; step < 20'000; ++step) {
    const int a = static_cast<int>(rng() % clocks);
    const int b = static_cast<int>(rng() % clocks);
    switch (rng() % 7) {
      case 0:
      case 1: {
        const std::uint32_t id = pick_id();
        v[a].tick(id);
        f[a].set(id, f[a].get(id) + 1);
        break;
      }
      case 2: {
        const std::uint32_t id = pick_id();
        const std::uint32_t value = static_cast<std::uint32_t>(rng() % 50);
        v[a].set(id, value);
        f[a].set(id, value);
        break;
      }
      case 3:
      case 4:
        v[a].join(v[b]);
        f[a].join(f[b]);
        break;
      case 5:
        v[a] = v[b];
        f[a] = f[b];
        break;
      default:
        if (rng() % 8 == 0) {
          v[a].clear();
          f[a] = flat_clock{};
        } else {
          vector_clock moved = std::move(v[b]);
          v[a] = std::move(moved);
          f[a] = f[b];
          f[b] = flat_clock{};
          v[b] = vector_clock{};
        }
        break;
    }
    expect_same(v[a], f[a], ids, step);
    expect_same(v[b], f[b], ids, step);
    if (HasFatalFailure()) return;
  }
  for (int i = 0; i < clocks; ++i) expect_same(v[i], f[i], ids, -1);
}

// The happens-before edges of `tasks` tasks that each take one mutex once and then call
// wait_group::done, exactly as the engine applies them (src/engine.cpp: go, hb_acquire,
// hb_release), and the body's wait at the end. Returns the clock work per synchronization.
double work_per_sync(std::uint32_t tasks) {
  const vector_clock::work_counters before = vector_clock::work();
  std::vector<vector_clock> task_clock(tasks + 1);
  vector_clock lock_clock, wg_clock;
  vector_clock& body = task_clock[0];
  body.tick(0);
  std::uint64_t syncs = 0;
  for (std::uint32_t t = 1; t <= tasks; ++t) {  // go
    task_clock[t].join(body);
    body.tick(0);
    task_clock[t].tick(t);
    ++syncs;
  }
  for (std::uint32_t t = 1; t <= tasks; ++t) {
    vector_clock& c = task_clock[t];
    c.join(lock_clock);  // lock
    lock_clock.join(c);  // unlock
    c.tick(t);
    wg_clock.join(c);  // done
    c.tick(t);
    syncs += 3;
  }
  body.join(wg_clock);  // wait
  for (std::uint32_t t = 1; t <= tasks; ++t) {
    EXPECT_EQ(body.get(t), 2u) << "the body must know every task's release of the wait group";
    EXPECT_EQ(lock_clock.get(t), 1u);
  }
  const vector_clock::work_counters after = vector_clock::work();
  const auto work =
      (after.nodes_made - before.nodes_made) + (after.nodes_merged - before.nodes_merged);
  return static_cast<double>(work) / static_cast<double>(syncs + 1);
}

// With flat clocks the 16,000-task run does 8 times the work per synchronization of the
// 2,000-task run (each lock hand-over copies every earlier holder's entry, and the wait group's
// clock compares them all). Here the work per synchronization grows only with the trie's depth,
// which is 3 levels for both (64 * 16 = 1,024 < 2,000 and 16,000 <= 64 * 16 * 16).
TEST(VectorClock, SynchronizationWorkDoesNotGrowWithTheNumberOfTasks) {
  const double small = work_per_sync(2'000);
  const double large = work_per_sync(16'000);
  EXPECT_LT(large, 1.5 * small) << "2,000 tasks: " << small << " nodes per sync; 16,000: " << large;
  EXPECT_LT(large, 20.0) << "nodes per synchronization at 10,000 tasks";
}

// The same property through the engine: 1,500 and then 6,000 tasks taking one weft::mutex around
// a tracked write, race detection on, in a random order (both tries have 3 levels). With flat
// clocks the work per task would grow 4 times; here it stays flat.
TEST(VectorClock, EngineClockWorkPerTaskIsBounded) {
  auto run = [](int tasks) {
    weft::options o;
    o.iterations = 1;
    const vector_clock::work_counters before = vector_clock::work();
    weft::report r = weft::explore(o, [tasks] {
      struct state {
        weft::mutex mu;
        weft::tracked<int> counter{0};
        weft::wait_group wg;
      };
      auto st = std::make_shared<state>();
      st->wg.add(tasks);
      for (int t = 0; t < tasks; ++t) {
        weft::go([st] {
          {
            std::lock_guard lock(st->mu);
            st->counter.write([](int& c) { ++c; });
          }
          st->wg.done();
        });
      }
      st->wg.wait();
      EXPECT_EQ(st->counter.get(), tasks);
    });
    EXPECT_TRUE(r.ok()) << r.message;
    const vector_clock::work_counters after = vector_clock::work();
    return static_cast<double>((after.nodes_made - before.nodes_made) +
                               (after.nodes_merged - before.nodes_merged)) /
           tasks;
  };
  const double per_task_small = run(1500);
  const double per_task_large = run(6000);
  EXPECT_LT(per_task_large, 1.5 * per_task_small)
      << "1,500 tasks: " << per_task_small << " per task; 6,000: " << per_task_large;
}

}  // namespace
