// Example 05 — fan-out to three fake upstream APIs; one failure must cancel the rest.
//
// A search page asks three upstreams (virtual latency: 50, 80 and 120 ms). The buggy version
// collects replies from a channel and returns at the first error — leaving the slower upstreams
// blocked forever on their send: a leak. The fixed version runs them in a weft::errgroup with a
// derived context: the first error cancels the context, every upstream watches ctx.done() in a
// select, and wait() returns the first error. Virtual time makes the 120 ms free.
#include <chrono>
#include <stdexcept>
#include <string>
#include <system_error>

#include "story.hpp"

using namespace std::chrono_literals;

namespace {

struct upstream {
  const char* name;
  std::chrono::milliseconds latency;
  bool fails;
};
constexpr upstream upstreams[] = {
    {"ads", 50ms, false}, {"search", 80ms, true}, {"maps", 120ms, false}};

void buggy_fanout() {
  weft::chan<std::string> replies;  // unbuffered: every upstream waits for the collector
  for (const upstream& u : upstreams) {
    weft::go(u.name, [u, replies] {
      weft::sleep_for(u.latency);
      replies.send(u.fails ? std::string("error") : std::string(u.name));
    });
  }
  for (int i = 0; i < 3; ++i) {
    if (*replies.recv() == "error") return;  // gives up: nobody receives the remaining replies
  }
}

void fixed_fanout() {
  weft::errgroup group(weft::context::background());
  for (const upstream& u : upstreams) {
    group.go([u, ctx = group.ctx()]() -> std::error_code {
      bool cancelled = false;
      weft::select(weft::on_recv(weft::after(u.latency)),
                   weft::on_recv(ctx.done(), [&](auto) { cancelled = true; }));
      if (cancelled) return ctx.err();
      if (u.fails) return std::make_error_code(std::errc::connection_refused);
      return {};
    });
  }
  try {
    group.wait();
  } catch (const std::system_error&) {
    // the first failure, as expected: the others were cancelled
  }
}

}  // namespace

int main() {
  return story::tell("05 errgroup fan-out where one failure cancels the rest",
                     weft::failure_kind::leak, buggy_fanout, fixed_fanout);
}

// Expected output (abridged):
//   weft: leak — the body returned but 2 tasks stay blocked forever
//     task "ads" (spawned at 05_errgroup_fanout.cpp:29) is blocked in chan::send on chan#1 ...
//     task "maps" (spawned at 05_errgroup_fanout.cpp:29) is blocked in chan::send on chan#1 ...
//     replay: WEFT_REPLAY=w1.... ./examples/05_errgroup_fanout
//   --- the fixed version ---
//   no bug in 2000 executions (...)
