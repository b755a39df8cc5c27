// Origin: Istio, PR #16224 -- GoBench kernel gobench/goker/blocking/istio/16224
//   (istio16224_test.go).
// Bug: the test's event handler locks `lock` and, still holding it, sends on the unbuffered `done`.
//   The test body locks and unlocks `lock` before it receives from `done`; if the handler (running
//   on the controller's goroutine) got the lock first, the body waits for the lock while the
//   handler waits for the body: a handler holds the lock the receiver takes.
// Fix: the handler releases the lock before it reports on `done`.
// Expected kind: deadlock. The test body blocks on the lock, with the handler blocked on `done`.
// Port note: on stop, the GoBench monitor also receives from eventCh (to close it if open), which
//   blocks forever once the test is over -- a second, unrelated leak. That receive is left out so
//   that the kernel holds one bug.
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>
#include <weft/weft.hpp>

#include "kernel.hpp"

namespace {

using weft::bugs::unit;
using weft::bugs::version;

using event = int;
using handler = std::function<void(event)>;

struct configstore_monitor {
  std::vector<handler> handlers_;  // registered before run() starts
  weft::chan<event> event_ch_;

  void run(weft::chan<unit> stop) {
    for (;;) {
      std::optional<event> ev;
      bool stopped = false;
      weft::select(weft::on_recv(stop, [&](std::optional<unit>) { stopped = true; }),
                   weft::on_recv(event_ch_, [&](std::optional<event> e) { ev = e; }));
      if (stopped) return;
      if (ev) process_config_event(*ev);
    }
  }

  void process_config_event(event e) { apply_handlers(e); }
  void append_event_handler(handler h) { handlers_.push_back(std::move(h)); }
  void apply_handlers(event e) {
    for (const handler& f : handlers_) f(e);
  }
  void schedule_process_event(event e) { event_ch_.send(e); }
};

struct controller {
  configstore_monitor monitor_;
  void register_event_handler(handler f) { monitor_.append_event_handler(std::move(f)); }
  void run(weft::chan<unit> stop) { monitor_.run(stop); }
  void create() { monitor_.schedule_process_event(event{0}); }
};

// The test's own state, shared with its handler.
struct test_state {
  weft::chan<bool> done_;
  weft::mutex lock_;
  int events_ = 0;  // guarded by lock_
};

void run(version v) {
  auto ctl = std::make_shared<controller>();
  auto test = std::make_shared<test_state>();
  ctl->register_event_handler([test, v](event) {
    if (v == version::buggy) {
      std::lock_guard<weft::mutex> lock(test->lock_);
      ++test->events_;
      test->done_.send(true);  // waits for the body while holding lock_
      return;
    }
    {
      std::lock_guard<weft::mutex> lock(test->lock_);
      ++test->events_;
    }
    test->done_.send(true);
  });

  weft::chan<unit> stop;
  weft::go("controller", [ctl, stop] { ctl->run(stop); });

  ctl->create();
  test->lock_.lock();  // buggy: blocked by the handler
  test->lock_.unlock();
  test->done_.recv();
  stop.close();
}

void buggy() { run(version::buggy); }
void fixed() { run(version::fixed); }

}  // namespace

WEFT_BUG_KERNEL("istio_16224", "istio#16224", weft::failure_kind::deadlock, buggy, fixed);
