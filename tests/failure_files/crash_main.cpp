// A program whose task calls std::abort inside weft::explore, for the crash test of replay files
// (tests/failure_files/crash_replay.sh): run with WEFT_FAILURE_DIR set, it must leave a replay
// file of kind "crash" behind; run again with WEFT_REPLAY=<that file>, it must abort at the same
// place. Just before aborting, the task prints a marker naming the interleaving it observed, so
// the script can check that the replay reached the very same state.
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <weft/weft.hpp>

#include "aborting_body.hpp"

int main() {
  weft::options opts = weft::options::from_env();
  opts.test_name = "crash.abort_in_task";
  opts.replay_args = "(tests/failure_files/crash_replay.sh)";
  if (opts.replay.empty()) opts.iterations = 10'000;
  const weft::report r = weft::explore(opts, weft_test::aborting_body);
  // Reached only when no execution crashed.
  std::printf("no crash: %s\n", r.ok() ? "ok" : std::string(weft::to_string(r.kind)).c_str());
  std::fputs(r.message.c_str(), stdout);
  return 3;
}
