// bench/bench_production.cpp — weft's production mode (real threads, outside any scope) beside
// the obvious alternatives, each pair in the same run; and one scope-mode figure, `select`.
//
//   BM_prod_lock_uncontended<M>   lock + unlock of one mutex by one thread (M = weft::mutex or
//                                 std::mutex)
//   BM_prod_lock_contended<M>     the same from 2 threads on one shared mutex (->Threads(2)),
//                                 each incrementing a counter inside the critical section
//   BM_prod_buffered_*            one producer thread sends `items` ints through a channel of
//                                 capacity 128 to one consumer thread (the benchmark's thread):
//                                 weft::chan<int>(128), a std::mutex + 2 std::condition_variable
//                                 ring buffer, boost::fibers::buffered_channel<int>(128)
//   BM_prod_round_trip_*          ping-pong between two threads: send on `ping`, receive the echo
//                                 on `pong`: weft::chan<int> (unbuffered), Boost.Fiber's
//                                 unbuffered_channel<int>, a one-slot std::mutex + cv handoff
//   BM_scope_select4              inside weft::explore: one task, 4 buffered channels, one
//                                 `select` with 4 on_recv cases per step
//
// Figures are per operation (`ns_per_op`: wall time, what the 1.5x target is stated in;
// `cpu_ns_per_op`: CPU time of the whole process, both threads, over the same work — see
// bench_util.hpp). Boost.Fiber channels are used from plain std::threads: each thread's main
// context blocks in the channel, and Boost.Fiber wakes it across threads through its scheduler.
#include <benchmark/benchmark.h>

#include <array>
#include <boost/fiber/buffered_channel.hpp>
#include <boost/fiber/unbuffered_channel.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "bench_explore.hpp"
#include "bench_util.hpp"
#include "weft/weft.hpp"

namespace {

using weft_bench::stopwatch;
using weft_bench::tally;
using weft_bench::timed_explore;

void per_op(benchmark::State& state, const tally& t, double ops) {
  state.counters["ns_per_op"] = t.wall_ns / ops;
  state.counters["cpu_ns_per_op"] = t.cpu_ns / ops;
}

// --- mutexes -------------------------------------------------------------------------------------

template <class M>
void BM_prod_lock_uncontended(benchmark::State& state) {
  M mu;
  for (auto _ : state) {
    mu.lock();
    benchmark::ClobberMemory();
    mu.unlock();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK_TEMPLATE(BM_prod_lock_uncontended, weft::mutex);
BENCHMARK_TEMPLATE(BM_prod_lock_uncontended, std::mutex);

// One mutex shared by the benchmark's threads (created before any of them starts timing:
// Google Benchmark starts all threads of a run together and they share this static).
template <class M>
struct contended {
  static M mu;
  static std::uint64_t counter;  // guarded by mu
};
template <class M>
M contended<M>::mu;
template <class M>
std::uint64_t contended<M>::counter = 0;

template <class M>
void BM_prod_lock_contended(benchmark::State& state) {
  for (auto _ : state) {
    contended<M>::mu.lock();
    ++contended<M>::counter;
    contended<M>::mu.unlock();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK_TEMPLATE(BM_prod_lock_contended, weft::mutex)->Threads(2)->UseRealTime();
BENCHMARK_TEMPLATE(BM_prod_lock_contended, std::mutex)->Threads(2)->UseRealTime();

// --- the alternative queues ----------------------------------------------------------------------

/// The textbook bounded queue: a ring buffer under a std::mutex, two condition variables.
class mutex_cv_queue {
 public:
  explicit mutex_cv_queue(std::size_t capacity) : slots_(capacity) {}
  void push(int v) {
    std::unique_lock lock(mu_);
    not_full_.wait(lock, [&] { return count_ < slots_.size(); });
    slots_[(head_ + count_) % slots_.size()] = v;
    ++count_;
    lock.unlock();
    not_empty_.notify_one();
  }
  int pop() {
    std::unique_lock lock(mu_);
    not_empty_.wait(lock, [&] { return count_ > 0; });
    const int v = slots_[head_];
    head_ = (head_ + 1) % slots_.size();
    --count_;
    lock.unlock();
    not_full_.notify_one();
    return v;
  }

 private:
  std::mutex mu_;
  std::condition_variable not_empty_, not_full_;
  std::vector<int> slots_;  // guarded by mu_, like head_ and count_
  std::size_t head_ = 0, count_ = 0;
};

/// A one-slot handoff under a std::mutex and one condition variable: push waits for the slot to
/// be empty, pop for it to be full (what an unbuffered channel reduces to in a ping-pong).
class mutex_cv_slot {
 public:
  void push(int v) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return !value_.has_value(); });
    value_ = v;
    lock.unlock();
    cv_.notify_all();
  }
  int pop() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return value_.has_value(); });
    const int v = *value_;
    value_.reset();
    lock.unlock();
    cv_.notify_all();
    return v;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::optional<int> value_;  // guarded by mu_
};

