// Origin: Istio, PR #16742 -- GoBench kernel gobench/goker/nonblocking/istio/16742
//   (istio16742_test.go).
// Bug: DiscoveryServer.WorkloadUpdate() clears every connection's proxy WorkloadLabels while
//   holding only the *read* lock of adsClientsMutex, and pushRoute() reads those labels with no
//   lock at all while building routes for a new connection: a write under a read lock (a data
//   race; two concurrent WorkloadUpdate()s would also race with each other).
// Fix (as modelled here): WorkloadUpdate() takes the write lock, and pushRoute() reads the labels
//   under the read lock.
// Expected kind: data_race (no natural assertion: the routes may be built from either labels).
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <vector>
#include <weft/weft.hpp>

#include "kernel.hpp"

namespace {

using weft::bugs::version;

using collection = std::vector<int>;

void build_sidecar_virtual_hosts_from_config_and_registry(const collection& proxy_labels) {
  (void)proxy_labels;
}

struct proxy {
  weft::tracked<collection> workload_labels_{collection{1}};
};

struct xds_connection {
  std::shared_ptr<proxy> model_node_ = std::make_shared<proxy>();
};

// Go's package globals adsClients and adsClientsMutex (one set per execution here).
struct ads_clients {
  weft::rw_mutex mu_;
  std::map<std::string, std::shared_ptr<xds_connection>> clients_;  // guarded by mu_
};

struct discovery_server {
  discovery_server(std::shared_ptr<ads_clients> ads, version v)
      : ads_(std::move(ads)), version_(v) {}

  std::shared_ptr<ads_clients> ads_;
  version version_;

  void add_con(const std::shared_ptr<xds_connection>& con) {
    std::lock_guard<weft::rw_mutex> lock(ads_->mu_);
    ads_->clients_["1"] = con;
  }

  void stream_aggregated_resources() {
    auto con = std::make_shared<xds_connection>();
    add_con(con);
    push_route(*con);
  }

  void push_route(xds_connection& con) { generate_raw_routes(con); }
  void generate_raw_routes(xds_connection& con) { build_http_routes(*con.model_node_); }

  // ConfigGeneratorImpl.BuildHTTPRoutes -> buildSidecarOutboundHTTPRouteConfig
  void build_http_routes(proxy& node) {
    std::shared_lock<weft::rw_mutex> lock(ads_->mu_, std::defer_lock);
    if (version_ == version::fixed) lock.lock();
    build_sidecar_virtual_hosts_from_config_and_registry(node.workload_labels_.get());
  }

  void workload_update() {
    if (version_ == version::buggy) {
      std::shared_lock<weft::rw_mutex> lock(ads_->mu_);
      for (const auto& entry : ads_->clients_) {
        entry.second->model_node_->workload_labels_.set(collection{});  // a write under RLock
      }
      return;
    }
    std::lock_guard<weft::rw_mutex> lock(ads_->mu_);
    for (const auto& entry : ads_->clients_) {
      entry.second->model_node_->workload_labels_.set(collection{});
    }
  }
};

// MemServiceDiscovery.AddWorkload
void add_workload(discovery_server& eds_updater) { eds_updater.workload_update(); }

void run(version v) {
  auto wg = std::make_shared<weft::wait_group>();
  wg->add(3);
  weft::go("registry", [wg, v] {
    auto server = std::make_shared<discovery_server>(std::make_shared<ads_clients>(), v);
    weft::go("stream-aggregated-resources", [wg, server] {
      server->stream_aggregated_resources();
      wg->done();
    });
    weft::go("add-workload", [wg, server] {
      add_workload(*server);
      wg->done();
    });
    wg->done();
  });
  wg->wait();
}

void buggy() { run(version::buggy); }
void fixed() { run(version::fixed); }

}  // namespace

WEFT_BUG_KERNEL("istio_16742", "istio#16742", weft::failure_kind::data_race, buggy, fixed);
