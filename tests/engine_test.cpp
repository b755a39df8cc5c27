#include <weft/gtest.hpp>

TEST(Smoke, ChannelPingPong) {
  weft::report r = weft::explore({}, [] {
    weft::chan<int> ch;
    weft::go([ch] { ch.send(42); });
    if (ch.recv() != 42) throw std::logic_error("wrong value");
  });
  EXPECT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(r.executions, 1000u);
}