// Uniform send/recv over the three kinds, so each benchmark body is written once.
void put(const weft::chan<int>& c, int v) { c.send(v); }
int take(const weft::chan<int>& c) { return *c.recv(); }
void put(mutex_cv_queue& q, int v) { q.push(v); }
int take(mutex_cv_queue& q) { return q.pop(); }
void put(mutex_cv_slot& q, int v) { q.push(v); }
int take(mutex_cv_slot& q) { return q.pop(); }
template <class T>
void put(boost::fibers::buffered_channel<T>& c, int v) {
  c.push(v);
}
template <class T>
int take(boost::fibers::buffered_channel<T>& c) {
  return c.value_pop();
}
template <class T>
void put(boost::fibers::unbuffered_channel<T>& c, int v) {
  c.push(v);
}
template <class T>
int take(boost::fibers::unbuffered_channel<T>& c) {
  return c.value_pop();
}

// --- buffered throughput: one producer thread, one consumer thread -------------------------------

constexpr std::size_t buffer_capacity = 128;  // a power of two: Boost's buffered_channel needs it

template <class Q>
void buffered_throughput(benchmark::State& state, Q& q) {
  const auto items = static_cast<int>(state.range(0));
  tally t;
  std::int64_t checksum = 0;
  for (auto _ : state) {
    stopwatch sw;
    std::thread producer([&q, items] {
      for (int i = 0; i < items; ++i) put(q, i);
    });
    std::int64_t sum = 0;
    for (int i = 0; i < items; ++i) sum += take(q);
    producer.join();
    t.add(sw);
    checksum += sum;
  }
  benchmark::DoNotOptimize(checksum);
  const double ops = static_cast<double>(state.iterations()) * items;
  if (checksum != static_cast<std::int64_t>(state.iterations()) * items * (items - 1LL) / 2) {
    state.SkipWithError("items were lost");
  }
  per_op(state, t, ops);
  state.SetItemsProcessed(static_cast<std::int64_t>(ops));
}

