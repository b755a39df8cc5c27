// Origin: Kubernetes, PR #13058 -- GoBench kernel gobench/goker/nonblocking/kubernetes/13058
//   (kubernetes13058_test.go).
// Bug: the test counts deletions with testDoneWG, whose Done() is the informer's delete handler.
//   The controller is started before testDoneWG.Add(), and it keeps invoking the handler every
//   period until the test closes `stop`; a Done() before the Add(), or one more after the count
//   reached zero, drives the counter negative (Go panics: "sync: negative WaitGroup counter").
// Fix (as modelled here): the handler runs once per actual deletion, which the test's workers
//   enqueue, and the test adds to testDoneWG before it starts the controller.
// Expected kind: panic (negative wait-group counter).
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <weft/weft.hpp>

#include "kernel.hpp"

namespace {

using weft::bugs::unit;
using weft::bugs::version;

constexpr int kThreads = 3;
constexpr auto kPeriod = std::chrono::milliseconds(10);

// wait.Until: run f every period until stop is closed.
void until(const std::function<void()>& f, weft::clock::duration period, weft::chan<unit> stop) {
  for (;;) {
    if (weft::select(weft::on_recv(stop), weft::on_default()) == 0) return;
    f();
    weft::sleep_for(period);
  }
}

struct controller {
  std::function<void()> process_;  // Config.Process; set before run()
  void process_loop() { process_(); }
  void run(weft::chan<unit> stop) {
    until([this] { process_loop(); }, kPeriod, stop);
  }
};

struct test_state {
  weft::wait_group test_done_wg_;
  weft::wait_group wg_;
  weft::chan<unit> stop_;
  weft::chan<std::string> deleted_ = weft::chan<std::string>(kThreads);  // fixed: real deletions
};

void run(version v) {
  auto t = std::make_shared<test_state>();
  auto ctl = std::make_shared<controller>();
  if (v == version::buggy) {
    // OnDelete on every processing round, whether or not anything was deleted.
    ctl->process_ = [t] { t->test_done_wg_.done(); };
  } else {
    // OnDelete once per deletion popped from the queue.
    ctl->process_ = [t] {
      weft::select(weft::on_recv(t->deleted_,
                                 [t](std::optional<std::string> obj) {
                                   if (obj) t->test_done_wg_.done();
                                 }),
                   weft::on_recv(t->stop_));
    };
    t->test_done_wg_.add(kThreads);
  }

  weft::go("controller", [ctl, t] { ctl->run(t->stop_); });

  t->wg_.add(kThreads);
  if (v == version::buggy) t->test_done_wg_.add(kThreads);  // the controller may already be running
  for (int i = 0; i < kThreads; ++i) {
    std::string name = std::to_string(i) + "-0";
    weft::go("test-" + name, [t, name, v] {
      if (v == version::fixed) t->deleted_.send(name);  // delete one object
      t->wg_.done();
    });
  }
  t->wg_.wait();
  t->test_done_wg_.wait();
  t->stop_.close();
}

void buggy() { run(version::buggy); }
void fixed() { run(version::fixed); }

}  // namespace

WEFT_BUG_KERNEL("kubernetes_13058", "kubernetes#13058", weft::failure_kind::panic, buggy, fixed);
