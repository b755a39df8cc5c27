// Timeline export (src/trace.cpp, WEFT_TRACE): the file is JSON in the Chrome trace-event format
// with one named track per task, blocked intervals as slices, and flow arrows along the
// happens-before edges (send → receive, unlock → lock). Parsed here with a small JSON reader.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <variant>
#include <vector>

#include <gtest/gtest.h>
#include <unistd.h>

#include <weft/weft.hpp>

namespace {

// --- a minimal JSON reader (objects, arrays, strings, numbers, true/false/null) ---------------

struct json;
using json_object = std::map<std::string, json>;
using json_array = std::vector<json>;
struct json {
  std::variant<std::nullptr_t, bool, double, std::string, json_array, json_object> v;
  const json_object& object() const { return std::get<json_object>(v); }
  const json_array& array() const { return std::get<json_array>(v); }
  const std::string& str() const { return std::get<std::string>(v); }
  double num() const { return std::get<double>(v); }
  bool has(const std::string& k) const {
    return std::holds_alternative<json_object>(v) && object().count(k) != 0;
  }
  const json& operator[](const std::string& k) const { return object().at(k); }
};

class reader {
 public:
  explicit reader(std::string text) : s_(std::move(text)) {}
  json document() {
    json j = value();
    skip();
    if (i_ != s_.size()) throw std::runtime_error("trailing characters at " + std::to_string(i_));
    return j;
  }

 private:
  void skip() {
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
  }
  void expect(char c) {
    skip();
    if (i_ >= s_.size() || s_[i_] != c) {
      throw std::runtime_error(std::string("expected '") + c + "' at " + std::to_string(i_));
    }
    ++i_;
  }
  json value() {
    skip();
    if (i_ >= s_.size()) throw std::runtime_error("unexpected end");
    const char c = s_[i_];
    if (c == '{') {
      ++i_;
      json_object o;
      skip();
      if (s_[i_] == '}') {
        ++i_;
        return {o};
      }
      for (;;) {
        skip();
        std::string key = string();
        expect(':');
        o.emplace(std::move(key), value());
        skip();
        if (s_[i_] == ',') {
          ++i_;
          continue;
        }
        expect('}');
        return {o};
      }
    }
    if (c == '[') {
      ++i_;
      json_array a;
      skip();
      if (s_[i_] == ']') {
        ++i_;
        return {a};
      }
      for (;;) {
        a.push_back(value());
        skip();
        if (s_[i_] == ',') {
          ++i_;
          continue;
        }
        expect(']');
        return {a};
      }
    }
    if (c == '"') return {string()};
    for (const char* word : {"true", "false", "null"}) {
      if (s_.compare(i_, std::strlen(word), word) == 0) {
        i_ += std::strlen(word);
        if (word[0] == 'n') return {nullptr};
        return {word[0] == 't'};
      }
    }
    std::size_t used = 0;
    const double d = std::stod(s_.substr(i_), &used);
    i_ += used;
    return {d};
  }
  std::string string() {
    expect('"');
    std::string out;
    while (i_ < s_.size() && s_[i_] != '"') {
      if (s_[i_] == '\\') {
        ++i_;
        const char e = s_[i_];
        if (e == 'u') {
          out += static_cast<char>(std::stoi(s_.substr(i_ + 1, 4), nullptr, 16));
          i_ += 4;
        } else {
          out += e == 'n' ? '\n' : e;
        }
      } else {
        out += s_[i_];
      }
      ++i_;
    }
    expect('"');
    return out;
  }
  std::string s_;
  std::size_t i_ = 0;
};

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          ("weft-trace-" + std::to_string(::getpid()) + "-" + name + ".json"))
      .string();
}

json read_trace(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in) << "no trace written to " << path;
  std::stringstream text;
  text << in.rdbuf();
  return reader(text.str()).document();
}

// A producer hands two values to a consumer through an unbuffered channel, both then take a
// mutex in turn, and a third task is left blocked forever: a leak, traced.
void pipeline_with_a_leak() {
  weft::chan<int> values;
  auto mu = std::make_shared<weft::mutex>();
  auto wg = std::make_shared<weft::wait_group>();
  wg->add(2);
  weft::go("producer", [values, mu, wg] {
    values.send(1);
    values.send(2);
    mu->lock();
    mu->unlock();
    wg->done();
  });
  weft::go("consumer", [values, mu, wg] {
    (void)values.recv();
    (void)values.recv();
    mu->lock();
    mu->unlock();
    wg->done();
  });
  weft::chan<int> never;
  weft::go("forgotten", [never] { (void)never.recv(); });
  wg->wait();
}

struct parsed_trace {
  std::map<double, std::string> track_names;  // tid -> task label
  std::vector<const json*> slices;
  std::map<double, std::pair<double, double>> flows;  // id -> (from tid, to tid)
};

parsed_trace index(const json& doc) {
  parsed_trace t;
  std::map<double, double> starts;
  for (const json& e : doc["traceEvents"].array()) {
    const std::string& ph = e["ph"].str();
    if (ph == "M" && e["name"].str() == "thread_name") {
      t.track_names[e["tid"].num()] = e["args"]["name"].str();
    } else if (ph == "X") {
      t.slices.push_back(&e);
    } else if (ph == "s") {
      starts[e["id"].num()] = e["tid"].num();
    } else if (ph == "f") {
      EXPECT_TRUE(e.has("bp") && e["bp"].str() == "e");
      t.flows[e["id"].num()] = {starts.at(e["id"].num()), e["tid"].num()};
    }
  }
  return t;
}

