// tests/context_test.cpp — cancellation, deadlines and their propagation, in a scope and outside.
#include "weft/context.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <thread>

#include "weft/explore.hpp"
#include "weft/select.hpp"
#include "weft/task.hpp"
#include "weft/time.hpp"
#include "weft/timer.hpp"
#include "weft/tracked.hpp"

namespace {

using namespace std::chrono_literals;
using weft::clock;

weft::options quick(std::uint64_t iterations = 50) {
  weft::options o;
  o.iterations = iterations;
  return o;
}

bool is_closed(const weft::chan<std::monostate>& ch) {
  bool closed = false;
  weft::select(weft::on_recv(ch, [&](std::optional<std::monostate> v) { closed = !v; }),
               weft::on_default());
  return closed;
}

void require(bool ok, const char* what) {
  if (!ok) throw std::logic_error(what);
}

TEST(ContextErrc, CategoryAndConversions) {
  std::error_code canceled = weft::errc::canceled;
  std::error_code late = make_error_code(weft::errc::deadline_exceeded);
  EXPECT_STREQ(canceled.category().name(), "weft");
  EXPECT_EQ(&canceled.category(), &weft::weft_category());
  EXPECT_EQ(canceled.message(), "context canceled");
  EXPECT_EQ(late.message(), "context deadline exceeded");
  EXPECT_EQ(canceled, weft::errc::canceled);
  EXPECT_NE(canceled, weft::errc::deadline_exceeded);
  EXPECT_EQ(late, std::errc::timed_out);
  EXPECT_EQ(canceled, std::errc::operation_canceled);
  EXPECT_TRUE(canceled);
  static_assert(std::is_error_code_enum_v<weft::errc>);
}

// --- inside a scope ------------------------------------------------------------------------

TEST(ContextScope, BackgroundIsNeverDone) {
  weft::report r = weft::explore(quick(5), [] {
    weft::context bg = weft::context::background();
    require(!bg.err(), "background has an error");
    require(!bg.deadline(), "background has a deadline");
    require(!is_closed(bg.done()), "background done() is closed");
    require(bg == weft::context(), "default context is not background");
  });
  EXPECT_TRUE(r.ok()) << r.message;
}

TEST(ContextScope, CancelClosesDoneAndSetsErr) {
  weft::report r = weft::explore(quick(), [] {
    auto [ctx, cancel] = weft::with_cancel(weft::context::background());
    require(!ctx.err() && !is_closed(ctx.done()), "live context looks done");
    weft::chan<int> woke(1);
    weft::go([ctx = ctx, woke] {
      ctx.done().recv();
      woke.send(1);
    });
    cancel();
    cancel();  // idempotent
    woke.recv();
    require(ctx.err() == weft::errc::canceled, "err after cancel");
    require(is_closed(ctx.done()), "done after cancel");
  });
  EXPECT_TRUE(r.ok()) << r.message;
}

TEST(ContextScope, CancelPropagatesToGrandchildrenNotToParents) {
  weft::report r = weft::explore(quick(), [] {
    auto [root, cancel_root] = weft::with_cancel(weft::context());
    auto [child, cancel_child] = weft::with_cancel(root);
    // (A timeout here could fire first: a task waits on it and time is explored.)
    auto [grandchild, cancel_grandchild] = weft::with_cancel(child);
    auto [sibling, cancel_sibling] = weft::with_cancel(root);
    cancel_sibling();
    require(!root.err() && !child.err(), "a child's cancel reached its parent");
    weft::chan<int> woke;
    weft::go([gc = grandchild, woke] {
      gc.done().recv();
      woke.close();
    });
    cancel_root();
    woke.recv();
    require(child.err() == weft::errc::canceled, "child");
    require(grandchild.err() == weft::errc::canceled, "grandchild");
    require(sibling.err() == weft::errc::canceled, "sibling keeps its own reason");
    auto [late, cancel_late] = weft::with_cancel(child);  // made from a cancelled parent
    require(late.err() == weft::errc::canceled && is_closed(late.done()), "late child");
    cancel_grandchild();
    cancel_child();
    cancel_late();
  });
  EXPECT_TRUE(r.ok()) << r.message;
}

TEST(ContextScope, TimeoutFiresAtTheDeadline) {
  weft::report r = weft::explore(quick(), [] {
    const auto t0 = clock::now();
    auto [ctx, cancel] = weft::with_timeout(weft::context(), 3s);
    require(ctx.deadline() == t0 + 3s, "deadline()");
    ctx.done().recv();
    require(clock::now() == t0 + 3s, "fired at the wrong time");
    require(ctx.err() == weft::errc::deadline_exceeded, "err");
    cancel();
    require(ctx.err() == weft::errc::deadline_exceeded, "cancel after the deadline changed err");
  });
  EXPECT_TRUE(r.ok()) << r.message;
}

TEST(ContextScope, DeadlineExceededPropagatesAndChildDeadlineIsCapped) {
  weft::report r = weft::explore(quick(), [] {
    const auto t0 = clock::now();
    auto [parent, cancel_parent] = weft::with_timeout(weft::context(), 1s);
    auto [child, cancel_child] = weft::with_timeout(parent, 1h);
    auto [early, cancel_early] = weft::with_deadline(parent, t0 + 200ms);
    require(child.deadline() == t0 + 1s, "child deadline not capped by the parent");
    require(early.deadline() == t0 + 200ms, "an earlier child deadline is kept");
    early.done().recv();
    require(clock::now() == t0 + 200ms && !parent.err(), "early child");
    child.done().recv();  // woken by the parent's deadline
    require(clock::now() == t0 + 1s, "child woke at the wrong time");
    require(child.err() == weft::errc::deadline_exceeded, "child err");
    cancel_child();
    cancel_early();
    cancel_parent();
  });
  EXPECT_TRUE(r.ok()) << r.message;
}

TEST(ContextScope, DeadlineInThePastIsDoneAtOnce) {
  weft::report r = weft::explore(quick(5), [] {
    auto [ctx, cancel] = weft::with_deadline(weft::context(), clock::now() - 1s);
    require(ctx.err() == weft::errc::deadline_exceeded && is_closed(ctx.done()), "past");
    auto [zero, cancel_zero] = weft::with_timeout(weft::context(), 0s);
    require(zero.err() == weft::errc::deadline_exceeded, "zero timeout");
    cancel();
    cancel_zero();
  });
  EXPECT_TRUE(r.ok()) << r.message;
}

TEST(ContextScope, PassedDeadlineShowsInErrBeforeTheTimerFires) {
  weft::report r = weft::explore(quick(), [] {
    auto [ctx, cancel] = weft::with_timeout(weft::context(), 1s);
    weft::sleep_for(1s);  // ties with the deadline, which nobody waits on
    require(ctx.err() == weft::errc::deadline_exceeded, "err at the deadline");
    cancel();
  });
  EXPECT_TRUE(r.ok()) << r.message;
}

TEST(ContextScope, DoneInsideSelectIsWokenByTheDeadline) {
  weft::report r = weft::explore(quick(), [] {
    auto [ctx, cancel] = weft::with_timeout(weft::context(), 50ms);
    weft::chan<int> never;
    std::size_t which = weft::select(weft::on_recv(never), weft::on_recv(ctx.done()));
    require(which == 1, "select");
    cancel();
  });
  EXPECT_TRUE(r.ok()) << r.message;
}

TEST(ContextScope, DeadlineNobodyWaitsOnDoesNotHideADeadlock) {
  weft::report r = weft::explore(quick(5), [] {
    auto [ctx, cancel] = weft::with_timeout(weft::context(), 1s);
    weft::chan<int> never;
    never.recv();
    cancel();
  });
  EXPECT_EQ(r.kind, weft::failure_kind::deadlock) << r.message;
}

// The cancel is a scheduling point: a worker checking err() and then waiting sees both orders.
TEST(ContextScope, CancelRacingAWorkerIsExploredBothWays) {
  int saw_live = 0;
  int saw_cancelled = 0;
  weft::report r = weft::explore(quick(300), [&] {
    auto [ctx, cancel] = weft::with_cancel(weft::context());
    weft::chan<bool> seen(1);
    weft::go([ctx = ctx, seen] { seen.send(!ctx.err()); });
    cancel();
    (*seen.recv() ? saw_live : saw_cancelled)++;
  });
  EXPECT_TRUE(r.ok()) << r.message;
  EXPECT_GT(saw_live, 0);
  EXPECT_GT(saw_cancelled, 0);
}

// Happens-before: cancelling happens before whoever observes the cancellation (through done()
// or err()), and nothing the canceller does afterwards does.
TEST(ContextScope, CancelOrdersTheCancellerBeforeTheObserver) {
  auto program = [](bool write_after_cancel) {
    return [write_after_cancel] {
      auto x = std::make_shared<weft::tracked<int>>(0);
      auto [root, cancel] = weft::with_cancel(weft::context());
      auto [child, cancel_child] = weft::with_cancel(root);
      weft::chan<int> finished;
      weft::go([child = child, x, finished] {
        child.done().recv();  // observes the parent's cancel through the child
        x->get();
        finished.send(1);
      });
      if (!write_after_cancel) x->set(1);
      cancel();
      if (write_after_cancel) x->set(2);
      finished.recv();
      cancel_child();
    };
  };
  weft::report ordered = weft::explore(quick(200), program(false));
  EXPECT_TRUE(ordered.ok()) << ordered.message;
  weft::report racy = weft::explore(quick(200), program(true));
  EXPECT_EQ(racy.kind, weft::failure_kind::data_race) << racy.message;
}

TEST(ContextScope, DeadlineOrdersTheCreatorBeforeTheObserver) {
  weft::report r = weft::explore(quick(200), [] {
    auto x = std::make_shared<weft::tracked<int>>(0);
    auto [root, cancel_root] = weft::with_cancel(weft::context());
    weft::chan<weft::context> handoff(1);
    weft::chan<int> finished;
    weft::go([handoff, x, finished] {
      weft::context ctx = *handoff.recv();
      ctx.done().recv();
      x->get();
      finished.send(1);
    });
    x->set(1);
    auto [ctx, cancel] = weft::with_timeout(root, 1s);
    handoff.send(ctx);
    finished.recv();
    cancel();
    cancel_root();
  });
  EXPECT_TRUE(r.ok()) << r.message;
}

// --- production mode -------------------------------------------------------------------------

TEST(ContextReal, TimeoutFires) {
  const auto t0 = clock::now();
  auto [ctx, cancel] = weft::with_timeout(weft::context(), 5ms);
  EXPECT_FALSE(ctx.done().recv().has_value());
  EXPECT_GE(clock::now() - t0, 5ms);
  EXPECT_EQ(ctx.err(), weft::errc::deadline_exceeded);
  cancel();
  EXPECT_EQ(ctx.err(), weft::errc::deadline_exceeded);
}

TEST(ContextReal, CancelFromAnotherThreadPropagates) {
  auto [root, cancel_root] = weft::with_cancel(weft::context());
  auto [child, cancel_child] = weft::with_timeout(root, 1h);
  auto [grandchild, cancel_grandchild] = weft::with_cancel(child);
  std::thread canceller([cancel = cancel_root] {
    std::this_thread::sleep_for(2ms);
    cancel();
  });
  EXPECT_FALSE(grandchild.done().recv().has_value());
  EXPECT_EQ(grandchild.err(), weft::errc::canceled);
  EXPECT_EQ(child.err(), weft::errc::canceled);
  canceller.join();
  cancel_grandchild();
  cancel_child();
}

TEST(ContextReal, ChildDeadlineCappedAndParentDeadlinePropagates) {
  auto [parent, cancel_parent] = weft::with_timeout(weft::context(), 5ms);
  auto [child, cancel_child] = weft::with_timeout(parent, 1h);
  EXPECT_EQ(child.deadline(), parent.deadline());
  EXPECT_FALSE(child.done().recv().has_value());
  EXPECT_EQ(child.err(), weft::errc::deadline_exceeded);
  cancel_child();
  cancel_parent();
}

TEST(ContextReal, ManyContextsCancelledConcurrently) {
  auto [root, cancel_root] = weft::with_cancel(weft::context());
  constexpr int threads = 4;
  weft::chan<int> done(threads);
  for (int i = 0; i < threads; ++i) {
    weft::go([root = root, done, i] {
      for (int k = 0; k < 100; ++k) {
        auto [c, cancel] = weft::with_timeout(root, std::chrono::microseconds(50 * (k % 4)));
        if (k % 2 == 0) cancel();
        c.done().recv();
        cancel();
      }
      done.send(i);
    });
  }
  for (int i = 0; i < threads; ++i) EXPECT_TRUE(done.recv().has_value());
  cancel_root();
}

}  // namespace
