// Example 08 — unbounded task creation, caught by the explosion guard.
//
// An event handler starts one task per incoming event, and every task waits for a slow shared
// resource. Under load the number of live tasks grows without bound (Go's "goroutine explosion").
// weft ends the execution once more than options::max_live_tasks tasks are alive and names the
// spawn site responsible for most of them. The fix bounds concurrency with an errgroup limit.
#include <memory>

#include "story.hpp"

namespace {

constexpr int events = 5000;

void one_task_per_event() {
  auto resource = std::make_shared<weft::mutex>();
  resource->lock();  // the slow resource is busy for now
  for (int e = 0; e < events; ++e) {
    weft::go("handler", [resource] { std::lock_guard lock(*resource); });
  }
  resource->unlock();
}

void bounded_handlers() {
  auto resource = std::make_shared<weft::mutex>();
  weft::errgroup group;
  group.set_limit(8);  // go() blocks while 8 handlers run
  for (int e = 0; e < 200; ++e) {
    group.go([resource] { std::lock_guard lock(*resource); });
  }
  group.wait();
}

}  // namespace

int main() {
  weft::options opts = story::options(20);
  opts.max_live_tasks = 1000;
  return story::tell("08 unbounded task creation", weft::failure_kind::too_many_tasks,
                     one_task_per_event, bounded_handlers, opts);
}

// Expected output (abridged):
//   weft: too_many_tasks — more than 1000 live tasks: unbounded task creation
//     1000 tasks are alive (limit 1000, options::max_live_tasks / WEFT_MAX_LIVE_TASKS)
//     most were spawned at 08_task_explosion.cpp:19 (999 live tasks)
//     replay: WEFT_REPLAY=w1.... ./examples/08_task_explosion
//   --- the fixed version ---
//   no bug in 20 executions (...)
