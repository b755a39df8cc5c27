// tests/failure_files/aborting_body.hpp — the crashing program of the replay-file crash tests
// (failure_files_test.cpp's death tests and crash_main.cpp, run by crash_replay.sh): three tasks
// take a mutex three times each; in a rare interleaving (c, then a, then b — not the first
// schedule of any strategy) one of them prints a marker naming the order it observed and calls
// std::abort, so a test can check that a replay reaches the very same state.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <weft/weft.hpp>

namespace weft_test {

inline void aborting_body() {
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
        if (s->order.find("cab") != std::string::npos && s->order.size() >= 6) {
          std::fprintf(stderr, "marker: worker-%c aborts after order %s\n", name, s->order.c_str());
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
}

}  // namespace weft_test
