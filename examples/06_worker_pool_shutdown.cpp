// Example 06 — a worker pool without graceful shutdown, and with it.
//
// The buggy pool starts workers that loop on a job channel nobody ever closes: when the caller is
// done submitting it simply returns, and every worker stays blocked in recv forever (a leak weft
// reports task by task). The fix is weft::worker_pool: shutdown() stops intake, lets the workers
// finish queued and running jobs, and joins them.
#include <memory>
#include <string>

#include "story.hpp"

namespace {

void handle(int job, const std::shared_ptr<weft::atomic<int>>& done) {
  weft::yield();  // the work
  done->fetch_add(job > 0 ? 1 : 0);
}

void hand_rolled_pool() {
  auto done = std::make_shared<weft::atomic<int>>(0);
  weft::chan<int> jobs(4);
  for (int w = 0; w < 2; ++w) {
    weft::go("worker-" + std::to_string(w), [jobs, done] {
      while (auto job = jobs.recv()) handle(*job, done);
    });
  }
  for (int job = 1; job <= 5; ++job) jobs.send(job);
  // forgot: jobs.close() and waiting for the workers
}

void graceful_pool() {
  auto done = std::make_shared<weft::atomic<int>>(0);
  weft::worker_pool<int> pool(2, 4, [done](int job) { handle(job, done); });
  for (int job = 1; job <= 5; ++job) pool.submit(job);
  pool.shutdown();
  if (done->load() != 5) throw std::logic_error("shutdown dropped jobs");
}

}  // namespace

int main() {
  return story::tell("06 a worker pool without graceful shutdown", weft::failure_kind::leak,
                     hand_rolled_pool, graceful_pool);
}

// Expected output (abridged):
//   weft: leak — the body returned but 2 tasks stay blocked forever
//     task "worker-0" (spawned at 06_worker_pool_shutdown.cpp:23) is blocked in chan::recv ...
//     task "worker-1" (spawned at 06_worker_pool_shutdown.cpp:23) is blocked in chan::recv ...
//     replay: WEFT_REPLAY=w1.... ./examples/06_worker_pool_shutdown
//   --- the fixed version ---
//   no bug in 2000 executions (...)
