// once: Go's sync.Once rules inside a scope ("OnceScope") and on real threads ("OnceThreads").
#include <weft/once.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <weft/atomic.hpp>
#include <weft/task.hpp>
#include <weft/time.hpp>
#include <weft/wait_group.hpp>

#include "toolbox_support.hpp"

namespace {

using toolbox::require;

constexpr int callers = 3;

// Three tasks race to call; the function runs once, and every caller returns only after it has
// finished (the function takes a while: scheduling points in a scope, a real sleep outside).
void runs_once_body() {
  struct state {
    weft::once once;
    weft::atomic<int> runs{0};
    weft::atomic<bool> finished{false};
    weft::atomic<int> returned_early{0};
    weft::wait_group wg;
  };
  auto st = std::make_shared<state>();
  st->wg.add(callers);
  for (int i = 0; i < callers; ++i) {
    weft::go([st] {
      st->once.call([&] {
        st->runs.fetch_add(1);
        weft::sleep_for(std::chrono::milliseconds(5));
        weft::yield();
        st->finished.store(true);
      });
      if (!st->finished.load()) st->returned_early.fetch_add(1);
      st->wg.done();
    });
  }
  st->wg.wait();
  st->once.call([&] { st->runs.fetch_add(1); });  // a late call does not run either
  require(st->runs.load() == 1, "the function ran " + std::to_string(st->runs.load()) + " times");
  require(st->returned_early.load() == 0, "a caller returned before the function finished");
}

TEST(OnceScope, RunsExactlyOnceAndCallersWait) {
  toolbox::expect_clean(toolbox::scope_options(3000), runs_once_body);
}
TEST(OnceThreads, RunsExactlyOnceAndCallersWait) { toolbox::run_threads(runs_once_body); }

// A function that throws still counts as done: its caller gets the exception, the others return
// normally, and no function runs again.
void throw_counts_as_done_body() {
  struct state {
    weft::once once;
    weft::atomic<int> runs{0};
    weft::atomic<int> threw{0};
    weft::atomic<int> returned{0};
    weft::atomic<bool> finished{false};
    weft::atomic<int> returned_early{0};
    weft::wait_group wg;
  };
  auto st = std::make_shared<state>();
  st->wg.add(callers);
  for (int i = 0; i < callers; ++i) {
    weft::go([st] {
      bool caught = false;
      try {
        st->once.call([&] {
          st->runs.fetch_add(1);
          weft::yield();
          st->finished.store(true);
          throw std::runtime_error("init failed");
        });
      } catch (const std::runtime_error&) {
        caught = true;  // no weft call inside a handler: never switch tasks in a catch block
      }
      if (caught) {
        st->threw.fetch_add(1);
      } else {
        st->returned.fetch_add(1);
        if (!st->finished.load()) st->returned_early.fetch_add(1);
      }
      st->wg.done();
    });
  }
  st->wg.wait();
  bool late_ran = false;
  st->once.call([&] { late_ran = true; });
  require(st->runs.load() == 1, "the function ran " + std::to_string(st->runs.load()) + " times");
  require(st->threw.load() == 1,
          "the exception reached " + std::to_string(st->threw.load()) + " callers instead of 1");
  require(st->returned.load() == callers - 1, "a waiter did not return normally");
  require(st->returned_early.load() == 0, "a waiter returned before the function finished");
  require(!late_ran, "a call after a throwing function ran its function");
}

TEST(OnceScope, ThrowingFunctionCountsAsDone) {
  toolbox::expect_clean(toolbox::scope_options(3000), throw_counts_as_done_body);
}
TEST(OnceThreads, ThrowingFunctionCountsAsDone) { toolbox::run_threads(throw_counts_as_done_body); }

// Calling the same once from inside its function deadlocks, as in Go; weft reports it.
TEST(OnceScope, RecursiveCallDeadlocks) {
  weft::report r = weft::run([] {
    weft::once once;
    once.call([&] { once.call([] {}); });
  });
  ASSERT_EQ(r.kind, weft::failure_kind::deadlock) << r.message;
  EXPECT_NE(r.message.find("blocked in once::call on once#1 (created at once_test.cpp:"),
            std::string::npos)
      << r.message;
  EXPECT_NE(r.message.find("held by task \"main\""), std::string::npos) << r.message;
}

// Many threads, many onces: each function runs exactly once.
TEST(OnceThreads, ManyOnces) {
  struct state {
    weft::once once[16];
    std::atomic<int> runs[16] = {};
    weft::wait_group wg;
  };
  auto st = std::make_shared<state>();
  constexpr int threads = 4;
  st->wg.add(threads);
  for (int t = 0; t < threads; ++t) {
    weft::go([st] {
      for (int i = 0; i < 16; ++i) st->once[i].call([&] { st->runs[i].fetch_add(1); });
      st->wg.done();
    });
  }
  st->wg.wait();
  for (int i = 0; i < 16; ++i) EXPECT_EQ(st->runs[i].load(), 1) << "once #" << i;
}

}  // namespace
