// Example 04 — a lost update on a shared map, found as a data race.
//
// Two request handlers count hits per path in a shared map. Each reads the map, then writes it
// back with its increment — with no lock. weft's race detector checks every access to a
// `weft::tracked<T>` against Go's happens-before order: the two accesses are unordered, so it is
// a data race whether or not this particular schedule made them collide. The fix takes a mutex
// around the read-modify-write.
#include <map>
#include <memory>
#include <string>

#include "story.hpp"

namespace {

struct hit_counter {
  weft::tracked<std::map<std::string, int>> hits;
  weft::mutex mu;

  void record(const std::string& path, bool locked) {
    if (locked) mu.lock();
    int seen = hits.read([&](const auto& m) {
      auto it = m.find(path);
      return it == m.end() ? 0 : it->second;
    });
    hits.write([&](auto& m) { m[path] = seen + 1; });
    if (locked) mu.unlock();
  }
};

void two_requests(bool locked) {
  auto counter = std::make_shared<hit_counter>();
  weft::wait_group wg;
  wg.add(2);
  for (int i = 0; i < 2; ++i) {
    weft::go("handler", [counter, &wg, locked] {
      counter->record("/index.html", locked);
      wg.done();
    });
  }
  wg.wait();
}

}  // namespace

int main() {
  return story::tell(
      "04 a lost update on a shared map", weft::failure_kind::data_race,
      [] { two_requests(false); }, [] { two_requests(true); });
}

// Expected output (abridged):
//   weft: data_race — tracked#1 (created at 04_shared_map_race.cpp:16) is written by task
//     "handler#1" and read by task "handler#2" with no happens-before order between them
//     write by task "handler#1" at 04_shared_map_race.cpp:26 (step 7)
//     read by task "handler#2" at 04_shared_map_race.cpp:22 (step 11)
//     replay: WEFT_REPLAY=w1.... ./examples/04_shared_map_race
//   --- the fixed version ---
//   no bug in 2000 executions (...)
