// The progress line (src/progress.cpp): shown on a terminal during a long exploration, never
// when stderr is not a terminal, never with WEFT_QUIET=1.
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <gtest/gtest.h>

#include <weft/weft.hpp>

#include "../src/progress.hpp"

namespace {

using weft::detail::progress_line;

TEST(Progress, LineFormat) {
  EXPECT_EQ(
      progress_line::format(120000, 98765, 2.0, 28.4),
      "[weft] 120,000 executions · 98,765 distinct schedules · 60.0 k/s · 28 s of budget left");
  EXPECT_EQ(progress_line::format(999, 10, 3.0, -1),
            "[weft] 999 executions · 10 distinct schedules · 333 /s");
}

// Runs an exploration with stderr redirected to `fd`, the progress delay set to zero.
void explore_with_stderr(int fd, bool progress) {
  const auto saved_delay = progress_line::delay;
  progress_line::delay = std::chrono::milliseconds(0);
  std::fflush(stderr);
  const int saved = ::dup(STDERR_FILENO);
  ::dup2(fd, STDERR_FILENO);
  weft::options o;
  o.iterations = 300;
  o.progress = progress;
  const weft::report r = weft::explore(o, [] {
    weft::chan<int> c(1);
    weft::go([c] { c.send(1); });
    (void)c.recv();
  });
  std::fflush(stderr);
  ::dup2(saved, STDERR_FILENO);
  ::close(saved);
  progress_line::delay = saved_delay;
  EXPECT_TRUE(r.ok()) << r.message;
}

std::string drain(int fd) {
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
  return out;
}

TEST(Progress, NothingWhenStderrIsNotATerminal) {
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  ::fcntl(pipe_fds[0], F_SETFL, O_NONBLOCK);
  explore_with_stderr(pipe_fds[1], true);
  ::close(pipe_fds[1]);
  EXPECT_EQ(drain(pipe_fds[0]), "");
  ::close(pipe_fds[0]);
}

class pseudo_terminal {
 public:
  pseudo_terminal() {
    master_ = ::posix_openpt(O_RDWR | O_NOCTTY);
    if (master_ < 0 || ::grantpt(master_) != 0 || ::unlockpt(master_) != 0) return;
    slave_ = ::open(::ptsname(master_), O_RDWR | O_NOCTTY);
    ::fcntl(master_, F_SETFL, O_NONBLOCK);
  }
  ~pseudo_terminal() {
    if (slave_ >= 0) ::close(slave_);
    if (master_ >= 0) ::close(master_);
  }
  bool ok() const { return master_ >= 0 && slave_ >= 0; }
  int slave() const { return slave_; }
  std::string output() const { return drain(master_); }

 private:
  int master_ = -1;
  int slave_ = -1;
};

TEST(Progress, UpdatingLineOnATerminal) {
  pseudo_terminal pty;
  if (!pty.ok()) GTEST_SKIP() << "no pseudo-terminal available";
  explore_with_stderr(pty.slave(), true);
  const std::string out = pty.output();
  EXPECT_NE(out.find("[weft] "), std::string::npos) << out;
  EXPECT_NE(out.find(" executions · "), std::string::npos) << out;
  EXPECT_NE(out.find("distinct schedules"), std::string::npos) << out;
  // Rewritten in place and erased at the end: the report or summary follows on a clean line.
  EXPECT_EQ(out.find('\n'), std::string::npos) << out;
  const std::string erase = "\r\033[K";
  ASSERT_GE(out.size(), erase.size());
  EXPECT_EQ(out.substr(out.size() - erase.size()), erase);
}

TEST(Progress, QuietTurnsItOff) {
  ::setenv("WEFT_QUIET", "1", 1);
  const weft::options o = weft::options::from_env();
  ::unsetenv("WEFT_QUIET");
  EXPECT_FALSE(o.progress);
  pseudo_terminal pty;
  if (!pty.ok()) GTEST_SKIP() << "no pseudo-terminal available";
  explore_with_stderr(pty.slave(), o.progress);
  EXPECT_EQ(pty.output(), "");
}

}  // namespace
