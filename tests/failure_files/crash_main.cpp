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

int main() {
  weft::options opts = weft::options::from_env();
  opts.test_name = "crash.abort_in_task";
  opts.replay_args = "(tests/failure_files/crash_replay.sh)";
  if (opts.replay.empty()) opts.iterations = 10'000;
  const weft::report r = weft::explore(opts, [] {
    struct state {
      weft::mutex mu;
      std::string order;  // which task got the mutex, in order
    };
    auto s = std::make_shared<state>();
    auto wg = std::make_shared<weft::wait_group>();
    wg->add(3);
    for (char name : {'a', 'b', 'c'}) {
      weft::go(std::string("worker-") + name, [s, wg, name] {
        for (int round = 0; round < 3; ++round) {
          s->mu.lock();
          s->order += name;
          // A rare interleaving (not the first schedule of any strategy): c, then a, then b.
          if (s->order.find("cab") != std::string::npos && s->order.size() >= 6) {
            std::fprintf(stderr, "marker: worker-%c aborts after order %s\n", name,
                         s->order.c_str());
            std::fflush(stderr);
            std::abort();
          }
          s->mu.unlock();
          weft::yield();
        }
        wg->done();
      });
    }
    wg->wait();
  });
  // Reached only when no execution crashed.
  std::printf("no crash: %s\n", r.ok() ? "ok" : std::string(weft::to_string(r.kind)).c_str());
  std::fputs(r.message.c_str(), stdout);
  return 3;
}
