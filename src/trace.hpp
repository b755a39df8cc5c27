// src/trace.hpp — the timeline of one execution, exported in the Chrome trace-event format
// (Perfetto, chrome://tracing). Recorded only by a dedicated replay of the reported schedule
// (WEFT_TRACE), never while exploring: exploration pays nothing for it.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "weft/detail/runtime.hpp"
#include "weft/detail/source_location.hpp"

namespace weft::detail {

class trace_recorder {
 public:
  /// Display time, in microseconds: virtual time since the epoch plus one nanosecond per
  /// scheduling point, so that the order of the steps of one virtual instant stays visible.
  static double display_time(std::int64_t virtual_ns_since_epoch, std::uint64_t step) noexcept {
    return static_cast<double>(virtual_ns_since_epoch) / 1000.0 +
           static_cast<double>(step) * step_width;
  }
  static constexpr double step_width = 0.001;  // 1 ns, in microseconds

  void task_started(task_id id, double at);
  /// Names a task's track (the engine knows the final labels only at the end).
  void label(task_id id, std::string name);
  void task_finished(task_id id, double at);
  void step(task_id id, op_kind op, object_kind kind, std::uint32_t object, double at,
            std::uint64_t step, const weft::source_location& site, bool blocks);
  void blocked(task_id id, double at);
  void woken(task_id id, double at);
  /// Happens-before edges, keyed by the address of the clock they go through.
  void released(const void* sync, task_id by, double at);
  void acquired(const void* sync, task_id by, double at);
  void rendezvous(task_id from, task_id to, double at);
  /// `go`: the parent's step happens before everything the child does.
  void spawned(task_id parent, task_id child, double at) { rendezvous(parent, child, at); }
  /// The execution ended at `at`: tasks still alive and still blocked keep their slices open to
  /// there (a deadlock or leak shows as blocked intervals that never end).
  void finish(double at);

  /// The JSON document ({"traceEvents": [...]}).
  std::string json() const;

 private:
  struct slice {
    task_id task;
    double begin;
    double duration;
    std::string name;
    std::string category;
    std::string args;  // JSON object body, may be empty
  };
  struct flow {
    task_id from, to;
    double from_at, to_at;
  };
  struct release {
    task_id task;
    double at;
  };
  std::vector<std::pair<task_id, std::string>> names_;
  std::vector<slice> slices_;
  std::vector<flow> flows_;
  std::unordered_map<const void*, release> last_release_;  // looked up only, never iterated
  std::map<task_id, double> blocked_since_;  // ordered: closed in task order by finish()
  std::map<task_id, double> started_at_;
  std::vector<std::pair<task_id, std::string>> blocked_op_;
};

}  // namespace weft::detail
