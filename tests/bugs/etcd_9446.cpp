// Origin: etcd, PR #9446 -- GoBench kernel gobench/goker/nonblocking/etcd/9446 (etcd9446_test.go).
// Bug: readTx.reset() deletes every bucket from the read buffer's map while UnsafeRange(), on
//   another goroutine, looks a bucket up in the same map, with no lock on either side: a map
//   delete versus a concurrent read (a data race; Go may even crash with "concurrent map read and
//   map write").
// Fix: the read transaction's RWMutex guards the buffer: reset() takes it for writing and ranges
//   run under the read lock.
// Expected kind: data_race (no natural assertion: either lookup result is acceptable).
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <weft/weft.hpp>

#include "kernel.hpp"

namespace {

using weft::bugs::version;

struct tx_buffer {
  weft::tracked<std::map<std::string, int>> buckets_;
  void reset() {
    buckets_.write([](std::map<std::string, int>& buckets) { buckets.clear(); });
  }
};

struct tx_read_buffer : tx_buffer {
  bool range() const {
    return buckets_.read(
        [](const std::map<std::string, int>& buckets) { return buckets.count("1") != 0; });
  }
};

struct read_tx {
  explicit read_tx(version v) : version_(v) {}

  version version_;
  weft::rw_mutex mu_;
  tx_read_buffer buf_;

  void reset() {
    std::unique_lock<weft::rw_mutex> lock(mu_, std::defer_lock);
    if (version_ == version::fixed) lock.lock();
    buf_.reset();
  }

  void unsafe_range() {
    std::shared_lock<weft::rw_mutex> lock(mu_, std::defer_lock);
    if (version_ == version::fixed) lock.lock();
    (void)buf_.range();
  }
};

void run(version v) {
  auto wg = std::make_shared<weft::wait_group>();
  wg->add(3);
  weft::go("txn", [wg, v] {
    auto txn = std::make_shared<read_tx>(v);
    txn->buf_.buckets_.write([](std::map<std::string, int>& buckets) { buckets["1"] = 0; });
    weft::go("reset", [wg, txn] {
      txn->reset();
      wg->done();
    });
    weft::go("unsafe-range", [wg, txn] {
      txn->unsafe_range();
      wg->done();
    });
    wg->done();
  });
  wg->wait();
}

void buggy() { run(version::buggy); }
void fixed() { run(version::fixed); }

}  // namespace

WEFT_BUG_KERNEL("etcd_9446", "etcd#9446", weft::failure_kind::data_race, buggy, fixed);
