// Origin: Kubernetes, PR #82550 -- GoBench kernel gobench/goker/nonblocking/kubernetes/82550
//   (kubernetes82550_test.go).
// Bug: lazyEcrProvider.LazyProvide() creates its actual provider on first use with an unguarded
//   check-then-set of p.actualProvider, and concurrent callers read and write the field without
//   synchronisation: unsynchronized lazy initialization (a data race; two callers may both create
//   a provider).
// Fix: the field is guarded by p.mu, which LazyProvide() holds.
// Expected kind: data_race (in every schedule with two callers). The double initialisation is
//   also checked (weft_expect, reported as uncaught_exception where the race detector does not
//   report first).
// Port note: three callers instead of ten.
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <weft/weft.hpp>

#include "kernel.hpp"

namespace {

using weft::bugs::version;

struct docker_config_entry {};
using docker_config = std::map<std::string, docker_config_entry>;

struct caching_docker_config_provider {
  docker_config provide() const { return docker_config{}; }
};

struct lazy_ecr_provider {
  explicit lazy_ecr_provider(version v) : version_(v) {}

  version version_;
  weft::mutex mu_;
  weft::tracked<std::shared_ptr<caching_docker_config_provider>> actual_provider_;  // by mu_
  weft::atomic<int> created_{0};

  docker_config_entry lazy_provide() {
    std::unique_lock<weft::mutex> lock(mu_, std::defer_lock);
    if (version_ == version::fixed) lock.lock();
    if (!actual_provider_.get()) {
      actual_provider_.set(std::make_shared<caching_docker_config_provider>());
      weft::bugs::weft_expect(created_.fetch_add(1) == 0,
                              "kubernetes#82550: the lazy provider was initialized twice");
    }
    docker_config config = actual_provider_.get()->provide();
    return config["0"];
  }
};

void run(version v) {
  auto provider = std::make_shared<lazy_ecr_provider>(v);
  for (int i = 0; i < 3; ++i) {
    weft::go("lazy-provide", [provider] { (void)provider->lazy_provide(); });
  }
}

void buggy() { run(version::buggy); }
void fixed() { run(version::fixed); }

}  // namespace

WEFT_BUG_KERNEL("kubernetes_82550", "kubernetes#82550", weft::failure_kind::data_race, buggy,
                fixed);
