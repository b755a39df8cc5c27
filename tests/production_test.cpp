// Production mode: outside any scope the same primitives run on real threads with real blocking.
// These tests also run under ThreadSanitizer in CI (tools/test.sh, filter *Production*).
#include <atomic>
#include <chrono>
#include <memory>
#include <set>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <weft/weft.hpp>

namespace {

using namespace std::chrono_literals;

TEST(ProductionChannel, UnbufferedRendezvousAcrossThreads) {
  weft::chan<int> ch;
  weft::chan<int> back;
  weft::go([ch, back] {
    for (int i = 0; i < 1000; ++i) back.send(*ch.recv() + 1);
  });
  for (int i = 0; i < 1000; ++i) {
    ch.send(i);
    EXPECT_EQ(back.recv(), i + 1);
  }
}

TEST(ProductionChannel, BufferedFifoManyProducersOneConsumer) {
  weft::chan<int> ch(16);
  weft::wait_group wg;
  constexpr int producers = 4, per = 2000;
  wg.add(producers);
  for (int p = 0; p < producers; ++p) {
    weft::go([ch, &wg, p] {
      for (int i = 0; i < per; ++i) ch.send(p * per + i);
      wg.done();
    });
  }
  weft::go([ch, &wg] {
    wg.wait();
    ch.close();
  });
  std::vector<int> last(producers, -1);
  int count = 0;
  for (int v : ch) {
    int p = v / per;
    EXPECT_GT(v, last[p]);  // FIFO per producer
    last[p] = v;
    ++count;
  }
  EXPECT_EQ(count, producers * per);
}

TEST(ProductionChannel, CloseWakesBlockedReceiversAndSendOnClosedThrows) {
  weft::chan<int> ch;
  std::atomic<int> woken{0};
  weft::wait_group wg;
  wg.add(3);
  for (int i = 0; i < 3; ++i) {
    weft::go([ch, &woken, &wg] {
      if (!ch.recv()) ++woken;
      wg.done();
    });
  }
  std::this_thread::sleep_for(5ms);
  ch.close();
  wg.wait();
  EXPECT_EQ(woken.load(), 3);
  EXPECT_THROW(ch.send(1), weft::usage_error);
  EXPECT_THROW(ch.close(), weft::usage_error);
}

TEST(ProductionSelect, TakesTheReadyCaseAndDefault) {
  weft::chan<int> a(1), b;
  a.send(3);
  int got = 0;
  EXPECT_EQ(weft::select(weft::on_recv(b), weft::on_recv(a, [&](auto v) { got = *v; })), 1u);
  EXPECT_EQ(got, 3);
  EXPECT_EQ(weft::select(weft::on_recv(b), weft::on_default()), 1u);
}

TEST(ProductionSelect, BlockingSelectsMeetAcrossThreads) {
  weft::chan<int> ch;
  weft::chan<int> unused;
  constexpr int rounds = 500;
  weft::go([ch, unused] {
    for (int i = 0; i < rounds; ++i) weft::select(weft::on_send(ch, i), weft::on_recv(unused));
  });
  for (int i = 0; i < rounds; ++i) {
    int got = -1;
    weft::select(weft::on_recv(ch, [&](auto v) { got = *v; }), weft::on_recv(unused));
    EXPECT_EQ(got, i);
  }
}

TEST(ProductionSelect, RandomAmongReadyCases) {
  weft::chan<int> a(1), b(1);
  std::set<std::size_t> taken;
  for (int i = 0; i < 200; ++i) {
    a.send(1);
    b.send(2);
    taken.insert(weft::select(weft::on_recv(a), weft::on_recv(b)));
    // drain the other one
    weft::select(weft::on_recv(a), weft::on_recv(b));
  }
  EXPECT_EQ(taken, (std::set<std::size_t>{0, 1}));
}

TEST(ProductionMutex, ExcludesAcrossThreadsAndAllowsForeignUnlock) {
  weft::mutex mu;
  int counter = 0;
  weft::wait_group wg;
  wg.add(4);
  for (int t = 0; t < 4; ++t) {
    weft::go([&] {
      for (int i = 0; i < 10000; ++i) {
        std::lock_guard lock(mu);
        ++counter;
      }
      wg.done();
    });
  }
  wg.wait();
  EXPECT_EQ(counter, 40000);
  mu.lock();
  std::thread([&mu] { mu.unlock(); }).join();  // not owned, as in Go
  EXPECT_TRUE(mu.try_lock());
  mu.unlock();
  EXPECT_THROW(mu.unlock(), weft::usage_error);
}

TEST(ProductionWaitGroup, WaitBlocksUntilZeroAndNegativeThrows) {
  weft::wait_group wg;
  std::atomic<int> done{0};
  wg.add(8);
  for (int i = 0; i < 8; ++i) {
    weft::go([&] {
      std::this_thread::sleep_for(1ms);
      ++done;
      wg.done();
    });
  }
  wg.wait();
  EXPECT_EQ(done.load(), 8);
  EXPECT_THROW(wg.done(), weft::usage_error);
}

TEST(ProductionTasks, ChooseAndYieldWork) {
  EXPECT_FALSE(weft::in_scope());
  EXPECT_LT(weft::choose(3), 3u);
  weft::yield();
}

}  // namespace
