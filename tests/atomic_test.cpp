// atomic and tracked: scheduling points and lost updates inside a scope ("AtomicScope",
// "TrackedScope") and plain behaviour on real threads ("AtomicThreads", "TrackedThreads").
#include <weft/atomic.hpp>
#include <weft/tracked.hpp>

#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>
#include <weft/gtest.hpp>

#include <memory>
#include <mutex>
#include <string>
#include <weft/mutex.hpp>
#include <weft/task.hpp>
#include <weft/wait_group.hpp>

#include "toolbox_support.hpp"

namespace {

using toolbox::require;

constexpr int tasks = 3;

// --- atomic -------------------------------------------------------------------------------------

// fetch_add, fetch_sub and a compare_exchange_strong loop never lose an update.
void atomic_counter_body(int rounds) {
  struct state {
    weft::atomic<long> added{0};
    weft::atomic<long> subtracted{100};
    weft::atomic<long> cas{0};
    weft::wait_group wg;
  };
  auto st = std::make_shared<state>();
  st->wg.add(tasks);
  for (int t = 0; t < tasks; ++t) {
    weft::go([st, rounds] {
      for (int i = 0; i < rounds; ++i) {
        st->added.fetch_add(1);
        st->subtracted.fetch_sub(1);
        long seen = st->cas.load();
        while (!st->cas.compare_exchange_strong(seen, seen + 1)) {
        }
      }
      st->wg.done();
    });
  }
  st->wg.wait();
  const long total = static_cast<long>(tasks) * rounds;
  require(st->added.load() == total, "fetch_add lost an update");
  require(st->subtracted.load() == 100 - total, "fetch_sub lost an update");
  require(st->cas.load() == total, "compare_exchange_strong lost an update");
}

TEST(AtomicScope, ReadModifyWriteNeverLosesUpdates) {
  toolbox::expect_clean(toolbox::scope_options(2000), [] { atomic_counter_body(2); });
}
TEST(AtomicThreads, ReadModifyWriteNeverLosesUpdates) {
  toolbox::run_threads([] { atomic_counter_body(5000); });
}

void atomic_operations_body() {
  weft::atomic<int> a;
  require(a.load() == 0, "default value");
  a.store(5);
  require(a.exchange(7) == 5, "exchange returned the wrong value");
  require(a.fetch_add(3) == 7 && a.load() == 10, "fetch_add");
  require(a.fetch_sub(4) == 10 && a.load() == 6, "fetch_sub");
  int expected = 5;
  require(!a.compare_exchange_strong(expected, 9) && expected == 6, "failed CAS must load");
  require(a.compare_exchange_strong(expected, 9) && a.load() == 9, "CAS");
  weft::atomic<double> d = 1.5;
  require(d.fetch_add(1.0) == 1.5 && d.load() == 2.5, "floating-point fetch_add");
  int cells[4] = {};
  weft::atomic<int*> p{cells};
  require(p.fetch_add(2) == cells && p.load() == cells + 2, "pointer fetch_add");
  require(p.fetch_sub(1) == cells + 2 && p.load() == cells + 1, "pointer fetch_sub");
}

TEST(AtomicScope, Operations) {
  toolbox::expect_clean(toolbox::scope_options(5), atomic_operations_body);
}
TEST(AtomicThreads, Operations) { toolbox::run_threads(atomic_operations_body); }

// A load followed by a store is two scheduling points: the explorer interleaves between them.
TEST(AtomicScope, LoadThenStoreCanLoseUpdates) {
  weft::report r = weft::explore(toolbox::scope_options(1000), [] {
    auto counter = std::make_shared<weft::atomic<int>>(0);
    auto wg = std::make_shared<weft::wait_group>();
    wg->add(2);
    for (int t = 0; t < 2; ++t) {
      weft::go([counter, wg] {
        counter->store(counter->load() + 1);
        wg->done();
      });
    }
    wg->wait();
    if (counter->load() != 2) throw std::logic_error("lost update");
  });
  ASSERT_EQ(r.kind, weft::failure_kind::uncaught_exception) << r.message;
  EXPECT_NE(r.message.find("lost update"), std::string::npos) << r.message;
}

// Every operation is a scheduling point recorded with its kind.
TEST(AtomicScope, OperationsAreScheduledSteps) {
  weft::report r = weft::run([] {
    weft::atomic<int> a;
    a.load();
    a.store(1);
    a.fetch_add(1);
    throw std::runtime_error("stop");
  });
  ASSERT_EQ(r.kind, weft::failure_kind::uncaught_exception) << r.message;
  EXPECT_NE(r.message.find("atomic::load atomic#1"), std::string::npos) << r.message;
  EXPECT_NE(r.message.find("atomic::store atomic#1"), std::string::npos) << r.message;
  EXPECT_NE(r.message.find("atomic::read_modify_write atomic#1"), std::string::npos) << r.message;
}

// --- tracked ------------------------------------------------------------------------------------

// get() then set() with a yield between them: the classic lost update. The EXPECT is checked in
// every explored schedule, as inside a WEFT_TEST.
void tracked_lost_update_body() {
  auto counter = std::make_shared<weft::tracked<int>>(0);
  auto wg = std::make_shared<weft::wait_group>();
  wg->add(2);
  for (int t = 0; t < 2; ++t) {
    weft::go([counter, wg] {
      const int seen = counter->get();
      weft::yield();
      counter->set(seen + 1);
      wg->done();
    });
  }
  wg->wait();
  EXPECT_EQ(counter->get(), 2) << "lost update";
}

TEST(TrackedScope, GetThenSetLosesUpdates) {
  weft::options base = toolbox::scope_options(1000);
  base.detect_races = false;  // else the race detector reports the unordered accesses first
  // The WEFT_TEST runner reports the failed EXPECT as a weft failure of kind assertion.
  EXPECT_NONFATAL_FAILURE(weft::detail::gtest_run("TrackedScope", "GetThenSetLosesUpdates", base,
                                                  &tracked_lost_update_body),
                          "weft: assertion");
}

// With race detection on, the same program is a data race on the very first schedule: the two
// tasks' accesses are not ordered by anything, whether or not this schedule loses the update.
TEST(TrackedScope, GetThenSetIsADataRace) {
  weft::report r = weft::explore(toolbox::scope_options(1000), tracked_lost_update_body);
  ASSERT_EQ(r.kind, weft::failure_kind::data_race) << r.message;
  EXPECT_EQ(r.iteration, 0u);
  EXPECT_NE(r.message.find("tracked#1 is written by task"), std::string::npos) << r.message;
  EXPECT_NE(r.message.find("with no happens-before order between them"), std::string::npos)
      << r.message;
}

// The same program with atomic fetch_add in place of get/set never loses an update.
void atomic_no_lost_update_body() {
  auto counter = std::make_shared<weft::atomic<int>>(0);
  auto wg = std::make_shared<weft::wait_group>();
  wg->add(2);
  for (int t = 0; t < 2; ++t) {
    weft::go([counter, wg] {
      counter->fetch_add(1);
      weft::yield();
      wg->done();
    });
  }
  wg->wait();
  EXPECT_EQ(counter->load(), 2) << "lost update";
}

TEST(AtomicScope, FetchAddDoesNotLoseTheUpdateTrackedLoses) {
  weft::report r = weft::explore(toolbox::scope_options(1000), atomic_no_lost_update_body);
  EXPECT_TRUE(r.ok()) << r.message;
}

// write(fn) is one access: increments through it never get lost.
void tracked_write_body() {
  auto counter = std::make_shared<weft::tracked<int>>(0);
  auto mu = std::make_shared<weft::mutex>();
  auto wg = std::make_shared<weft::wait_group>();
  wg->add(tasks);
  for (int t = 0; t < tasks; ++t) {
    weft::go([counter, mu, wg] {
      std::lock_guard lock(*mu);  // needed on real threads; harmless in a scope
      counter->write([](int& v) { ++v; });
      wg->done();
    });
  }
  wg->wait();
  std::lock_guard lock(*mu);
  require(counter->read([](const int& v) { return v; }) == tasks, "write lost an update");
}

TEST(TrackedScope, WriteIsOneAccess) {
  toolbox::expect_clean(toolbox::scope_options(1000), tracked_write_body);
}
TEST(TrackedThreads, WriteIsOneAccess) { toolbox::run_threads(tracked_write_body); }

void tracked_operations_body() {
  weft::tracked<std::string> s("ab");
  require(s.get() == "ab", "initial value");
  s.set("abc");
  require(s.read([](const std::string& v) { return v.size(); }) == 3, "read returns fn's result");
  s.write([](std::string& v) { v += "d"; });
  require(s.get() == "abcd", "write modifies in place");
  const int doubled = s.write([](std::string& v) {
    v += v;
    return static_cast<int>(v.size());
  });
  require(doubled == 8 && s.get() == "abcdabcd", "write returns fn's result");
  weft::tracked<int> zero;
  require(zero.get() == 0, "default value");
}

TEST(TrackedScope, Operations) {
  toolbox::expect_clean(toolbox::scope_options(5), tracked_operations_body);
}
TEST(TrackedThreads, Operations) { toolbox::run_threads(tracked_operations_body); }

// Each access is a scheduling point recorded as a read or a write of the tracked object.
TEST(TrackedScope, AccessesAreScheduledSteps) {
  weft::report r = weft::run([] {
    weft::tracked<int> t(1);
    t.get();
    t.set(2);
    throw std::runtime_error("stop");
  });
  ASSERT_EQ(r.kind, weft::failure_kind::uncaught_exception) << r.message;
  EXPECT_NE(r.message.find("tracked::read tracked#1"), std::string::npos) << r.message;
  EXPECT_NE(r.message.find("tracked::write tracked#1"), std::string::npos) << r.message;
}

// A tracked object made in a scope cannot be used outside it.
TEST(TrackedScope, UseOutsideItsScopeIsAUsageError) {
  std::shared_ptr<weft::tracked<int>> escaped;
  weft::report r = weft::run([&escaped] { escaped = std::make_shared<weft::tracked<int>>(3); });
  ASSERT_TRUE(r.ok()) << r.message;
  try {
    escaped->get();
    FAIL() << "using a scope's tracked object outside the scope did not throw";
  } catch (const weft::usage_error& e) {
    EXPECT_NE(std::string(e.what()).find("tracked::read: tracked#1"), std::string::npos)
        << e.what();
  }
}

}  // namespace