double tid_of(const parsed_trace& t, const std::string& label) {
  for (const auto& [tid, name] : t.track_names) {
    if (name == label) return tid;
  }
  ADD_FAILURE() << "no track named " << label;
  return -1;
}

TEST(Trace, FailingExecutionHasTracksBlockedSlicesAndFlows) {
  weft::options o;
  o.trace_path = temp_path("leak");
  const weft::report r = weft::explore(o, pipeline_with_a_leak);
  ASSERT_EQ(r.kind, weft::failure_kind::leak) << r.message;
  const json doc = read_trace(o.trace_path);  // t points into it
  const parsed_trace t = index(doc);
  std::filesystem::remove(o.trace_path);

  // One track per task, named like the report names them.
  ASSERT_EQ(t.track_names.size(), 4u);
  const double producer = tid_of(t, "producer");
  const double consumer = tid_of(t, "consumer");
  const double forgotten = tid_of(t, "forgotten");
  tid_of(t, "main");

  // The leaked task is blocked until the end; every task has a lifetime slice.
  bool forgotten_blocked = false;
  int lifetimes = 0;
  for (const json* s : t.slices) {
    EXPECT_GT((*s)["dur"].num(), 0.0);
    if ((*s)["cat"].str() == "task") ++lifetimes;
    if ((*s)["cat"].str() == "blocked" && (*s)["tid"].num() == forgotten) {
      EXPECT_EQ((*s)["name"].str(), "blocked in chan::recv chan#4");
      forgotten_blocked = true;
    }
  }
  EXPECT_TRUE(forgotten_blocked);
  EXPECT_EQ(lifetimes, 4);

  // Send → receive (the rendezvous, both ways) and unlock → lock between the two workers.
  int producer_to_consumer = 0, consumer_to_producer = 0;
  for (const auto& [id, ends] : t.flows) {
    producer_to_consumer += ends.first == producer && ends.second == consumer ? 1 : 0;
    consumer_to_producer += ends.first == consumer && ends.second == producer ? 1 : 0;
  }
  EXPECT_GE(producer_to_consumer, 2);                         // two values
  EXPECT_GE(producer_to_consumer + consumer_to_producer, 5);  // and the mutex hand-over
}

TEST(Trace, SameScheduleSameFile) {
  weft::options o;
  o.trace_path = temp_path("a");
  weft::explore(o, pipeline_with_a_leak);
  std::ifstream a(o.trace_path);
  std::stringstream first;
  first << a.rdbuf();
  weft::explore(o, pipeline_with_a_leak);
  std::ifstream b(o.trace_path);
  std::stringstream second;
  second << b.rdbuf();
  EXPECT_EQ(first.str(), second.str());
  std::filesystem::remove(o.trace_path);
}

TEST(Trace, TraceAllWritesThePassingLastExecution) {
  weft::options o;
  o.iterations = 5;
  o.trace_path = temp_path("all");
  const auto body = [] {
    weft::chan<int> c(1);
    weft::go("sender", [c] { c.send(7); });
    (void)c.recv();
  };
  ASSERT_TRUE(weft::explore(o, body).ok());
  EXPECT_FALSE(std::filesystem::exists(o.trace_path)) << "only failures are traced by default";
  o.trace_all = true;
  ASSERT_TRUE(weft::explore(o, body).ok());
  const json doc = read_trace(o.trace_path);
  const parsed_trace t = index(doc);
  std::filesystem::remove(o.trace_path);
  EXPECT_EQ(t.track_names.size(), 2u);
  // The buffered send → receive edge.
  bool edge = false;
  for (const auto& [id, ends] : t.flows) {
    edge = edge || (ends.first == tid_of(t, "sender") && ends.second == tid_of(t, "main"));
  }
  EXPECT_TRUE(edge);
}

TEST(Trace, UnwritablePathIsAWarningNotAnError) {
  weft::options o;
  o.trace_path = "/nonexistent-directory/weft/trace.json";
  const weft::report r = weft::explore(o, pipeline_with_a_leak);
  EXPECT_EQ(r.kind, weft::failure_kind::leak);  // the failure is still reported
}

TEST(Trace, EnvironmentVariables) {
  ::setenv("WEFT_TRACE", "/tmp/x.json", 1);
  ::setenv("WEFT_TRACE_ALL", "1", 1);
  const weft::options o = weft::options::from_env();
  EXPECT_EQ(o.trace_path, "/tmp/x.json");
  EXPECT_TRUE(o.trace_all);
  ::setenv("WEFT_TRACE_ALL", "yes", 1);
  try {
    (void)weft::options::from_env();
    ADD_FAILURE() << "WEFT_TRACE_ALL=yes accepted";
  } catch (const weft::usage_error& e) {
    EXPECT_NE(std::string(e.what()).find("WEFT_TRACE_ALL"), std::string::npos) << e.what();
  }
  ::unsetenv("WEFT_TRACE");
  ::unsetenv("WEFT_TRACE_ALL");
}

}  // namespace
