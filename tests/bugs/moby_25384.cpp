// Origin: Moby, PR #25384 -- GoBench kernel gobench/goker/blocking/moby/25384
//   (moby25384_test.go).
// Bug: Manager.init() adds len(plugins) to the wait group, then starts one goroutine per plugin --
//   and calls group.Wait() inside the loop. With two plugins the first Wait() needs two Done()s but
//   only one goroutine has been started: a wait inside the spawn loop.
// Fix: wait once, after the loop has started every plugin.
// Expected kind: leak. The Go test starts init() and returns; init() stays blocked on Wait().
#include <memory>
#include <vector>
#include <weft/weft.hpp>

#include "kernel.hpp"

namespace {

using weft::bugs::version;

struct plugin {};

struct manager {
  std::vector<std::shared_ptr<plugin>> plugins_;

  void init(version v) {
    auto group = std::make_shared<weft::wait_group>();
    group->add(static_cast<int>(plugins_.size()));
    for (std::size_t i = 0; i < plugins_.size(); ++i) {
      weft::go("plugin-init", [group] { group->done(); });
      if (v == version::buggy) group->wait();  // needs every Done(), only one plugin started
    }
    if (v == version::fixed) group->wait();
  }
};

void run(version v) {
  auto pm = std::make_shared<manager>();
  pm->plugins_ = {std::make_shared<plugin>(), std::make_shared<plugin>()};
  weft::go("manager-init", [pm, v] { pm->init(v); });
}

void buggy() { run(version::buggy); }
void fixed() { run(version::fixed); }

}  // namespace

WEFT_BUG_KERNEL("moby_25384", "moby#25384", weft::failure_kind::leak, buggy, fixed);
