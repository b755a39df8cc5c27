// Origin: CockroachDB, PR #13197 -- GoBench kernel gobench/goker/blocking/cockroach/13197
//   (cockroach13197_test.go).
// Bug: DB.begin() derives a cancellable context for the transaction and starts awaitDone(), which
//   waits for that context to be done. The transaction is never finished, so the context is never
//   cancelled and the goroutine waits forever.
// Fix: the transaction is always finished: Rollback() (via close()) cancels its context, which
//   releases awaitDone().
// Expected kind: leak. The Go test begins the transaction and returns; awaitDone stays blocked.
#include <functional>
#include <memory>
#include <weft/weft.hpp>

#include "kernel.hpp"

namespace {

using weft::bugs::version;

struct tx {
  weft::context ctx_;
  std::function<void()> cancel_;

  void await_done() { ctx_.done().recv(); }  // buggy: never cancelled
  void rollback() { close(); }
  void close() { cancel_(); }
};

std::shared_ptr<tx> begin(const weft::context& parent) {
  auto [ctx, cancel] = weft::with_cancel(parent);
  auto t = std::make_shared<tx>(tx{ctx, cancel});
  weft::go("await-done", [t] { t->await_done(); });
  return t;
}

void run(version v) {
  std::shared_ptr<tx> t = begin(weft::context::background());
  if (v == version::fixed) t->rollback();
}

void buggy() { run(version::buggy); }
void fixed() { run(version::fixed); }

}  // namespace

WEFT_BUG_KERNEL("cockroach_13197", "cockroach#13197", weft::failure_kind::leak, buggy, fixed);
