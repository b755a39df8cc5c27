// weft/worker_pool.hpp — a fixed set of worker tasks draining a bounded job queue.
//
//   weft::worker_pool<std::string> pool(4, 16, [](std::string path) { index(path); });
//   for (auto& p : paths) {
//     if (!pool.submit(p)) break;            // blocks while 16 jobs wait (backpressure)
//   }
//   pool.shutdown();                         // runs what was queued, then joins the workers
//
// `workers` tasks (threads outside a scope) each take the next job from a queue holding up to
// `queue_capacity` jobs and call `handler(job)`. An exception escaping the handler is a bug like
// in any task: kind `uncaught_exception` inside a scope, std::terminate outside.
//
// Blocking: submit(job) blocks while the queue is full and returns true once the job is queued,
// or false if the pool is (or, while it waits, gets) shut down — the job is then dropped.
// submit(ctx, job) also returns false if ctx is done before there is room. shutdown() stops
// accepting jobs, wakes blocked submitters (they return false), lets the workers finish every
// queued and running job, and returns once they have all exited. It is idempotent and safe to
// call from several tasks at once; the destructor calls it. Inside a scope every one of these is
// made of scheduling points (a weft::mutex, wait_groups, channels and select).
// Misuse: zero workers is a panic (weft::usage_error outside a scope); calling shutdown() from a
// handler deadlocks (the worker would wait for itself), which weft reports.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <variant>

#include "weft/chan.hpp"
#include "weft/context.hpp"
#include "weft/detail/source_location.hpp"
#include "weft/mutex.hpp"
#include "weft/select.hpp"
#include "weft/task.hpp"
#include "weft/wait_group.hpp"

namespace weft {

template <class Job>
class worker_pool {
 public:
  worker_pool(std::size_t workers, std::size_t queue_capacity, std::function<void(Job)> handler,
              weft::source_location site = weft::source_location::current())
      : state_(std::make_shared<state>(queue_capacity, std::move(handler), site)) {
    if (workers == 0) {
      detail::panic(detail::current_scope(), "worker_pool: needs at least one worker", site);
    }
    for (std::size_t i = 0; i < workers; ++i) {
      state_->workers.add(1, site);
      weft::go(
          "worker-" + std::to_string(i),
          [st = state_] {
            for (std::optional<Job> job = st->jobs.recv(); job; job = st->jobs.recv()) {
              st->handler(std::move(*job));
            }
            st->workers.done();
          },
          site);
    }
  }
  worker_pool(const worker_pool&) = delete;
  worker_pool& operator=(const worker_pool&) = delete;
  /// shutdown(), unless the pool's execution is over (then there is nothing left to join).
  ~worker_pool() {
    detail::no_unwind_here in_destructor;  // the join blocks: teardown must not throw through it
    if (detail::usable_now(state_->mutex.header())) shutdown();
  }

  /// Queues `job`, blocking while the queue is full. False if the pool is shut down.
  bool submit(Job job, weft::source_location site = weft::source_location::current()) {
    if (!enter(site)) return false;
    bool sent = false;
    weft::select(on_send(
                     state_->jobs, std::move(job), [&sent] { sent = true; }, site),
                 on_recv(state_->quit, {}, site));
    state_->submitters.done(site);
    return sent;
  }

  /// Like submit(job), but also gives up (false) once `ctx` is done.
  bool submit(const context& ctx, Job job,
              weft::source_location site = weft::source_location::current()) {
    if (ctx.err()) return false;
    if (!enter(site)) return false;
    bool sent = false;
    weft::select(on_send(
                     state_->jobs, std::move(job), [&sent] { sent = true; }, site),
                 on_recv(state_->quit, {}, site), on_recv(ctx.done(site), {}, site));
    state_->submitters.done(site);
    return sent;
  }

  /// Stops accepting jobs, finishes the queued and running ones, and joins the workers.
  void shutdown(weft::source_location site = weft::source_location::current()) {
    state_->mutex.lock(site);
    const bool first = !state_->closing;
    state_->closing = true;
    state_->mutex.unlock(site);
    if (first) {
      state_->quit.close(site);       // blocked submitters give up
      state_->submitters.wait(site);  // nobody is between enter() and its send any more
      state_->jobs.close(site);       // so no send can meet the closed queue
    }
    state_->workers.wait(site);
  }

 private:
  struct state {
    state(std::size_t capacity, std::function<void(Job)> h, const weft::source_location& site)
        : jobs(capacity, site),
          quit(site),
          mutex(site),
          submitters(site),
          workers(site),
          handler(std::move(h)) {}
    chan<Job> jobs;             // closed once no submitter can still send
    chan<std::monostate> quit;  // closed when shutdown starts
    weft::mutex mutex;          // guards `closing` and entering `submitters`
    bool closing = false;
    wait_group submitters;  // submit calls past the `closing` check
    wait_group workers;
    std::function<void(Job)> handler;
  };

  // Registers a submitter unless shutdown has begun.
  bool enter(const weft::source_location& site) {
    state_->mutex.lock(site);
    const bool open = !state_->closing;
    if (open) state_->submitters.add(1, site);
    state_->mutex.unlock(site);
    return open;
  }

  std::shared_ptr<state> state_;
};

}  // namespace weft
