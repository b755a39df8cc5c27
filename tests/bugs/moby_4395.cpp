// Origin: Moby, PR #4395 -- GoBench kernel gobench/goker/blocking/moby/4395 (moby4395_test.go).
// Bug: the helper Go(f) runs f in a goroutine and sends its error on an unbuffered channel that it
//   returns. A caller that ignores the channel leaves the goroutine blocked on the send forever:
//   a result sent to a channel nobody reads.
// Fix: the channel gets a buffer of one, so the send completes without a reader.
// Expected kind: leak. The Go test ignores the returned channel and returns.
#include <functional>
#include <string>
#include <weft/weft.hpp>

#include "kernel.hpp"

namespace {

using weft::bugs::version;

using error = std::string;

weft::chan<error> go_async(std::function<error()> f, version v) {
  weft::chan<error> ch = v == version::buggy ? weft::chan<error>() : weft::chan<error>(1);
  weft::go("go-async", [ch, f] { ch.send(f()); });  // buggy: blocks forever
  return ch;
}

void run(version v) {
  go_async([] { return error("failed"); }, v);  // the result is ignored
}

void buggy() { run(version::buggy); }
void fixed() { run(version::fixed); }

}  // namespace

WEFT_BUG_KERNEL("moby_4395", "moby#4395", weft::failure_kind::leak, buggy, fixed);
