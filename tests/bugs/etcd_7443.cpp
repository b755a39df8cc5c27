// Origin: etcd, PR #7443 -- GoBench kernel gobench/goker/blocking/etcd/7443 (etcd7443_test.go).
// Bug: a three-way deadlock between the balancer's lock, an address connection's lock and the
//   balancer's notification channel (capacity 1). simpleBalancer.Up() and the `down` function it
//   returns send the new address list on notifyCh while holding the balancer lock. When the buffer
//   is full, the sender waits for lbWatcher, the only reader -- but lbWatcher is tearing down a
//   connection whose lock the sender holds (resetTransport holds ac.mu around Up()), and
//   balancer.Close() queues behind the balancer lock, so the test's wait for it never ends.
// Fix (as modelled here): a notification never blocks under the balancer lock: the sender drops a
//   stale, unread address list from the buffer before sending the new one (the newest list is the
//   only one lbWatcher needs).
// Expected kind: deadlock. The test body waits for the balancer's Close(), which can only finish
//   once nothing is blocked under the balancer lock; so every blocked schedule has the body
//   blocked too.
// Port notes: as with etcd's client, the test uses the connection only once the balancer is ready
//   (its first address pinned, `readyc`) -- without that wait the closers almost always win the
//   race and the bug is rare. `down` sends on notifyCh after Close() in Go and recover()s from the
//   panic; here it checks `closed` under the lock instead (weft reports a send on a closed channel
//   as a panic). Address 0 doubles as "no pinned address", as in the kernel, so Up(0) leaves the
//   balancer unpinned and the next Up() notifies again.
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>
#include <weft/weft.hpp>

#include "kernel.hpp"

namespace {

using weft::bugs::unit;
using weft::bugs::version;

using address = int;
using address_list = std::vector<address>;

struct simple_balancer : std::enable_shared_from_this<simple_balancer> {
  explicit simple_balancer(version v) : version_(v) {}

  version version_;
  const address_list addrs_{0, 1, 2};
  weft::chan<address_list> notify_ch_ = weft::chan<address_list>(1);
  weft::rw_mutex mu_;
  bool closed_ = false;      // guarded by mu_
  address pin_addr_ = 0;     // guarded by mu_
  weft::chan<unit> readyc_;  // closed once the first address is pinned
  weft::once ready_once_;

  void notify_locked(address_list addrs) {  // requires mu_
    if (version_ == version::fixed) {
      weft::select(weft::on_recv(notify_ch_), weft::on_default());  // drop a stale list
    }
    notify_ch_.send(std::move(addrs));  // buggy: blocks under mu_ while the buffer is full
  }

  std::function<void()> up(address addr) {
    std::lock_guard<weft::rw_mutex> lock(mu_);
    if (closed_) return [] {};
    if (pin_addr_ == 0) {
      pin_addr_ = addr;
      notify_locked({addr});
      ready_once_.call([this] { readyc_.close(); });
    }
    auto self = shared_from_this();
    return [self, addr] { self->down(addr); };
  }

  void down(address addr) {
    std::lock_guard<weft::rw_mutex> lock(mu_);
    if (closed_) return;  // Go sends anyway and recovers from the send-on-closed panic
    if (pin_addr_ == addr) {
      pin_addr_ = 0;
      notify_locked(addrs_);
    }
  }

  weft::chan<address_list> notify() const { return notify_ch_; }

  void close() {
    std::lock_guard<weft::rw_mutex> lock(mu_);  // buggy: queued behind a blocked sender
    if (closed_) return;
    closed_ = true;
    notify_ch_.close();
    pin_addr_ = 0;
  }
};

struct addr_conn {
  addr_conn(std::shared_ptr<simple_balancer> balancer, address addr)
      : balancer_(std::move(balancer)), addr_(addr) {}

  std::shared_ptr<simple_balancer> balancer_;
  address addr_;
  weft::mutex mu_;
  std::function<void()> down_;  // guarded by mu_

  void tear_down() {
    std::lock_guard<weft::mutex> lock(mu_);
    if (down_) {
      down_();
      down_ = nullptr;
    }
  }

  void reset_transport() {
    std::lock_guard<weft::mutex> lock(mu_);
    down_ = balancer_->up(addr_);  // Up() may block sending while we hold mu_
  }
};

using conn_map = std::map<address, std::shared_ptr<addr_conn>>;

struct client_conn {
  explicit client_conn(std::shared_ptr<simple_balancer> balancer)
      : balancer_(std::move(balancer)) {}

  std::shared_ptr<simple_balancer> balancer_;
  weft::rw_mutex mu_;
  std::optional<conn_map> conns_ = conn_map{};  // guarded by mu_; nullopt once closed (a nil map)

  void lb_watcher() {
    for (const address_list& addrs : balancer_->notify()) {
      address_list add;
      std::vector<std::shared_ptr<addr_conn>> del;
      {
        std::lock_guard<weft::rw_mutex> lock(mu_);
        for (address a : addrs) {
          if (!conns_ || conns_->count(a) == 0) add.push_back(a);
        }
        if (conns_) {
          for (auto it = conns_->begin(); it != conns_->end();) {
            bool keep = false;
            for (address a : addrs) keep = keep || it->first == a;
            if (keep) {
              ++it;
            } else {
              del.push_back(it->second);
              it = conns_->erase(it);
            }
          }
        }
      }
      for (address a : add) reset_addr_conn(a);
      for (const auto& c : del) c->tear_down();  // buggy: waits for ac.mu held by a blocked sender
    }
  }

  void reset_addr_conn(address addr) {
    auto ac = std::make_shared<addr_conn>(balancer_, addr);
    {
      std::lock_guard<weft::rw_mutex> lock(mu_);
      if (!conns_) return;
      (*conns_)[addr] = ac;
    }
    weft::go("reset-transport", [ac] { ac->reset_transport(); });
  }

  void close() {
    std::optional<conn_map> conns;
    {
      std::lock_guard<weft::rw_mutex> lock(mu_);
      conns.swap(conns_);
    }
    balancer_->close();
    if (conns) {
      for (const auto& entry : *conns) entry.second->tear_down();
    }
  }
};

std::shared_ptr<client_conn> dial(std::shared_ptr<simple_balancer> balancer) {
  auto cc = std::make_shared<client_conn>(std::move(balancer));
  weft::go("lb-watcher", [cc] { cc->lb_watcher(); });
  return cc;
}

void run(version v) {
  auto sb = std::make_shared<simple_balancer>(v);
  sb->notify_ch_.send(sb->addrs_);  // newSimpleBalancer announces every address
  std::shared_ptr<client_conn> conn = dial(sb);
  sb->readyc_.recv();  // the client is used once a connection is up, and then closed

  weft::chan<unit> closec;
  weft::go("balancer-close", [sb, closec] {
    sb->close();
    closec.close();
  });
  weft::go("conn-close", [conn] { conn->close(); });
  closec.recv();  // buggy: blocks forever
}

void buggy() { run(version::buggy); }
void fixed() { run(version::fixed); }

}  // namespace

WEFT_BUG_KERNEL("etcd_7443", "etcd#7443", weft::failure_kind::deadlock, buggy, fixed);
