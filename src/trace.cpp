// src/trace.cpp — Chrome trace-event export of one execution.
//
// Format: the JSON object form of the Trace Event Format (Google, "Trace Event Format", 2016),
// which Perfetto and chrome://tracing open. One process, one track (tid) per task, named by a
// thread_name metadata event. Every scheduling point is a complete ("X") slice one display
// nanosecond long, named by its operation and object; a task's blocked interval is an "X" slice
// from the step that parked it to the step that woke it; the task's lifetime encloses both. Flow
// events ("s" then "f" with binding point "e", same id) draw an arrow along every happens-before
// edge: send → receive, unlock → next lock, done → wait, close → receive and the others the
// engine emits (engine.cpp, hb_*). An edge leaves from inside the releasing step's slice and
// arrives inside the acquiring task's slice at that instant: its step, or its blocked interval.
#include "trace.hpp"

#include <algorithm>
#include <cstdio>

namespace weft::detail {
namespace {

std::string escaped(const std::string& s) {
  std::string out;
  out.reserve(s.size() + 2);
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out;
}

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", v);
  return buf;
}

}  // namespace

void trace_recorder::task_started(task_id id, double at) { started_at_[id] = at; }

void trace_recorder::label(task_id id, std::string name) {
  for (auto& [task, existing] : names_) {
    if (task == id) {
      existing = std::move(name);
      return;
    }
  }
  names_.emplace_back(id, std::move(name));
}

void trace_recorder::task_finished(task_id id, double at) {
  auto it = started_at_.find(id);
  if (it == started_at_.end()) return;
  // Ends with the finishing step's slice, so that it encloses it. Named "task" (its track
  // carries the task's name).
  slices_.push_back({id, it->second, at + step_width - it->second, "task", "task", ""});
  started_at_.erase(it);
}

void trace_recorder::step(task_id id, op_kind op, object_kind kind, std::uint32_t object, double at,
                          std::uint64_t step, const weft::source_location& site, bool blocks) {
  std::string name = op_name(op);
  if (kind != object_kind::none) {
    name.append(" ").append(object_kind_name(kind)).append("#").append(std::to_string(object));
  }
  slices_.push_back(
      {id, at, step_width, name, "step",
       "\"step\":" + std::to_string(step) + ",\"site\":\"" + escaped(format_site(site)) + "\""});
  if (blocks) blocked_op_.emplace_back(id, name);
}

void trace_recorder::blocked(task_id id, double at) { blocked_since_[id] = at + step_width; }

void trace_recorder::woken(task_id id, double at) {
  auto it = blocked_since_.find(id);
  if (it == blocked_since_.end()) return;
  std::string what = "blocked";
  for (auto op = blocked_op_.rbegin(); op != blocked_op_.rend(); ++op) {
    if (op->first == id) {
      what = "blocked in " + op->second;
      break;
    }
  }
  // Ends with the waking step's slice, so that a flow arriving during that step lands in it.
  slices_.push_back({id, it->second, std::max(at + step_width - it->second, step_width / 2), what,
                     "blocked", ""});
  blocked_since_.erase(it);
}

void trace_recorder::finish(double at) {
  while (!blocked_since_.empty()) woken(blocked_since_.begin()->first, at);
  while (!started_at_.empty()) task_finished(started_at_.begin()->first, at);
}

void trace_recorder::released(const void* sync, task_id by, double at) {
  last_release_[sync] = release{by, at};
}

void trace_recorder::acquired(const void* sync, task_id by, double at) {
  auto it = last_release_.find(sync);
  if (it == last_release_.end() || it->second.task == by) return;
  flows_.push_back({it->second.task, by, it->second.at, at});
}

void trace_recorder::rendezvous(task_id from, task_id to, double at) {
  if (from != to) flows_.push_back({from, to, at, at});
}

std::string trace_recorder::json() const {
  std::string out = "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n";
  bool first = true;
  auto add = [&](const std::string& event) {
    if (!first) out += ",\n";
    first = false;
    out += event;
  };
  add(R"({"name":"process_name","ph":"M","pid":1,"args":{"name":"weft execution"}})");
  for (const auto& [id, label] : names_) {
    add(R"({"name":"thread_name","ph":"M","pid":1,"tid":)" + std::to_string(id) +
        R"(,"args":{"name":")" + escaped(label) + "\"}}");
    add(R"({"name":"thread_sort_index","ph":"M","pid":1,"tid":)" + std::to_string(id) +
        R"(,"args":{"sort_index":)" + std::to_string(id) + "}}");
  }
  for (const slice& s : slices_) {
    std::string e = R"({"name":")" + escaped(s.name) + R"(","cat":")" + s.category +
                    R"(","ph":"X","pid":1,"tid":)" + std::to_string(s.task) +
                    ",\"ts\":" + number(s.begin) + ",\"dur\":" + number(s.duration);
    if (!s.args.empty()) e += ",\"args\":{" + s.args + "}";
    add(e + "}");
  }
  // A flow leaves from the middle of the releasing step and arrives in the middle of the
  // acquiring one (or inside the blocked slice that ends there).
  std::uint64_t id = 0;
  for (const flow& f : flows_) {
    ++id;
    add(R"({"name":"happens-before","cat":"sync","ph":"s","pid":1,"tid":)" +
        std::to_string(f.from) + ",\"ts\":" + number(f.from_at + step_width / 2) +
        ",\"id\":" + std::to_string(id) + "}");
    add(R"({"name":"happens-before","cat":"sync","ph":"f","bp":"e","pid":1,"tid":)" +
        std::to_string(f.to) + ",\"ts\":" + number(f.to_at + step_width / 2) +
        ",\"id\":" + std::to_string(id) + "}");
  }
  out += "\n]}\n";
  return out;
}

}  // namespace weft::detail
