// Origin: gRPC-Go, PR #3090 -- GoBench kernel gobench/goker/nonblocking/grpc/3090
//   (grpc3090_test.go).
// Bug: newCCResolverWrapper() assigns ccr.resolver = rb.Build(ccr), but Build() already reports a
//   state update, which polls the resolver from a new goroutine (resolveNow() reads ccr.resolver
//   under ccr.mu). That goroutine can read the field before -- and always without synchronisation
//   with -- its assignment: a goroutine reads a field before it is assigned (a data race; when it
//   reads the nil resolver, Go crashes).
// Fix: a resolver lock: the resolver is built and assigned under it, and resolveNow() takes it, so
//   the poll waits until the assignment is done.
// Expected kind: data_race (in every schedule). Where the poll reads the resolver before its
//   assignment, Go would crash on the nil resolver; here the poll gives up instead, so the
//   assignment still happens and the detector reports the unordered read and write: the same kind
//   whichever runs first (found with every seed and strategy in bench/bugs).
#include <chrono>
#include <memory>
#include <mutex>
#include <weft/weft.hpp>

#include "kernel.hpp"

namespace {

using weft::bugs::version;

struct cc_resolver_wrapper;

// resolver_Resolver: Build() records the ClientConn and reports a state at once.
struct resolver_impl {
  cc_resolver_wrapper* cc_ = nullptr;  // owned by the wrapper that owns this resolver
  resolver_impl* build(cc_resolver_wrapper* cc);
  void resolve_now() {}
  void update_state();
};

struct cc_resolver_wrapper : std::enable_shared_from_this<cc_resolver_wrapper> {
  cc_resolver_wrapper(std::shared_ptr<resolver_impl> builder, version v)
      : builder_(std::move(builder)), version_(v) {}

  std::shared_ptr<resolver_impl> builder_;  // the resolver builder (and resolver) in dial options
  version version_;
  weft::mutex mu_;
  weft::mutex resolver_mu_;  // fix: guards resolver_ from its assignment on
  weft::tracked<resolver_impl*> resolver_{nullptr};

  void resolve_now() {
    std::lock_guard<weft::mutex> lock(version_ == version::buggy ? mu_ : resolver_mu_);
    resolver_impl* r = resolver_.get();  // buggy: may run before the assignment
    if (r == nullptr) return;            // Go: nil pointer dereference (see the header)
    r->resolve_now();
  }

  void poll() {
    std::lock_guard<weft::mutex> lock(mu_);
    auto self = shared_from_this();
    weft::go("resolve-now", [self] { self->resolve_now(); });
  }

  void update_state() { poll(); }
};

resolver_impl* resolver_impl::build(cc_resolver_wrapper* cc) {
  cc_ = cc;
  update_state();
  return this;
}

void resolver_impl::update_state() { cc_->update_state(); }

void new_cc_resolver_wrapper(const std::shared_ptr<resolver_impl>& rb, version v) {
  auto ccr = std::make_shared<cc_resolver_wrapper>(rb, v);
  if (v == version::buggy) {
    ccr->resolver_.set(rb->build(ccr.get()));  // Build() has already started the poll
    return;
  }
  std::lock_guard<weft::mutex> lock(ccr->resolver_mu_);
  ccr->resolver_.set(rb->build(ccr.get()));
}

void dial_context(version v) {
  auto resolver_builder = std::make_shared<resolver_impl>();  // the default builder
  new_cc_resolver_wrapper(resolver_builder, v);
}

void dial(version v) { dial_context(v); }

void run(version v) {
  auto wg = std::make_shared<weft::wait_group>();
  wg->add(1);
  weft::go("dial", [wg, v] {
    dial(v);
    weft::sleep_for(std::chrono::milliseconds(5));
    wg->done();
  });
  wg->wait();
}

void buggy() { run(version::buggy); }
void fixed() { run(version::fixed); }

}  // namespace

WEFT_BUG_KERNEL("grpc_3090", "grpc#3090", weft::failure_kind::data_race, buggy, fixed);
