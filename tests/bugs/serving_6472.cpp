// Origin: Knative Serving, PR #6472 -- GoBench kernel gobench/goker/nonblocking/serving/6472
//   (serving6472_test.go).
// Bug: Prober.IsReady() queues the probe work items first and only then adds their number to
//   ingressState.pendingCount with a plain, non-atomic `+=`; the workers that process the items
//   decrement the same field with atomic.AddInt32(-1). The += races with the decrement, and when
//   the decrement lands between its read and its write the decrement is lost and the ingress never
//   becomes ready: a non-atomic update versus an atomic decrement.
// Fix: pendingCount is set atomically, before any work item is queued.
// Expected kind: data_race. The race is there in every schedule (the worker always gets the item);
//   the lost update is also checked as an assertion at the end of the test (weft_expect, reported
//   as uncaught_exception where the race detector does not report first).
// Port notes: the queue's Get() waits on the condition variable for an item, as a real work queue
//   does (the GoBench kernel returns nil on an empty queue); the counter is a
//   weft::bugs::mixed_atomic (kernel.hpp), one word used both atomically and plainly.
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>
#include <weft/weft.hpp>

#include "kernel.hpp"

namespace {

using weft::bugs::mixed_atomic;
using weft::bugs::unit;
using weft::bugs::version;

struct ingress_state {
  mixed_atomic<std::int32_t> pending_count_;
};

struct work_item {
  std::shared_ptr<ingress_state> ingress_state_;
};

// workqueue.Type (behind the delaying and rate-limiting wrappers, which only forward here).
class work_queue {
 public:
  std::shared_ptr<work_item> get() {
    std::unique_lock<weft::mutex> lock(mu_);
    cond_.wait(lock, [this] { return !queue_.empty(); });
    std::shared_ptr<work_item> item = queue_.front();
    queue_.pop_front();
    return item;
  }

  void add(std::shared_ptr<work_item> item) {
    std::lock_guard<weft::mutex> lock(mu_);
    queue_.push_back(std::move(item));
    cond_.notify_one();
  }

 private:
  weft::mutex mu_;
  weft::cond_var cond_;
  std::deque<std::shared_ptr<work_item>> queue_;  // guarded by mu_
};

struct prober {
  explicit prober(version v) : version_(v) {}

  version version_;
  work_queue work_queue_;

  std::shared_ptr<ingress_state> is_ready() {
    std::map<std::string, std::vector<std::shared_ptr<work_item>>> work_items;
    auto state = std::make_shared<ingress_state>();
    work_items["0"].push_back(std::make_shared<work_item>(work_item{state}));
    const auto count = static_cast<std::int32_t>(work_items.size());
    if (version_ == version::fixed) state->pending_count_.atomic_add(count);
    for (const auto& entry : work_items) {
      for (const auto& wi : entry.second) work_queue_.add(wi);
    }
    if (version_ == version::buggy) state->pending_count_.plain_add(count);  // too late, not atomic
    return state;
  }

  void process_work_item() {
    std::shared_ptr<work_item> item = work_queue_.get();
    update_states(*item->ingress_state_);
  }

  void update_states(ingress_state& state) {
    if (state.pending_count_.atomic_add(-1) == 0) {
      // every probe of this ingress succeeded: it would be marked ready here
    }
  }
};

// Starts two workers; the returned channel is closed once both have finished.
weft::chan<unit> start(const std::shared_ptr<prober>& p) {
  auto wg = std::make_shared<weft::wait_group>();
  for (int i = 0; i < 2; ++i) {
    wg->add(1);
    weft::go("prober-worker", [p, wg] {
      p->process_work_item();
      wg->done();
    });
  }
  weft::chan<unit> ch;
  weft::go("prober-join", [wg, ch] {
    wg->wait();
    ch.close();
  });
  return ch;
}

std::shared_ptr<prober> new_prober(version v) {
  auto p = std::make_shared<prober>(v);
  p->work_queue_.add(std::make_shared<work_item>(work_item{std::make_shared<ingress_state>()}));
  return p;
}

void run(version v) {
  auto p = new_prober(v);
  weft::chan<unit> cancelled = start(p);
  std::shared_ptr<ingress_state> state = p->is_ready();
  weft::sleep_for(std::chrono::milliseconds(1));
  cancelled.recv();  // both workers are done: every queued probe was processed
  weft::bugs::weft_expect(state->pending_count_.atomic_load() == 0,
                          "serving#6472: a pendingCount decrement was lost; the ingress never "
                          "becomes ready");
}

void buggy() { run(version::buggy); }
void fixed() { run(version::fixed); }

}  // namespace

WEFT_BUG_KERNEL("serving_6472", "serving#6472", weft::failure_kind::data_race, buggy, fixed);
