// Deliberately failing WEFT_TESTs, run by CTest to check what a user sees: the report, its
// replay line, and that running the replay line reproduces the same report in a new process.
#include <memory>

#include <weft/gtest.hpp>

WEFT_TEST(Failing, LostUpdate) {
  auto counter = std::make_shared<int>(0);
  auto wg = std::make_shared<weft::wait_group>();
  wg->add(2);
  for (int i = 0; i < 2; ++i) {
    weft::go("incrementer", [counter, wg] {
      int read = *counter;
      weft::yield();
      *counter = read + 1;
      wg->done();
    });
  }
  wg->wait();
  EXPECT_EQ(*counter, 2);
}

WEFT_TEST(Failing, Deadlock) {
  auto a = std::make_shared<weft::mutex>();
  auto b = std::make_shared<weft::mutex>();
  weft::wait_group wg;
  wg.add(1);
  weft::go("other", [a, b, &wg] {
    std::lock_guard x(*b);
    std::lock_guard y(*a);
    wg.done();
  });
  {
    std::lock_guard x(*a);
    std::lock_guard y(*b);
  }
  wg.wait();
}

WEFT_TEST(Failing, Leak) {
  weft::chan<int> results;
  weft::go("worker", [results] { results.send(1); });
  // returns without receiving: the worker stays blocked forever
}
