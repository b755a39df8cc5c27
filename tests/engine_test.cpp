// Behaviour of the engine: detectors (deadlock, leak, exceptions, panics, step limit), teardown,
// scope ownership of objects, and the core primitives' Go semantics inside a scope.
#include <atomic>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <weft/weft.hpp>

namespace {

using weft::failure_kind;

weft::options iterations(std::uint64_t n) {
  weft::options o;
  o.iterations = n;
  return o;
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// --- deadlock -------------------------------------------------------------------------------

void abba(bool same_order) {
  auto a = std::make_shared<weft::mutex>();
  auto b = std::make_shared<weft::mutex>();
  auto wg = std::make_shared<weft::wait_group>();
  wg->add(2);
  weft::go("worker-1", [a, b, wg] {
    std::lock_guard first(*a);
    std::lock_guard second(*b);
    wg->done();
  });
  weft::go("worker-2", [a, b, wg, same_order] {
    weft::mutex& x = same_order ? *a : *b;
    weft::mutex& y = same_order ? *b : *a;
    std::lock_guard first(x);
    std::lock_guard second(y);
    wg->done();
  });
  wg->wait();
}

TEST(Deadlock, AbbaIsFoundWithWhoHoldsWhat) {
  weft::report r = weft::explore(iterations(10000), [] { abba(false); });
  ASSERT_EQ(r.kind, failure_kind::deadlock) << r.message;
  EXPECT_TRUE(contains(r.message, "weft: deadlock")) << r.message;
  EXPECT_TRUE(contains(r.message, "task \"worker-1\"")) << r.message;
  EXPECT_TRUE(contains(r.message, "task \"worker-2\"")) << r.message;
  EXPECT_TRUE(contains(r.message, "mutex::lock")) << r.message;
  EXPECT_TRUE(contains(r.message, "held by task \"worker-1\"")) << r.message;
  EXPECT_TRUE(contains(r.message, "held by task \"worker-2\"")) << r.message;
  EXPECT_TRUE(contains(r.message, "wait_group::wait")) << r.message;
  EXPECT_TRUE(contains(r.message, "replay: WEFT_REPLAY=w1.")) << r.message;
  EXPECT_LT(r.iteration, 100u);
}

TEST(Deadlock, SameLockOrderPasses10000Executions) {
  weft::report r = weft::explore(iterations(10000), [] { abba(true); });
  EXPECT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(r.executions, 10000u);
  EXPECT_GT(r.distinct_schedules, 10u);
}

TEST(Deadlock, LockingTwiceFromOneTaskDeadlocks) {
  weft::report r = weft::explore(iterations(10), [] {
    weft::mutex mu;
    mu.lock();
    mu.lock();
  });
  ASSERT_EQ(r.kind, failure_kind::deadlock);
  EXPECT_TRUE(contains(r.message, "held by task \"main\"")) << r.message;
}

TEST(Deadlock, SelectWithNoCasesBlocksForever) {
  weft::report r = weft::explore(iterations(10), [] { weft::select(); });
  EXPECT_EQ(r.kind, failure_kind::deadlock);
}

// --- leak -----------------------------------------------------------------------------------

void receiver_pipeline(bool someone_sends) {
  weft::chan<int> results;
  weft::go("collector", [results] {
    auto v = results.recv();
    (void)v;
  });
  if (someone_sends) results.send(1);
}

TEST(Leak, BlockedReceiverIsReportedWithSpawnAndBlockSites) {
  weft::report r = weft::explore(iterations(10000), [] { receiver_pipeline(false); });
  ASSERT_EQ(r.kind, failure_kind::leak) << r.message;
  EXPECT_TRUE(contains(r.message, "weft: leak — the body returned but 1 task stays blocked"))
      << r.message;
  EXPECT_TRUE(contains(r.message, "task \"collector\" (spawned at engine_test.cpp:")) << r.message;
  EXPECT_TRUE(contains(r.message, "is blocked in chan::recv on chan#1")) << r.message;
}

TEST(Leak, ReceiverThatGetsItsValuePasses10000Executions) {
  weft::report r = weft::explore(iterations(10000), [] { receiver_pipeline(true); });
  EXPECT_TRUE(r.ok()) << r.message;
}

TEST(Leak, TasksThatOutliveTheBodyRunToCompletion) {
  auto finished = std::make_shared<int>(0);
  weft::report r = weft::explore(iterations(1000), [finished] {
    weft::go([finished] {
      weft::yield();
      weft::yield();
      ++*finished;
    });
  });
  EXPECT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(*finished, 1000);
}

// --- lost update, exceptions ------------------------------------------------------------------

void counter_program(bool locked) {
  struct shared {
    weft::mutex mu;
    int value = 0;
  };
  auto s = std::make_shared<shared>();
  weft::wait_group wg;
  wg.add(2);
  for (int i = 0; i < 2; ++i) {
    weft::go([s, &wg, locked] {
      if (locked) s->mu.lock();
      int read = s->value;
      weft::yield();  // another task may run between the read and the write
      s->value = read + 1;
      if (locked) s->mu.unlock();
      wg.done();
    });
  }
  wg.wait();
  if (s->value != 2) throw std::logic_error("lost update: counter is " + std::to_string(s->value));
}

TEST(LostUpdate, FoundAsTheBodysException) {
  weft::report r = weft::explore(iterations(10000), [] { counter_program(false); });
  ASSERT_EQ(r.kind, failure_kind::uncaught_exception) << r.message;
  EXPECT_TRUE(contains(r.message,
                       "task \"main\" (the test body) threw std::logic_error: lost "
                       "update: counter is 1"))
      << r.message;
}

TEST(LostUpdate, MutexProtectedTwinPasses10000Executions) {
  weft::report r = weft::explore(iterations(10000), [] { counter_program(true); });
  EXPECT_TRUE(r.ok()) << r.message;
}

TEST(UncaughtException, EscapingATaskNamesTheTaskAndMessage) {
  weft::report r = weft::explore(
      iterations(10), [] { weft::go("parser", [] { throw std::runtime_error("boom"); }); });
  ASSERT_EQ(r.kind, failure_kind::uncaught_exception) << r.message;
  EXPECT_TRUE(contains(r.message, "an exception escaped task \"parser\"")) << r.message;
  EXPECT_TRUE(contains(r.message, "threw std::runtime_error: boom")) << r.message;
}

TEST(UncaughtException, NonStandardExceptionTypeIsNamed) {
  weft::report r = weft::explore(iterations(1), [] { throw 42; });
  ASSERT_EQ(r.kind, failure_kind::uncaught_exception);
  EXPECT_TRUE(contains(r.message, "threw int")) << r.message;
}

TEST(UncaughtException, ExceptionsCaughtInsideATaskAreFine) {
  weft::report r = weft::explore(iterations(100), [] {
    weft::chan<int> ch(1);
    weft::go([ch] {
      try {
        throw std::runtime_error("handled");
      } catch (const std::exception&) {
        ch.send(1);  // a scheduling point right after a handler
      }
    });
    try {
      throw std::runtime_error("also handled");
    } catch (const std::exception&) {
    }
    EXPECT_EQ(ch.recv(), 1);
  });
  EXPECT_TRUE(r.ok()) << r.message;
}

// --- Go panics -------------------------------------------------------------------------------

struct panic_case {
  const char* name;
  void (*buggy)();
  void (*fixed)();
  const char* message;
};

void send_on_closed(bool buggy) {
  weft::chan<int> ch(1);
  weft::go([ch, buggy] {
    if (!buggy) return;
    ch.send(1);
  });
  ch.close();
}
void double_close(bool buggy) {
  weft::chan<int> ch;
  auto once = std::make_shared<weft::mutex>();
  auto closed = std::make_shared<bool>(false);
  for (int i = 0; i < 2; ++i) {
    weft::go([ch, once, closed, buggy] {
      std::lock_guard lock(*once);
      if (buggy || !*closed) ch.close();
      *closed = true;
    });
  }
}
void unlock_unlocked(bool buggy) {
  weft::mutex mu;
  mu.lock();
  mu.unlock();
  if (buggy) mu.unlock();
}
void negative_counter(bool buggy) {
  auto wg = std::make_shared<weft::wait_group>();
  wg->add(1);
  weft::go([wg, buggy] {
    wg->done();
    if (buggy) wg->done();
  });
  wg->wait();
}

const panic_case panic_cases[] = {
    {"SendOnClosedChannel", [] { send_on_closed(true); }, [] { send_on_closed(false); },
     "chan::send: send on closed channel chan#1"},
    {"DoubleClose", [] { double_close(true); }, [] { double_close(false); },
     "chan::close: close of closed channel chan#1"},
    {"UnlockOfUnlockedMutex", [] { unlock_unlocked(true); }, [] { unlock_unlocked(false); },
     "mutex::unlock: unlock of unlocked mutex#1"},
    {"NegativeWaitGroupCounter", [] { negative_counter(true); }, [] { negative_counter(false); },
     "wait_group: negative counter"},
};

class GoPanic : public ::testing::TestWithParam<panic_case> {};

TEST_P(GoPanic, BuggyIsReportedAsPanicNamingTheApi) {
  weft::report r = weft::explore(iterations(10000), GetParam().buggy);
  ASSERT_EQ(r.kind, failure_kind::panic) << r.message;
  EXPECT_TRUE(contains(r.message, "weft: panic — ")) << r.message;
  EXPECT_TRUE(contains(r.message, GetParam().message)) << r.message;
}

TEST_P(GoPanic, FixedTwinPasses10000Executions) {
  weft::report r = weft::explore(iterations(10000), GetParam().fixed);
  EXPECT_TRUE(r.ok()) << r.message;
}

INSTANTIATE_TEST_SUITE_P(Engine, GoPanic, ::testing::ValuesIn(panic_cases),
                         [](const auto& info) { return std::string(info.param.name); });

// --- step limit --------------------------------------------------------------------------------

TEST(StepLimit, EndlessLoopEndsTheExecution) {
  weft::options o = iterations(3);
  o.max_steps = 500;
  weft::report r = weft::explore(o, [] {
    for (;;) weft::yield();
  });
  ASSERT_EQ(r.kind, failure_kind::step_limit) << r.message;
  EXPECT_TRUE(contains(r.message, "exceeded 500 scheduling points")) << r.message;
}

// --- teardown ----------------------------------------------------------------------------------

struct counted {
  static inline std::atomic<long> alive{0};
  std::vector<int> payload = std::vector<int>(256);
  counted() { ++alive; }
  ~counted() { --alive; }
};

TEST(Teardown, LeakedTasksAreUnwoundAndTheirHeapObjectsFreed) {
  counted::alive = 0;
  weft::report r = weft::explore(iterations(10000), [] {
    weft::chan<int> never;
    auto mu = std::make_shared<weft::mutex>();
    weft::go([never, mu] {
      auto held = std::make_unique<counted>();
      std::lock_guard lock(*mu);  // its unlock runs during teardown and is accepted silently
      never.recv();
    });
    weft::go([never] {
      counted on_stack;
      never.recv();
    });
  });
  ASSERT_EQ(r.kind, failure_kind::leak);  // the first execution already leaks
  counted::alive = 0;
  // Keep exploring a leaking program: every execution's leftovers must be destroyed.
  weft::options o = iterations(10000);
  weft::report all = weft::explore(o, [] {
    weft::go([] {
      auto held = std::make_unique<counted>();
      weft::chan<int>().recv();  // blocks forever
    });
    weft::yield();
  });
  EXPECT_EQ(all.kind, failure_kind::leak);
  EXPECT_EQ(counted::alive.load(), 0);
}

TEST(Teardown, ThousandsOfLeakingExecutionsLeaveNothingAlive) {
  // A leaking program is reported at its first leaking execution; to run 10,000 leaking
  // executions back to back, run 10,000 explorations of one execution each.
  counted::alive = 0;
  for (int i = 0; i < 10000; ++i) {
    weft::report r = weft::run([] {
      weft::go([] {
        auto held = std::make_unique<counted>();
        weft::chan<int>().recv();
      });
      weft::yield();
    });
    ASSERT_EQ(r.kind, failure_kind::leak);
    ASSERT_EQ(counted::alive.load(), 0) << "after execution " << i;
  }
}

TEST(Teardown, TaskSuspendedInsideADestructorIsUnwoundSafely) {
  // worker-a may be suspended at the unlock inside ~lock_guard when the failure ends the
  // execution: teardown must not throw into that destructor.
  weft::report r = weft::explore(iterations(2000), [] {
    auto mu = std::make_shared<weft::mutex>();
    weft::go("worker-a", [mu] {
      for (int i = 0; i < 3; ++i) {
        std::lock_guard lock(*mu);
      }
    });
    weft::go("worker-b", [] {
      weft::yield();
      throw std::runtime_error("ends the execution");
    });
  });
  EXPECT_EQ(r.kind, failure_kind::uncaught_exception) << r.message;
}

// The body is resumed by teardown at a step that cannot throw (its `go`, or the close) when the
// other task's exception ended the execution first; it must be unwound at its next blocking call
// instead of running on through a wait that returns at once in teardown (its code after the wait
// assumes the task finished).
TEST(Teardown, TaskResumedAtANonBlockingStepIsUnwoundAtItsNextBlockingCall) {
  static int ran_past_the_wait = 0;
  ran_past_the_wait = 0;
  for (std::uint64_t seed = 0; seed < 20; ++seed) {
    weft::options o = iterations(50);
    o.seed = seed;
    weft::report r = weft::explore(o, [] {
      weft::chan<int> done(1);
      weft::wait_group wg;
      wg.add(1);
      weft::go("failer", [] { throw std::runtime_error("ends the execution"); });
      done.close();
      wg.wait();  // nobody calls done: only teardown gets the body past here
      ++ran_past_the_wait;
    });
    EXPECT_EQ(r.kind, failure_kind::uncaught_exception) << r.message;
  }
  EXPECT_EQ(ran_past_the_wait, 0);
}

// A user's RAII joiner waits in its destructor, in normal flow, for a task that fails instead of
// finishing. Teardown's unwind thrown at that wait would leave a noexcept destructor (the
// runtime calls std::terminate): weft abandons the task there instead and reports the failure.
TEST(Teardown, TaskWaitingInsideAUserDestructorIsAbandonedNotTerminated) {
  struct joiner {
    weft::wait_group& wg;
    ~joiner() { wg.wait(); }  // a blocking destructor: the hazard
  };
  for (std::uint64_t seed = 0; seed < 5; ++seed) {
    weft::options o = iterations(20);
    o.seed = seed;
    weft::report r = weft::explore(o, [] {
      // Only stack objects in the body: an abandoned task's frames are never destroyed, and heap
      // objects they own would stay allocated (LeakSanitizer would say so in ASan builds).
      weft::wait_group wg;
      wg.add(1);
      weft::go("failer", [] {  // never calls wg.done()
        weft::yield();
        throw std::runtime_error("fails instead of calling done");
      });
      joiner j{wg};
    });
    EXPECT_EQ(r.kind, failure_kind::uncaught_exception) << r.message;
    EXPECT_NE(r.message.find("fails instead of calling done"), std::string::npos) << r.message;
  }
}

TEST(Teardown, TaskSwallowingTheUnwindIsAbandoned) {
  counted::alive = 0;
  weft::report r = weft::explore(iterations(20), [] {
    weft::go("stubborn", [] {
      counted mine;
      for (;;) {
        try {
          weft::chan<int>().recv();
        } catch (...) {  // swallows weft's unwind too
        }
      }
    });
    weft::yield();
  });
  EXPECT_EQ(r.kind, failure_kind::leak) << r.message;
}

// --- scope ownership and misuse -----------------------------------------------------------------

TEST(Misuse, ObjectFromAnotherExecutionPanics) {
  static std::unique_ptr<weft::chan<int>> kept;
  kept.reset();
  weft::report r = weft::explore(iterations(3), [] {
    if (!kept) {
      kept = std::make_unique<weft::chan<int>>(1);
      return;
    }
    kept->send(1);
  });
  ASSERT_EQ(r.kind, failure_kind::panic) << r.message;
  EXPECT_TRUE(contains(r.message, "belongs to another execution")) << r.message;
  kept.reset();
}

TEST(Misuse, ScopeObjectUsedOutsideItsScopeThrowsUsageError) {
  std::unique_ptr<weft::chan<int>> escaped;
  weft::run([&escaped] { escaped = std::make_unique<weft::chan<int>>(1); });
  try {
    escaped->send(1);
    FAIL() << "expected weft::usage_error";
  } catch (const weft::usage_error& e) {
    EXPECT_TRUE(contains(e.what(), "chan::send")) << e.what();
    EXPECT_TRUE(contains(e.what(), "belongs to a deterministic scope")) << e.what();
  }
}

TEST(Misuse, ProductionObjectUsedInsideAScopePanics) {
  weft::mutex outside;
  weft::report r = weft::run([&outside] { outside.lock(); });
  ASSERT_EQ(r.kind, failure_kind::panic);
  EXPECT_TRUE(contains(r.message,
                       "mutex::lock: this mutex was created outside any deterministic "
                       "scope"))
      << r.message;
}

TEST(Misuse, NestedExploreIsAUsageError) {
  weft::report r = weft::run([] { EXPECT_THROW(weft::run([] {}), weft::usage_error); });
  EXPECT_TRUE(r.ok()) << r.message;
}

TEST(Misuse, ChooseZeroPanics) {
  weft::report r = weft::run([] { weft::choose(0); });
  ASSERT_EQ(r.kind, failure_kind::panic);
  EXPECT_TRUE(contains(r.message, "weft::choose(0)")) << r.message;
  EXPECT_THROW(weft::choose(0), weft::usage_error);
}

TEST(Misuse, BadOptionsAreUsageErrors) {
  weft::options o;
  o.jobs = 0;
  EXPECT_THROW(weft::explore(o, [] {}), weft::usage_error);
  o = {};
  o.total_shards = 2;
  o.shard_index = 2;
  EXPECT_THROW(weft::explore(o, [] {}), weft::usage_error);
  EXPECT_THROW(weft::explore({}, nullptr), weft::usage_error);
}

// --- channels, mutex, wait_group: Go semantics in a scope ---------------------------------------

TEST(Channel, UnbufferedSendWaitsForTheReceiver) {
  weft::report r = weft::explore(iterations(2000), [] {
    weft::chan<int> ch;
    auto received = std::make_shared<bool>(false);
    weft::go([ch, received] { *received = ch.recv().has_value(); });
    ch.send(7);
    // The send completed, so the receiver has the value (it may not have run on yet).
    weft::chan<int> done;
    (void)done;
  });
  EXPECT_TRUE(r.ok()) << r.message;
}

TEST(Channel, BufferedIsFifoAndRangeDrainsAfterClose) {
  weft::report r = weft::explore(iterations(2000), [] {
    weft::chan<int> ch(3);
    weft::go([ch] {
      for (int i = 0; i < 5; ++i) ch.send(i);
      ch.close();
    });
    std::vector<int> got;
    for (int v : ch) got.push_back(v);
    EXPECT_EQ(got, (std::vector<int>{0, 1, 2, 3, 4}));
    EXPECT_FALSE(ch.recv().has_value());  // closed and drained: nullopt at once
  });
  EXPECT_TRUE(r.ok()) << r.message;
}

TEST(Channel, CloseWakesEveryReceiver) {
  weft::report r = weft::explore(iterations(2000), [] {
    weft::chan<int> ch;
    auto woken = std::make_shared<int>(0);
    auto wg = std::make_shared<weft::wait_group>();
    wg->add(3);
    for (int i = 0; i < 3; ++i) {
      weft::go([ch, woken, wg] {
        if (!ch.recv()) ++*woken;
        wg->done();
      });
    }
    ch.close();
    wg->wait();
    EXPECT_EQ(*woken, 3);
  });
  EXPECT_TRUE(r.ok()) << r.message;
}

TEST(Channel, SizeAndCapacity) {
  weft::report r = weft::run([] {
    weft::chan<int> ch(4);
    ch.send(1);
    ch.send(2);
    EXPECT_EQ(ch.size(), 2u);
    EXPECT_EQ(ch.capacity(), 4u);
    EXPECT_EQ(weft::chan<int>().capacity(), 0u);
  });
  EXPECT_TRUE(r.ok()) << r.message;
}

TEST(Channel, MoveOnlyValues) {
  weft::report r = weft::explore(iterations(500), [] {
    weft::chan<std::unique_ptr<int>> ch(1);
    weft::go([ch] { ch.send(std::make_unique<int>(5)); });
    auto v = ch.recv();
    ASSERT_TRUE(v.has_value());
    EXPECT_EQ(**v, 5);
  });
  EXPECT_TRUE(r.ok()) << r.message;
}

TEST(Select, EveryReadyCaseIsTakenInSomeSchedule) {
  auto taken = std::make_shared<std::set<std::size_t>>();
  weft::report r = weft::explore(iterations(200), [taken] {
    weft::chan<int> a(1), b(1), c(1);
    a.send(1);
    b.send(2);
    c.send(3);
    taken->insert(weft::select(weft::on_recv(a), weft::on_recv(b), weft::on_recv(c)));
  });
  EXPECT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(*taken, (std::set<std::size_t>{0, 1, 2}));
}

TEST(Select, DefaultNeverBlocks) {
  weft::report r = weft::explore(iterations(100), [] {
    weft::chan<int> empty;
    bool defaulted = false;
    std::size_t i = weft::select(weft::on_recv(empty), weft::on_default([&] { defaulted = true; }));
    EXPECT_EQ(i, 1u);
    EXPECT_TRUE(defaulted);
  });
  EXPECT_TRUE(r.ok()) << r.message;
}

TEST(Select, SendInOneSelectMeetsReceiveInAnother) {
  weft::report r = weft::explore(iterations(2000), [] {
    weft::chan<int> ch;
    weft::chan<int> other;
    weft::go([ch, other] { weft::select(weft::on_send(ch, 5), weft::on_recv(other)); });
    int got = 0;
    weft::select(weft::on_recv(ch, [&](std::optional<int> v) { got = v.value_or(-1); }),
                 weft::on_send(other, 9));
    // Either the two selects met on ch, or the body's send on `other` was taken.
    EXPECT_TRUE(got == 5 || got == 0);
  });
  EXPECT_TRUE(r.ok()) << r.message;
}

TEST(Select, ClosedChannelCaseReceivesNullopt) {
  weft::report r = weft::explore(iterations(200), [] {
    weft::chan<int> ch;
    weft::go([ch] { ch.close(); });
    bool closed = false;
    weft::select(weft::on_recv(ch, [&](std::optional<int> v) { closed = !v; }));
    EXPECT_TRUE(closed);
  });
  EXPECT_TRUE(r.ok()) << r.message;
}

TEST(Select, SendOnClosedChannelPanics) {
  weft::report r = weft::explore(iterations(200), [] {
    weft::chan<int> ch(1);
    ch.close();
    weft::select(weft::on_send(ch, 1));
  });
  ASSERT_EQ(r.kind, failure_kind::panic);
  EXPECT_TRUE(contains(r.message, "select: send on closed channel")) << r.message;
}

TEST(Mutex, HandsOffInFifoOrderAndProtects) {
  weft::report r = weft::explore(iterations(2000), [] {
    auto mu = std::make_shared<weft::mutex>();
    auto inside = std::make_shared<int>(0);
    auto wg = std::make_shared<weft::wait_group>();
    wg->add(3);
    for (int i = 0; i < 3; ++i) {
      weft::go([mu, inside, wg] {
        std::lock_guard lock(*mu);
        ++*inside;
        weft::yield();
        EXPECT_EQ(*inside, 1);
        --*inside;
        wg->done();
      });
    }
    wg->wait();
  });
  EXPECT_TRUE(r.ok()) << r.message;
}

TEST(Mutex, TryLockAndUnlockByAnotherTask) {
  weft::report r = weft::explore(iterations(500), [] {
    auto mu = std::make_shared<weft::mutex>();
    EXPECT_TRUE(mu->try_lock());
    EXPECT_FALSE(mu->try_lock());
    weft::chan<int> done;
    weft::go([mu, done] {
      mu->unlock();  // Go mutexes are not owned
      done.send(1);
    });
    done.recv();
    EXPECT_TRUE(mu->try_lock());
    mu->unlock();
  });
  EXPECT_TRUE(r.ok()) << r.message;
}

TEST(WaitGroup, WaitReturnsAtZeroAndReleasesAllWaiters) {
  weft::report r = weft::explore(iterations(2000), [] {
    auto wg = std::make_shared<weft::wait_group>();
    auto work = std::make_shared<weft::wait_group>();
    auto done = std::make_shared<int>(0);
    wg->add(2);
    work->add(2);
    for (int i = 0; i < 2; ++i) {
      weft::go([wg, done] {
        ++*done;
        wg->done();
      });
      weft::go([wg, work, done] {
        wg->wait();
        EXPECT_EQ(*done, 2);
        work->done();
      });
    }
    work->wait();
  });
  EXPECT_TRUE(r.ok()) << r.message;
}

TEST(Tasks, NamesAndChoose) {
  auto seen = std::make_shared<std::set<std::uint64_t>>();
  weft::report r = weft::explore(iterations(300), [seen] {
    seen->insert(weft::choose(4));
    EXPECT_EQ(weft::choose(1), 0u);
    EXPECT_TRUE(weft::in_scope());
  });
  EXPECT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(*seen, (std::set<std::uint64_t>{0, 1, 2, 3}));
  EXPECT_FALSE(weft::in_scope());
}

TEST(Tasks, RunIsExactlyOneExecution) {
  int runs = 0;
  weft::report r = weft::run([&runs] { ++runs; });
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(runs, 1);
  EXPECT_EQ(r.executions, 1u);
}

TEST(Tasks, CheckThrowsFailureCarryingTheReport) {
  try {
    weft::check(iterations(100), [] { abba(false); });
    FAIL() << "expected weft::failure";
  } catch (const weft::failure& f) {
    EXPECT_EQ(f.details().kind, failure_kind::deadlock);
    EXPECT_EQ(std::string(f.what()), f.details().message);
  }
  EXPECT_NO_THROW(weft::check(iterations(100), [] { abba(true); }));
}

TEST(Tasks, ManyTasksAndDeepStacks) {
  weft::report r = weft::explore(iterations(20), [] {
    auto wg = std::make_shared<weft::wait_group>();
    for (int i = 0; i < 200; ++i) {
      wg->add(1);
      weft::go([wg] {
        volatile char buffer[32 * 1024];  // well inside the default 256 KiB stack
        buffer[0] = 1;
        buffer[sizeof(buffer) - 1] = buffer[0];
        wg->done();
      });
    }
    wg->wait();
  });
  EXPECT_TRUE(r.ok()) << r.message;
}

}  // namespace

namespace {

// weft::lock_guard passes the caller's line to lock/unlock, so a deadlock report names the line
// that took the lock, not a line of <mutex>.
TEST(LockGuard, ReportsNameTheCallersLine) {
  const weft::report r = weft::explore(iterations(2000), [] {
    auto a = std::make_shared<weft::mutex>();
    auto b = std::make_shared<weft::mutex>();
    auto wg = std::make_shared<weft::wait_group>();
    wg->add(2);
    weft::go("first", [a, b, wg] {
      weft::lock_guard x(*a);
      weft::lock_guard y(*b);
      wg->done();
    });
    weft::go("second", [a, b, wg] {
      weft::lock_guard x(*b);
      weft::lock_guard y(*a);
      wg->done();
    });
    wg->wait();
  });
  ASSERT_EQ(r.kind, failure_kind::deadlock) << r.message;
  EXPECT_TRUE(contains(r.message, "engine_test.cpp:")) << r.message;
  EXPECT_FALSE(contains(r.message, "std_mutex.h")) << r.message;
}

TEST(LockGuard, UnlocksAtScopeEndInBothModes) {
  weft::mutex outside;
  { weft::lock_guard g(outside); }
  EXPECT_TRUE(outside.try_lock());
  outside.unlock();
  const weft::report r = weft::explore(iterations(100), [] {
    weft::mutex mu;
    { weft::lock_guard g(mu); }
    if (!mu.try_lock()) throw std::logic_error("still locked");
    mu.unlock();
  });
  EXPECT_TRUE(r.ok()) << r.message;
}

}  // namespace
