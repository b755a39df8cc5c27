// The fiber layer (src/fiber.*): switching between execution contexts, their pooled stacks, and
// the state each context owns — callee-saved registers, the floating-point control modes, and the
// C++ exception state. In plain x86-64 builds the switch is weft's own (weft_swap_context), in
// sanitizer builds Boost.Context's jump_fcontext: the same tests run against both.
#include <cfenv>
#include <cstdint>
#include <exception>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <weft/weft.hpp>

#include "../src/fiber.hpp"

namespace {

using namespace weft::detail;

// --- the raw layer --------------------------------------------------------------------------

// A fiber that counts up in a local, switching back to `main` after every step: its locals and
// registers survive the switches, and the values it hands over arrive in order.
struct ping_pong {
  fiber main;
  fiber worker;
  int rounds = 0;
  std::vector<int> seen;  // what the worker reported, in order

  static void entry(void* arg) {
    auto* self = static_cast<ping_pong*>(arg);
    int local = 100;  // lives in a callee-saved register or on the fiber's stack
    for (int i = 0; i < self->rounds; ++i) {
      self->seen.push_back(local + i);
      fiber_switch(self->worker, self->main);
      local += 1000;  // the fiber resumes here with its own state
      local -= 1000;
    }
    fiber_exit(self->worker, self->main);
  }
};

TEST(Fiber, SwitchesKeepEachContextsLocalsAndEndWithExit) {
  stack_pool pool(64 * 1024, true);
  ping_pong p;
  p.rounds = 1000;
  fiber_init_main(p.main);
  fiber_create(p.worker, pool.acquire(), &ping_pong::entry, &p);
  for (int i = 0; i <= p.rounds; ++i) fiber_switch(p.main, p.worker);  // the last one ends it
  pool.release(p.worker.stack);
  fiber_destroy(p.worker);
  ASSERT_EQ(p.seen.size(), 1000u);
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(p.seen[static_cast<std::size_t>(i)], 100 + i);
}

TEST(Fiber, ReleasedStacksAreReusedNewestFirstWithoutMappingMore) {
  stack_pool pool(16 * 1024, false);
  const stack_memory a = pool.acquire();
  const stack_memory b = pool.acquire();
  EXPECT_EQ(pool.stacks_created(), 2u);
  EXPECT_NE(a.base, b.base);
  EXPECT_GE(a.size, 16u * 1024);
  pool.release(a);
  pool.release(b);
  for (int round = 0; round < 10'000; ++round) {  // the pattern of one execution, many times
    const stack_memory first = pool.acquire();
    const stack_memory second = pool.acquire();
    EXPECT_EQ(first.base, b.base);  // the last released comes back first (warm in the cache)
    EXPECT_EQ(second.base, a.base);
    pool.release(second);
    pool.release(first);
  }
  EXPECT_EQ(pool.stacks_created(), 2u);
}

TEST(Fiber, StackSizesAreRoundedUpToAtLeastSixteenKibibytesOfPages) {
  stack_pool tiny(1, false);
  EXPECT_GE(tiny.stack_size(), 16u * 1024);
  stack_pool odd(100'001, false);
  EXPECT_GE(odd.stack_size(), 100'001u);
  EXPECT_EQ(odd.stack_size() % 4096, 0u);
}

// --- what each task owns, through the public API ----------------------------------------------

// Each task has its own floating-point control modes, like a thread: a task that changes the
// rounding mode does not change it for the others, keeps it across its own scheduling points,
// and the driver gets its own back when the execution ends.
TEST(Fiber, RoundingModeBelongsToTheTaskThatSetIt) {
  ASSERT_EQ(std::fegetround(), FE_TONEAREST);
  weft::options o;
  o.iterations = 500;
  const weft::report r = weft::explore(o, [] {
    weft::wait_group wg;
    wg.add(2);
    // Starts with the driver's mode, sets `mode`, and checks it after each of its yields.
    auto keep_mode = [&wg](int mode) {
      if (std::fegetround() != FE_TONEAREST) throw std::logic_error("started with another mode");
      std::fesetround(mode);
      for (int i = 0; i < 3; ++i) {
        weft::yield();
        if (std::fegetround() != mode) throw std::logic_error("lost its mode");
      }
      wg.done();
    };
    weft::go("upward", [&] { keep_mode(FE_UPWARD); });
    weft::go("downward", [&] { keep_mode(FE_DOWNWARD); });
    wg.wait();
    if (std::fegetround() != FE_TONEAREST) throw std::logic_error("the body saw a task's mode");
  });
  EXPECT_TRUE(r.ok()) << r.message;
  EXPECT_GT(r.distinct_schedules, 10u);  // the modes were switched back and forth many ways
  EXPECT_EQ(std::fegetround(), FE_TONEAREST);
}

// A task suspended inside a catch handler keeps its exception while other tasks throw, catch
// and rethrow their own: the exception state (__cxa_eh_globals) is switched with the task.
TEST(Fiber, ExceptionBeingHandledSurvivesOtherTasksExceptions) {
  weft::options o;
  o.iterations = 300;
  const weft::report r = weft::explore(o, [] {
    weft::wait_group wg;
    wg.add(2);
    for (int k = 0; k < 2; ++k) {
      weft::go([&wg, k] {
        const std::string mine = "task " + std::to_string(k);
        try {
          throw std::runtime_error(mine);
        } catch (const std::exception& e) {
          weft::yield();  // suspended inside the handler: the other task throws meanwhile
          if (std::uncaught_exceptions() != 0) throw std::logic_error("uncaught count leaked");
          try {
            std::rethrow_exception(std::current_exception());
          } catch (const std::runtime_error& again) {
            if (mine != again.what()) throw std::logic_error("got another task's exception");
          }
          if (mine != e.what()) throw std::logic_error("handler's exception changed");
        }
        wg.done();
      });
    }
    wg.wait();
  });
  EXPECT_TRUE(r.ok()) << r.message;
  EXPECT_FALSE(std::current_exception());  // nothing leaked into the driver
}

}  // namespace
