// tests/consumer/main.cpp — what an outside project writes: weft::explore and a WEFT_TEST.
//
// Exits 0 only if (1) explore finds the deadlock planted below, and (2) the WEFT_TEST passes.
#include <weft/gtest.hpp>
#include <weft/weft.hpp>

#include <cstdio>
#include <memory>

// A correct program: three workers each send one value, a wait_group closes the channel after
// the last one, and the body drains it. Every explored schedule must sum to 1 + 2 + 3.
WEFT_TEST(Consumer, ChannelAndWaitGroup) {
  weft::chan<int> results(1);
  auto wg = std::make_shared<weft::wait_group>();  // shared: tasks may outlive the body
  for (int i = 1; i <= 3; ++i) {
    wg->add(1);
    weft::go([results, wg, i] {
      results.send(i);
      wg->done();
    });
  }
  weft::go([results, wg] {
    wg->wait();
    results.close();
  });
  int sum = 0;
  for (int v : results) sum += v;
  EXPECT_EQ(sum, 6);
}

int main(int argc, char** argv) {
  // A planted bug: an unbuffered send that nobody receives blocks the body forever.
  weft::options opts;
  opts.iterations = 50;
  weft::report r = weft::explore(opts, [] {
    weft::chan<int> ch;
    ch.send(1);
  });
  if (r.kind != weft::failure_kind::deadlock) {
    std::fprintf(stderr, "consumer: expected a deadlock report, got kind %s\n%s\n",
                 std::string(weft::to_string(r.kind)).c_str(), r.message.c_str());
    return 1;
  }
  std::printf("consumer: weft::explore found the planted deadlock:\n%s\n", r.message.c_str());

  testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
