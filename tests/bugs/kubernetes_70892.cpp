// Origin: Kubernetes, PR #70892 -- GoBench kernel gobench/goker/nonblocking/kubernetes/70892
//   (kubernetes70892_test.go).
// Bug: the scheduler scores nodes with ParallelizeUntil, and every worker's processNode() reads
//   results[i][0] and replaces the whole results[i] list, for every priority config i. Two workers
//   read and write the same shared lists without synchronisation: workers write a shared slice
//   (a data race).
// Fix: the per-config lists are allocated up front and each worker writes only its own node's
//   entry, results[i][index].
// Expected kind: data_race (two workers writing the same cells; no natural assertion: both write
//   the same values).
#include <algorithm>
#include <array>
#include <functional>
#include <memory>
#include <weft/weft.hpp>

#include "kernel.hpp"

namespace {

using weft::bugs::version;

constexpr int kPriorityConfigs = 3;
constexpr int kNodes = 2;

// results[config][node]: HostPriorityList per priority config.
using results = std::array<std::array<weft::tracked<int>, kNodes>, kPriorityConfigs>;

void parallelize_until(const weft::context& ctx, int workers, int pieces,
                       const std::function<void(int)>& do_work_piece) {
  weft::chan<weft::bugs::unit> stop = ctx.done();
  weft::chan<int> to_process(static_cast<std::size_t>(pieces));
  for (int i = 0; i < pieces; ++i) to_process.send(i);
  to_process.close();
  workers = std::min(workers, pieces);

  auto wg = std::make_shared<weft::wait_group>();
  wg->add(workers);
  for (int i = 0; i < workers; ++i) {
    weft::go("parallelize-worker", [wg, to_process, stop, do_work_piece] {
      for (int piece : to_process) {
        if (weft::select(weft::on_recv(stop), weft::on_default()) == 0) break;
        do_work_piece(piece);
      }
      wg->done();
    });
  }
  wg->wait();
}

void run(version v) {
  auto r = std::make_shared<results>();
  std::function<void(int)> process_node;
  if (v == version::buggy) {
    process_node = [r](int index) {
      (void)index;
      for (auto& list : *r) {
        if (list[0].get() != 4) {
          for (int n = 0; n < kNodes; ++n) list[n].set(7 + n);  // results[i] = {7, 8, ...}
        }
      }
    };
  } else {
    process_node = [r](int index) {
      for (auto& list : *r) {
        if (list[index].get() != 4) list[index].set(7 + index);  // results[i][index] only
      }
    };
  }
  parallelize_until(weft::context::background(), 2, kNodes, process_node);
}

void buggy() { run(version::buggy); }
void fixed() { run(version::fixed); }

}  // namespace

WEFT_BUG_KERNEL("kubernetes_70892", "kubernetes#70892", weft::failure_kind::data_race, buggy,
                fixed);