void BM_prod_buffered_weft_chan(benchmark::State& state) {
  weft::chan<int> ch(buffer_capacity);
  buffered_throughput(state, ch);
}
void BM_prod_buffered_mutex_cv_queue(benchmark::State& state) {
  mutex_cv_queue q(buffer_capacity);
  buffered_throughput(state, q);
}
void BM_prod_buffered_boost_fiber(benchmark::State& state) {
  boost::fibers::buffered_channel<int> ch(buffer_capacity);
  buffered_throughput(state, ch);
}
BENCHMARK(BM_prod_buffered_weft_chan)->Arg(200'000)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_prod_buffered_mutex_cv_queue)
    ->Arg(200'000)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_prod_buffered_boost_fiber)->Arg(200'000)->Unit(benchmark::kMillisecond)->UseRealTime();

// --- unbuffered round trip: ping-pong between two threads ----------------------------------------

template <class Q>
void round_trips(benchmark::State& state, Q& ping, Q& pong) {
  const auto trips = static_cast<int>(state.range(0));
  tally t;
  for (auto _ : state) {
    stopwatch sw;
    std::thread echo([&ping, &pong, trips] {
      for (int i = 0; i < trips; ++i) put(pong, take(ping) + 1);
    });
    for (int i = 0; i < trips; ++i) {
      put(ping, i);
      if (take(pong) != i + 1) state.SkipWithError("wrong echo");
    }
    echo.join();
    t.add(sw);
  }
  const double ops = static_cast<double>(state.iterations()) * trips;
  per_op(state, t, ops);
  state.SetItemsProcessed(static_cast<std::int64_t>(ops));
}

void BM_prod_round_trip_weft_chan(benchmark::State& state) {
  weft::chan<int> ping, pong;
  round_trips(state, ping, pong);
}
void BM_prod_round_trip_mutex_cv_slot(benchmark::State& state) {
  mutex_cv_slot ping, pong;
  round_trips(state, ping, pong);
}
void BM_prod_round_trip_boost_fiber(benchmark::State& state) {
  boost::fibers::unbuffered_channel<int> ping, pong;
  round_trips(state, ping, pong);
}
BENCHMARK(BM_prod_round_trip_weft_chan)->Arg(20'000)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_prod_round_trip_mutex_cv_slot)
    ->Arg(20'000)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_prod_round_trip_boost_fiber)
    ->Arg(20'000)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// --- scope mode: one select over 4 channels per step ---------------------------------------------

// One task (the body) fills 4 buffered channels with `per_channel` values each, then runs
// 4 * per_channel selects, each with an on_recv case per channel: every select is a scheduling
// point and, while several channels still hold values, an explored choice among the ready cases.
// `ns_per_select` (wall) and `cpu_ns_per_select` time the select loop only (measured inside the
// body: the schedule does not depend on it); `ns_per_select_with_fill` divides the whole
// weft::explore call, fill included.
void BM_scope_select4(benchmark::State& state) {
  const auto per_channel = static_cast<int>(state.range(0));
  const auto executions = static_cast<std::uint64_t>(state.range(1));
  weft::options opts;
  opts.iterations = executions;
  opts.max_steps = std::uint64_t{1} << 40;
  tally select_time;
  std::uint64_t selects = 0, sum = 0;
  const std::function<void()> body = [per_channel, &select_time, &sum] {
    std::array<weft::chan<int>, 4> ch{weft::chan<int>(per_channel), weft::chan<int>(per_channel),
                                      weft::chan<int>(per_channel), weft::chan<int>(per_channel)};
    for (auto& c : ch) {
      for (int i = 0; i < per_channel; ++i) c.send(i);
    }
    auto add = [&sum](std::optional<int> v) { sum += static_cast<std::uint64_t>(*v); };
    stopwatch sw;
    for (int i = 0; i < 4 * per_channel; ++i) {
      weft::select(weft::on_recv(ch[0], add), weft::on_recv(ch[1], add), weft::on_recv(ch[2], add),
                   weft::on_recv(ch[3], add));
    }
    select_time.add(sw);
  };
  tally t;
  for (auto _ : state) {
    weft::report r;
    if (!timed_explore(state, opts, body, t, r)) return;
    selects += r.executions * 4 * static_cast<std::uint64_t>(per_channel);
  }
  benchmark::DoNotOptimize(sum);
  state.counters["ns_per_select"] = select_time.wall_ns / static_cast<double>(selects);
  state.counters["cpu_ns_per_select"] = select_time.cpu_ns / static_cast<double>(selects);
  state.counters["ns_per_select_with_fill"] = t.wall_ns / static_cast<double>(selects);
  state.counters["cpu_ns_per_select_with_fill"] = t.cpu_ns / static_cast<double>(selects);
}
BENCHMARK(BM_scope_select4)
    ->ArgNames({"per_channel", "execs"})
    ->Args({25'000, 1})
    ->Args({25, 1'000})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
