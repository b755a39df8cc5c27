// Origin: CockroachDB, PR #35501 -- GoBench kernel gobench/goker/nonblocking/cockroach/35501
//   (cockroach35501_test.go).
// Bug: SchemaChanger.validateChecks() starts one goroutine per check constraint with
//   `go func() { validateCheckInTxn(desc, &c.Name) }()`. Before Go 1.22 the loop variable `c` is a
//   single variable that the loop overwrites, so the goroutines read it while the loop writes it:
//   a loop variable captured by reference (a data race; a check may be validated twice and another
//   one never).
// Fix: each goroutine gets its own copy of the check (`c := c`).
// Expected kind: data_race (in every schedule: the loop's next write is unordered with the
//   previous goroutine's read). The skipped check is also verified once all validations are done
//   (weft_expect, reported as uncaught_exception where the race detector does not report first).
// Port notes: three checks with distinct names (the kernel has ten called "nil string"); the
//   validations are joined with a wait group, as upstream joins them with an error group.
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>
#include <weft/weft.hpp>

#include "kernel.hpp"

namespace {

using weft::bugs::version;

struct constraint_to_validate {
  std::string name_;
};

struct mutable_table_descriptor {
  void find_check_by_name(const std::string& name) const { (void)name; }
};

// Which checks were validated, for the final check.
struct validation_log {
  weft::mutex mu_;
  std::set<std::string> names_;  // guarded by mu_
  void record(const std::string& name) {
    std::lock_guard<weft::mutex> lock(mu_);
    names_.insert(name);
  }
};

void validate_check_in_txn(const mutable_table_descriptor& desc, const std::string& check_name,
                           validation_log& log) {
  desc.find_check_by_name(check_name);
  log.record(check_name);
}

void validate_checks(const std::vector<constraint_to_validate>& checks, version v) {
  auto desc = std::make_shared<mutable_table_descriptor>();
  auto log = std::make_shared<validation_log>();
  auto group = std::make_shared<weft::wait_group>();
  if (v == version::buggy) {
    // Go before 1.22: one variable for the whole loop, shared by every closure.
    auto c = std::make_shared<weft::tracked<constraint_to_validate>>();
    for (const constraint_to_validate& check : checks) {
      c->set(check);  // the loop writes the shared variable...
      group->add(1);
      weft::go("validate-check", [desc, c, log, group] {
        const std::string name = c->get().name_;  // ...which each goroutine reads later
        validate_check_in_txn(*desc, name, *log);
        group->done();
      });
    }
  } else {
    for (const constraint_to_validate& check : checks) {
      group->add(1);
      weft::go("validate-check", [desc, name = check.name_, log, group] {
        validate_check_in_txn(*desc, name, *log);
        group->done();
      });
    }
  }
  group->wait();
  std::lock_guard<weft::mutex> lock(log->mu_);
  weft::bugs::weft_expect(log->names_.size() == checks.size(),
                          "cockroach#35501: a check constraint was never validated");
}

struct schema_changer {
  void run_backfill(version v) {
    std::vector<constraint_to_validate> checks;
    for (const char* name : {"check_a", "check_b", "check_c"}) checks.push_back({name});
    validate_checks(checks, v);
  }
};

void run(version v) {
  auto wg = std::make_shared<weft::wait_group>();
  wg->add(1);
  weft::go("backfill", [wg, v] {
    schema_changer sc;
    sc.run_backfill(v);
    wg->done();
  });
  wg->wait();
}

void buggy() { run(version::buggy); }
void fixed() { run(version::fixed); }

}  // namespace

WEFT_BUG_KERNEL("cockroach_35501", "cockroach#35501", weft::failure_kind::data_race, buggy, fixed);
