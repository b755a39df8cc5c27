// examples/webhook_pipeline.hpp — the webhook pipeline of example 07, shared with
// bench/bench_time.cpp (which times it at 10,000 events).
//
// Incoming webhook events flow through four stages, every task started in one weft::errgroup:
//
//   intake ──jobs (1000)──▶ 50 workers ──results──▶ batch writer (batches of 100)
//                               │
//                               └──dead letters──▶ dead-letter sink
//
// - intake queues the events on a bounded job channel (backpressure: it blocks while 1000 wait);
// - each worker enriches one event at a time by calling a fake external API (100 ms of virtual
//   latency) under a per-job timeout (weft::with_timeout, 250 ms); some events are slow (400 ms:
//   they time out) and some are refused by the API — both end up on the dead-letter channel;
// - a single batch writer stores the enriched events in batches, flushing a batch when it is full
//   and the last, partial one at shutdown;
// - graceful shutdown: once the input is exhausted (or the group's context is cancelled) intake
//   stops and closes the job channel; the workers finish what is queued and in flight; only when
//   the last worker is done are the results and dead-letter channels closed, and the writer then
//   flushes its last batch. group.wait() returns once every stage has ended.
//
// The seeded bug (shutdown::close_downstream_with_intake) is the hasty version of that last step:
// intake closes the results and dead-letter channels itself, right after closing the job channel,
// as if "no more input" meant "no more output". Workers still have queued and in-flight events,
// and the first one to finish sends on a closed channel — a panic in Go, and in weft.
//
// Inside a deterministic scope every latency and timeout is virtual and costs no wall time. With
// time_policy::idle_only (time moves only when every task is blocked) 10,000 events span about
// 20 virtual seconds (10,000 / 50 workers x 100 ms). Under the default time_policy::explored the
// strategy may also let the earliest deadline pass while tasks are still runnable, as if they
// were slow: an execution then spans more virtual time (about 100-200 s), and now and then an
// ordinary event's timeout wins the race with the API's reply, so it is dead-lettered too — which
// the pipeline must (and does) handle. run() checks that every event is accounted for exactly
// once (written or dead-lettered), that slow and refused events were never written, and that the
// batches add up (the last partial batch was flushed); it throws std::logic_error otherwise.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>
#include <variant>
#include <vector>

#include <weft/weft.hpp>

namespace webhook {

/// How the pipeline shuts down once its input is exhausted.
enum class shutdown {
  close_downstream_with_intake,  ///< the seeded bug: intake closes every channel at once
  wait_for_workers,              ///< the fix: a closer waits for the workers, then closes
};

struct config {
  int events = 10'000;
  int workers = 50;
  std::size_t queue_capacity = 1000;  ///< the job channel
  std::size_t batch_size = 100;
  std::chrono::milliseconds api_latency{100};
  std::chrono::milliseconds slow_api_latency{400};  ///< for slow events: beyond the timeout
  std::chrono::milliseconds job_timeout{250};
  std::chrono::milliseconds batch_write_latency{5};
  webhook::shutdown shutdown = shutdown::wait_for_workers;
};

/// Which events the fake API answers slowly (they time out) or refuses. Chosen by id, so the
/// same events misbehave in every execution; the two sets are disjoint.
inline bool is_slow(int id) { return id % 100 == 42; }
inline bool is_refused(int id) { return id % 250 == 7; }

struct event {
  int id;
};
struct enriched {
  int id;
  int customer_tier;
};
struct dead_letter {
  int id;
  std::error_code why;
};

/// What one run of the pipeline did.
struct outcome {
  int events = 0;
  int written = 0;        ///< enriched events stored by the batch writer
  int batches = 0;        ///< batches written (each at most batch_size events)
  int timed_out = 0;      ///< dead letters: the per-job timeout expired
  int refused = 0;        ///< dead letters: the API refused the event
  int other_failure = 0;  ///< dead letters for any other reason (e.g. the group was cancelled)
  weft::clock::duration virtual_time{};  ///< weft::clock time from start to group.wait()
  int dead_lettered() const { return timed_out + refused + other_failure; }
};

namespace detail {

/// The fake external API: answers after `api_latency` (`slow_api_latency` for slow events), or
/// gives up when `ctx` is done first. A refused event fails after the latency, like an HTTP 503.
inline std::error_code call_enrichment_api(const weft::context& ctx, const event& ev,
                                           const config& cfg, enriched& out) {
  weft::timer reply(is_slow(ev.id) ? cfg.slow_api_latency : cfg.api_latency);
  bool answered = false;
  weft::select(weft::on_recv(reply.channel(), [&](auto) { answered = true; }),
               weft::on_recv(ctx.done()));
  if (!answered) {
    reply.stop();  // the caller has given up on this reply: release the timer
    return ctx.err();
  }
  if (is_refused(ev.id)) return std::make_error_code(std::errc::connection_refused);
  out = enriched{ev.id, ev.id % 3};
  return {};
}

/// Every event's fate, written by the batch writer and the dead-letter sink and read after
/// group.wait(). The two touch different events' slots and different counters of `totals` (and
/// `duplicates` is atomic), so they need no lock even on real threads.
struct ledger {
  enum fate : std::uint8_t { pending, written, dead };
  explicit ledger(int events) : fates(static_cast<std::size_t>(events), pending) {}

  void record(int id, fate f) {
    std::uint8_t& slot = fates.at(static_cast<std::size_t>(id));
    if (slot != pending) ++duplicates;
    slot = f;
  }

