// Origin: CockroachDB, PR #35931 -- GoBench kernel gobench/goker/blocking/cockroach/35931
//   (cockroach35931_test.go).
// Bug: Flow.cancel() collects the flow's pending inbound streams and pushes the cancellation to
//   each receiver synchronously. A receiver whose buffer is already full (here `left`, which got a
//   row before the flow was registered) blocks the canceller forever, and with it everything that
//   would have drained the stream.
// Fix: the canceller never blocks on a receiver: each pending receiver gets its cancellation
//   pushed from a task of its own, and the consumer drains the streams as usual.
// Expected kind: deadlock. The test body itself blocks in cancel(), with no other task alive.
// Port note: the Go map iterates in random order; std::map visits `left` first, and either order
//   blocks on `left`.
#include <map>
#include <memory>
#include <mutex>
#include <vector>
#include <weft/weft.hpp>

#include "kernel.hpp"

namespace {

using weft::bugs::unit;
using weft::bugs::version;

struct row_channel {
  explicit row_channel(std::size_t buffer) : data_chan_(buffer) {}
  weft::chan<unit> data_chan_;
  void push() { data_chan_.send(unit{}); }  // blocks while the buffer is full
};

struct inbound_stream_info {
  std::shared_ptr<row_channel> receiver_;
};

using inbound_streams = std::map<int, inbound_stream_info>;

struct flow_entry {
  inbound_streams inbound_streams_;
};

struct flow_registry {
  weft::mutex mu_;
  std::map<int, flow_entry> flows_;  // guarded by mu_

  flow_entry& get_entry_locked(int id) { return flows_[id]; }

  std::vector<std::shared_ptr<row_channel>> cancel_pending_streams_locked(int id) {
    std::vector<std::shared_ptr<row_channel>> pending;
    for (const auto& entry : flows_[id].inbound_streams_) pending.push_back(entry.second.receiver_);
    return pending;
  }

  void register_flow(int id, const inbound_streams& streams) {
    std::lock_guard<weft::mutex> lock(mu_);
    get_entry_locked(id).inbound_streams_ = streams;
  }
};

struct flow {
  int id_;
  flow_registry* registry_;

  void cancel(version v) {
    std::vector<std::shared_ptr<row_channel>> timed_out;
    {
      std::lock_guard<weft::mutex> lock(registry_->mu_);
      timed_out = registry_->cancel_pending_streams_locked(id_);
    }
    for (const auto& receiver : timed_out) {
      if (v == version::buggy) {
        receiver->push();  // blocks on `left`, whose buffer is full
      } else {
        weft::go("push-cancellation", [receiver] { receiver->push(); });
      }
    }
  }
};

void run(version v) {
  flow_registry registry;
  auto left = std::make_shared<row_channel>(1);
  auto right = std::make_shared<row_channel>(1);
  const inbound_streams streams{{0, {left}}, {1, {right}}};
  left->push();
  flow f{0, &registry};
  registry.register_flow(f.id_, streams);
  f.cancel(v);  // buggy: blocks here
  // The consumer drains both streams: the row pushed earlier and the two cancellations.
  left->data_chan_.recv();
  left->data_chan_.recv();
  right->data_chan_.recv();
}

void buggy() { run(version::buggy); }
void fixed() { run(version::fixed); }

}  // namespace

WEFT_BUG_KERNEL("cockroach_35931", "cockroach#35931", weft::failure_kind::deadlock, buggy, fixed);
