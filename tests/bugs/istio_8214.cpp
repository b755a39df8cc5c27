// Origin: Istio, PR #8214 -- GoBench kernel gobench/goker/nonblocking/istio/8214
//   (istio8214_test.go).
// Bug: lruCache.SetWithExpiration() counts writes with atomic.AddUint64(&c.stats.Writes, 1), but
//   Stats() copies the stats struct with a plain read. Two concurrent Check()s each add and then
//   read: atomic and plain access to one field (a data race).
// Fix: Stats() reads the counter with atomic.LoadUint64.
// Expected kind: data_race. In every schedule one Check()'s plain read is unordered with the other
//   Check()'s later atomic add. (No natural assertion: a statistics snapshot may be stale.)
// Port note: the counter is a weft::bugs::mixed_atomic (kernel.hpp), which models one word used
//   both atomically and plainly.
#include <cstdint>
#include <memory>
#include <weft/weft.hpp>

#include "kernel.hpp"

namespace {

using weft::bugs::mixed_atomic;
using weft::bugs::version;

struct stats {
  std::uint64_t writes;
};

struct lru_cache {
  explicit lru_cache(version v) : version_(v) {}

  version version_;
  mixed_atomic<std::uint64_t> writes_;  // stats.Writes

  stats get_stats() {
    if (version_ == version::buggy) return stats{writes_.plain_load()};
    return stats{writes_.atomic_load()};
  }
  void set() { set_with_expiration(); }
  void set_with_expiration() { writes_.atomic_add(1); }
};

struct cache {
  std::shared_ptr<lru_cache> cache_;
  void set() {
    cache_->set_with_expiration();
    record_stats();
  }
  void record_stats() { (void)cache_->get_stats(); }
};

struct grpc_server {
  std::shared_ptr<cache> cache_;
  void check() {
    if (cache_) cache_->set();
  }
};

void run(version v) {
  auto wg = std::make_shared<weft::wait_group>();
  wg->add(3);
  weft::go("server", [wg, v] {
    auto s = std::make_shared<grpc_server>();
    s->cache_ = std::make_shared<cache>();
    s->cache_->cache_ = std::make_shared<lru_cache>(v);
    weft::go("check-1", [wg, s] {
      s->check();
      wg->done();
    });
    weft::go("check-2", [wg, s] {
      s->check();
      wg->done();
    });
    wg->done();
  });
  wg->wait();
}

void buggy() { run(version::buggy); }
void fixed() { run(version::fixed); }

}  // namespace

WEFT_BUG_KERNEL("istio_8214", "istio#8214", weft::failure_kind::data_race, buggy, fixed);
