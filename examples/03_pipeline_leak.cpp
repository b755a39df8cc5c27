// Example 03 — a leaked goroutine in a pipeline without cancellation.
//
// `first_match` starts one searcher per shard; each sends its result on an unbuffered channel.
// The caller takes the first result and returns — and the other searchers block forever on their
// send: a goroutine leak, invisible in a quick test with real threads. weft reports each leaked
// task with where it was spawned and where it is stuck. The fix gives the channel room for every
// result (or, with a context, lets the searchers give up).
#include <optional>
#include <string>

#include "story.hpp"

namespace {

std::optional<int> first_match(int shards, bool buffered) {
  weft::chan<int> results(buffered ? static_cast<std::size_t>(shards) : 0);
  for (int shard = 0; shard < shards; ++shard) {
    weft::go("searcher-" + std::to_string(shard), [results, shard] {
      weft::yield();        // searching...
      results.send(shard);  // blocks until someone receives
    });
  }
  return results.recv();  // the first answer wins; nobody receives the others
}

}  // namespace

int main() {
  return story::tell(
      "03 a leaked goroutine in a pipeline without cancellation", weft::failure_kind::leak,
      [] { first_match(3, false); }, [] { first_match(3, true); });
}

// Expected output (abridged):
//   weft: leak — the body returned but 2 tasks stay blocked forever
//     task "searcher-1" (spawned at 03_pipeline_leak.cpp:20) is blocked in chan::send on chan#1
//       (created at 03_pipeline_leak.cpp:18) at 03_pipeline_leak.cpp:22
//     task "searcher-2" ...
//     replay: WEFT_REPLAY=w1.... ./examples/03_pipeline_leak
//   --- the fixed version ---
//   no bug in 2000 executions (...)