  std::vector<std::uint8_t> fates;
  std::atomic<int> duplicates{0};
  outcome totals;
};

inline void check_accounting(const ledger& l, const config& cfg) {
  const outcome& t = l.totals;
  std::string problem;
  if (l.duplicates != 0) problem = std::to_string(l.duplicates) + " events accounted twice";
  for (int id = 0; id < cfg.events && problem.empty(); ++id) {
    const std::uint8_t f = l.fates[static_cast<std::size_t>(id)];
    if (f == ledger::pending) problem = "event " + std::to_string(id) + " was lost";
    if (f == ledger::written && (is_slow(id) || is_refused(id))) {
      problem = "event " + std::to_string(id) + " should have failed but was written";
    }
  }
  if (problem.empty() && t.written + t.dead_lettered() != cfg.events) {
    problem = "written + dead-lettered != events";
  }
  const auto full_batches =
      static_cast<int>((static_cast<std::size_t>(t.written) + cfg.batch_size - 1) / cfg.batch_size);
  if (problem.empty() && t.batches != full_batches) {
    problem = std::to_string(t.batches) + " batches for " + std::to_string(t.written) +
              " events: a batch was flushed early or the last one was never flushed";
  }
  if (!problem.empty()) throw std::logic_error("webhook pipeline: " + problem);
}

}  // namespace detail

/// Runs the whole pipeline over events 0 .. cfg.events-1 and returns what it did. Throws
/// std::logic_error if an event is lost or counted twice, and rethrows a stage's failure.
inline outcome run(const config& cfg) {
  const weft::clock::time_point start = weft::clock::now();
  auto book = std::make_shared<detail::ledger>(cfg.events);
  weft::chan<event> jobs(cfg.queue_capacity);
  weft::chan<enriched> results(cfg.batch_size);
  weft::chan<dead_letter> dead_letters(cfg.batch_size);
  auto workers = std::make_shared<weft::wait_group>();
  weft::errgroup group(weft::context::background());
  const weft::context ctx = group.ctx();  // cancelled if a stage fails

  // Intake: queue every event (blocking while the queue is full), unless the group is cancelled.
  group.go("intake", [cfg, ctx, jobs, results, dead_letters] {
    const weft::chan<std::monostate> cancelled = ctx.done();
    for (int id = 0; id < cfg.events; ++id) {
      if (weft::select(weft::on_send(jobs, event{id}), weft::on_recv(cancelled)) != 0) break;
    }
    jobs.close();  // stop intake: the workers drain what is queued, then exit
    if (cfg.shutdown == shutdown::close_downstream_with_intake) {
      // BUG: "no more input" is not "no more output" — workers are still busy with queued and
      // in-flight events, and will send their results on these closed channels.
      results.close();
      dead_letters.close();
    }
  });

  // The bounded pool: `workers` tasks, each enriching one event at a time under its own timeout.
  workers->add(cfg.workers);
  for (int w = 0; w < cfg.workers; ++w) {
    group.go("worker-" + std::to_string(w), [cfg, ctx, jobs, results, dead_letters, workers] {
      for (std::optional<event> ev = jobs.recv(); ev; ev = jobs.recv()) {
        auto [job_ctx, cancel] = weft::with_timeout(ctx, cfg.job_timeout);
        enriched out{};
        const std::error_code err = detail::call_enrichment_api(job_ctx, *ev, cfg, out);
        cancel();  // release the job's deadline timer
        if (err) {
          dead_letters.send(dead_letter{ev->id, err});
        } else {
          results.send(out);
        }
      }
      workers->done();
    });
  }

  // The fix: downstream channels close only once every worker has finished its last send.
  if (cfg.shutdown == shutdown::wait_for_workers) {
    group.go("closer", [workers, results, dead_letters] {
      workers->wait();
      results.close();
      dead_letters.close();
    });
  }

  // The single batch writer: a batch is stored when full, and the last one at shutdown.
  group.go("batch-writer", [cfg, results, book] {
    std::vector<enriched> batch;
    batch.reserve(cfg.batch_size);
    auto flush = [&] {
      if (batch.empty()) return;
      weft::sleep_for(cfg.batch_write_latency);  // the database insert
      for (const enriched& e : batch) book->record(e.id, detail::ledger::written);
      book->totals.written += static_cast<int>(batch.size());
      ++book->totals.batches;
      batch.clear();
    };
    for (std::optional<enriched> r = results.recv(); r; r = results.recv()) {
      batch.push_back(*r);
      if (batch.size() == cfg.batch_size) flush();
    }
    flush();  // shutdown: the last, partial batch
  });

  // The dead-letter sink: failed events are kept (here: counted by reason) for a later retry.
  group.go("dead-letters", [dead_letters, book] {
    for (std::optional<dead_letter> d = dead_letters.recv(); d; d = dead_letters.recv()) {
      book->record(d->id, detail::ledger::dead);
      if (d->why == weft::errc::deadline_exceeded) {
        ++book->totals.timed_out;
      } else if (d->why == std::errc::connection_refused) {
        ++book->totals.refused;
      } else {
        ++book->totals.other_failure;
      }
    }
  });

  group.wait();  // every stage has ended (rethrows the first failure)
  book->totals.events = cfg.events;
  book->totals.virtual_time = weft::clock::now() - start;
  detail::check_accounting(*book, cfg);
  return book->totals;
}

}  // namespace webhook
