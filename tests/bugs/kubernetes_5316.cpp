// Origin: Kubernetes, PR #5316 -- GoBench kernel gobench/goker/blocking/kubernetes/5316
//   (kubernetes5316_test.go).
// Bug: finishRequest() runs the request in a goroutine that reports on an unbuffered channel, and
//   selects on the result, the error or a timeout. When the timeout wins, nobody will ever receive
//   the result, and the request goroutine blocks forever on its send: the sender leaks after a
//   timeout.
// Fix: both result channels get a buffer of one, so the late send completes without a reader.
// Expected kind: leak. The request (2 ms) always loses against the timeout (1 ms) in virtual time;
//   the Go test returns and the request goroutine stays blocked on its send.
#include <chrono>
#include <functional>
#include <string>
#include <weft/weft.hpp>

#include "kernel.hpp"

namespace {

using weft::bugs::version;

using request_fn = std::function<bool()>;  // true: the request failed

template <class T>
weft::chan<T> result_chan(version v) {
  return v == version::buggy ? weft::chan<T>() : weft::chan<T>(1);
}

void finish_request(weft::clock::duration timeout, const request_fn& fn, version v) {
  weft::chan<bool> ch = result_chan<bool>(v);
  weft::chan<std::string> err_ch = result_chan<std::string>(v);
  weft::go("request", [fn, ch, err_ch] {
    if (fn()) {
      err_ch.send("error");  // buggy: blocks forever after a timeout
    } else {
      ch.send(true);  // or here
    }
  });
  weft::select(weft::on_recv(ch), weft::on_recv(err_ch), weft::on_recv(weft::after(timeout)));
}

void run(version v) {
  request_fn fn = [] {
    weft::sleep_for(std::chrono::milliseconds(2));
    return weft::choose(10) > 5;
  };
  weft::go("finish-request", [fn, v] { finish_request(std::chrono::milliseconds(1), fn, v); });
}

void buggy() { run(version::buggy); }
void fixed() { run(version::fixed); }

}  // namespace

WEFT_BUG_KERNEL("kubernetes_5316", "kubernetes#5316", weft::failure_kind::leak, buggy, fixed);
