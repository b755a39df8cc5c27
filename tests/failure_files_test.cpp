// Replay files (WEFT_FAILURE_DIR, issue 7): one file per distinct failure, never overwritten, the
// same failure not written twice, WEFT_REPLAY=<file> replays it, malformed files are clear
// usage errors, and a task that calls std::abort still leaves a file whose replay aborts at the
// same place (a death test here; tests/failure_files/crash_replay.sh does the same across two
// processes).
#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>
#include <weft/weft.hpp>

#include "../src/failure_files.hpp"
#include "failure_files/aborting_body.hpp"

namespace {

namespace fs = std::filesystem;
using weft::failure_kind;

// A fresh directory under the system temp dir, removed with the object.
class temp_dir {
 public:
  temp_dir() {
    std::string pattern = (fs::temp_directory_path() / "weft-failure-files-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~temp_dir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::vector<std::string> files() const {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(path_)) out.push_back(e.path().string());
    std::sort(out.begin(), out.end());
    return out;
  }

 private:
  std::string path_;
};

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void spit(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
}

// Sets an environment variable for one scope.
class scoped_env {
 public:
  scoped_env(const char* name, const std::string& value) : name_(name) {
    ::setenv(name, value.c_str(), 1);
  }
  ~scoped_env() { ::unsetenv(name_); }

 private:
  const char* name_;
};

// ABBA: deadlocks in some schedules, not the first one of every strategy.
void abba() {
  struct locks {
    weft::mutex a, b;
  };
  auto l = std::make_shared<locks>();
  auto wg = std::make_shared<weft::wait_group>();
  wg->add(2);
  weft::go("ab", [l, wg] {
    l->a.lock();
    l->b.lock();
    l->b.unlock();
    l->a.unlock();
    wg->done();
  });
  weft::go("ba", [l, wg] {
    l->b.lock();
    l->a.lock();
    l->a.unlock();
    l->b.unlock();
    wg->done();
  });
  wg->wait();
}

// A task blocked forever after the body returned: a leak in every schedule.
void leak() {
  weft::chan<int> never;
  weft::go("stuck", [never] { (void)never.recv(); });
}

// Two tasks whose mutex-protected steps interleave; correct.
void correct() {
  auto mu = std::make_shared<weft::mutex>();
  auto wg = std::make_shared<weft::wait_group>();
  wg->add(2);
  for (int i = 0; i < 2; ++i) {
    weft::go([mu, wg] {
      for (int k = 0; k < 3; ++k) {
        mu->lock();
        mu->unlock();
      }
      wg->done();
    });
  }
  wg->wait();
}

weft::options opts_in(const temp_dir& dir, const std::string& test) {
  weft::options o;
  o.failure_dir = dir.path();
  o.test_name = test;
  o.replay_args = "--gtest_filter=" + test;
  o.iterations = 1000;
  return o;
}

TEST(FailureFiles, one_file_per_failure_with_token_test_version_options_and_report) {
  temp_dir dir;
  const weft::report r = weft::explore(opts_in(dir, "Pool.Shutdown"), abba);
  ASSERT_EQ(r.kind, failure_kind::deadlock) << r.message;
  const auto files = dir.files();
  ASSERT_EQ(files.size(), 1u);
  const std::string name = fs::path(files[0]).filename().string();
  EXPECT_EQ(name.rfind("Pool.Shutdown-deadlock-", 0), 0u) << name;
  EXPECT_EQ(name.size(), std::string("Pool.Shutdown-deadlock-").size() + 12 + 5) << name;
  EXPECT_EQ(name.substr(name.size() - 5), ".weft");
  const std::string text = slurp(files[0]);
  EXPECT_NE(text.find("\ntoken: " + r.replay + "\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\ntest: Pool.Shutdown\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\nweft: 0.1.0\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\nkind: deadlock\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\nprefix: no\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\noptions: strategy=random seed=0 iterations=1000 "), std::string::npos)
      << text;
  EXPECT_NE(text.find("\nreplay: WEFT_REPLAY=" + files[0] + " "), std::string::npos) << text;
  EXPECT_NE(text.find("--gtest_filter=Pool.Shutdown\n"), std::string::npos) << text;
  // The whole report, indented.
  const std::string first_line = r.message.substr(0, r.message.find('\n'));
  EXPECT_NE(text.find("\nreport:\n  " + first_line + "\n"), std::string::npos) << text;
}

TEST(FailureFiles, the_same_failure_is_not_written_again_and_files_are_never_overwritten) {
  temp_dir dir;
  const weft::report first = weft::explore(opts_in(dir, "T.abba"), abba);
  ASSERT_EQ(first.kind, failure_kind::deadlock);
  ASSERT_EQ(dir.files().size(), 1u);
  const std::string path = dir.files()[0];
  // Mark the file: a rewrite would lose the mark.
  spit(path, slurp(path) + "# kept\n");

  const weft::report again = weft::explore(opts_in(dir, "T.abba"), abba);
  ASSERT_EQ(again.replay, first.replay);
  ASSERT_EQ(dir.files().size(), 1u) << "the same failure was written twice";
  EXPECT_NE(slurp(path).find("# kept\n"), std::string::npos) << "the file was rewritten";

  // Another failure of the same test (another kind): a second file beside the first.
  const weft::report other = weft::explore(opts_in(dir, "T.abba"), leak);
  ASSERT_EQ(other.kind, failure_kind::leak);
  ASSERT_EQ(dir.files().size(), 2u);
  EXPECT_NE(slurp(path).find("# kept\n"), std::string::npos);

  // A foreign file already holding the name a failure maps to (as a hash collision would) is
  // kept; the failure goes to "<name>-2.weft".
  temp_dir dir2;
  weft::options o = opts_in(dir2, "T.abba");
  ASSERT_EQ(weft::explore(o, abba).kind, failure_kind::deadlock);
  const std::string taken = dir2.files()[0];
  spit(taken, "token: w1.someone-else\n");
  const std::string written = weft::detail::save_failure(o, first);
  EXPECT_EQ(written, taken.substr(0, taken.size() - 5) + "-2.weft");
  EXPECT_EQ(slurp(taken), "token: w1.someone-else\n");
  EXPECT_EQ(dir2.files().size(), 2u);
  // Saving it once more finds it under "-2" and writes nothing.
  EXPECT_EQ(weft::detail::save_failure(o, first), "");
  EXPECT_EQ(dir2.files().size(), 2u);
}

TEST(FailureFiles, nothing_is_written_without_a_failure_or_a_directory) {
  temp_dir dir;
  EXPECT_TRUE(weft::explore(opts_in(dir, "T.ok"), correct).ok());
  EXPECT_TRUE(dir.files().empty());
  weft::options o;  // failure_dir empty
  const weft::report r = weft::explore(o, abba);
  EXPECT_EQ(weft::detail::save_failure(o, r), "");
}

TEST(FailureFiles, env_sets_the_directory_and_replay_accepts_the_file) {
  temp_dir dir;
  weft::options found;
  {
    scoped_env d("WEFT_FAILURE_DIR", dir.path() + "/nested/corpus");
    found = weft::options::from_env();
  }
  EXPECT_EQ(found.failure_dir, dir.path() + "/nested/corpus");
  found.test_name = "T.abba";
  const weft::report r = weft::explore(found, abba);
  ASSERT_EQ(r.kind, failure_kind::deadlock);
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(dir.path() + "/nested/corpus")) {
    files.push_back(e.path().string());
  }
  ASSERT_EQ(files.size(), 1u);

  weft::options replay;
  {
    scoped_env e("WEFT_REPLAY", files[0]);
    replay = weft::options::from_env();
  }
  EXPECT_EQ(replay.replay, r.replay);
  EXPECT_FALSE(replay.replay_crash_prefix);
  replay.test_name = "T.abba";
  const weft::report again = weft::explore(replay, abba);
  EXPECT_EQ(again.kind, failure_kind::deadlock);
  EXPECT_EQ(again.message, r.message);
  EXPECT_EQ(again.executions, 1u);
}

TEST(FailureFiles, a_file_holding_just_a_token_or_a_saved_report_is_accepted) {
  temp_dir dir;
  weft::options o;
  o.test_name = "T.abba";
  const weft::report r = weft::explore(o, abba);
  ASSERT_FALSE(r.ok());
  spit(dir.path() + "/bare", r.replay + "\n");
  EXPECT_EQ(weft::detail::read_replay_file(dir.path() + "/bare").token, r.replay);
  spit(dir.path() + "/report.txt", r.message);
  EXPECT_EQ(weft::detail::read_replay_file(dir.path() + "/report.txt").token, r.replay);
}

// The message of the usage_error thrown by from_env with WEFT_REPLAY=value.
std::string replay_error(const std::string& value) {
  scoped_env e("WEFT_REPLAY", value);
  try {
    (void)weft::options::from_env();
  } catch (const weft::usage_error& err) {
    return err.what();
  }
  return "(no error)";
}

TEST(FailureFiles, malformed_files_are_clear_usage_errors) {
  temp_dir dir;
  const std::string missing = dir.path() + "/missing.weft";
  std::string e = replay_error(missing);
  EXPECT_NE(e.find("WEFT_REPLAY=\"" + missing + "\": cannot read the replay file"),
            std::string::npos)
      << e;

  const std::string no_token = dir.path() + "/no-token.weft";
  spit(no_token, "weft-replay-file: 1\ntest: T.x\n");
  e = replay_error(no_token);
  EXPECT_NE(e.find("\": the file has no \"token:\" line"), std::string::npos) << e;
  EXPECT_NE(e.find(no_token), std::string::npos) << e;

  weft::options o;
  const std::string token = weft::explore(o, abba).replay;
  const std::string corrupt = dir.path() + "/corrupt.weft";
  spit(corrupt, "token: " + token.substr(0, token.size() - 3) + "\n");
  e = replay_error(corrupt);
  EXPECT_NE(e.find(corrupt), std::string::npos) << e;
  EXPECT_NE(e.find("malformed replay token"), std::string::npos) << e;

  const std::string bad_prefix = dir.path() + "/bad-prefix.weft";
  spit(bad_prefix, "prefix: maybe\ntoken: " + token + "\n");
  e = replay_error(bad_prefix);
  EXPECT_NE(e.find("\"prefix: maybe\" is not valid"), std::string::npos) << e;

  const std::string two = dir.path() + "/two.weft";
  spit(two, "token: " + token + "\ntoken: " + token + "\n");
  e = replay_error(two);
  EXPECT_NE(e.find("two \"token:\" lines"), std::string::npos) << e;

  // A plain token still works, and a garbled one is still the token codec's error.
  e = replay_error("w1.nonsense");
  EXPECT_NE(e.find("malformed replay token"), std::string::npos) << e;
}

TEST(FailureFiles, signal_safe_encoder_matches_encode_token) {
  // crash_token(token, all) re-encodes a token with the crash handler's encoder: it must give
  // back the token encode_token made, whatever the options recorded in it.
  for (weft::time_policy policy : {weft::time_policy::explored, weft::time_policy::idle_only}) {
    for (std::uint64_t seed : {0, 1, 2}) {
      weft::options o;
      o.test_name = "T.abba";
      o.time_policy = policy;
      o.seed = seed;
      const weft::report r = weft::explore(o, abba);
      ASSERT_FALSE(r.ok());
      EXPECT_EQ(weft::detail::crash_token(r.replay, ~std::size_t{0}), r.replay);
    }
  }
  weft::options o;
  o.max_steps = 123456789;
  const weft::report leaked = weft::explore(o, leak);  // a schedule with few choices
  ASSERT_FALSE(leaked.ok());
  EXPECT_EQ(weft::detail::crash_token(leaked.replay, ~std::size_t{0}), leaked.replay);
  // A cut token is still a valid token.
  weft::options replay;
  replay.replay = weft::detail::crash_token(leaked.replay, 0);
  EXPECT_NO_THROW((void)weft::explore(replay, leak));
}

TEST(FailureFiles, sanitized_names) {
  EXPECT_EQ(weft::detail::sanitize_file_name("Suite.Name/3"), "Suite.Name_3");
  EXPECT_EQ(weft::detail::sanitize_file_name("a b:c"), "a_b_c");
  EXPECT_EQ(weft::detail::sanitize_file_name(".hidden"), "_.hidden");
  EXPECT_EQ(weft::detail::sanitize_file_name(""), "_");
}

// A crash file of a program that no longer crashes: the recorded choices run, then the replay
// continues round-robin instead of reporting a divergence, and says the crash did not happen.
TEST(FailureFiles, crash_prefix_that_no_longer_crashes_continues_deterministically) {
  temp_dir dir;
  weft::options o;
  o.test_name = "T.prefix";
  o.seed = 3;
  o.iterations = 1;
  // A real schedule of the correct program, cut in half: the prefix of a crashed execution. The
  // schedule comes from a twin that fails only after every task is done (same choices).
  const weft::report full = weft::explore(o, [] {
    correct();
    throw std::runtime_error("after the end");
  });
  ASSERT_FALSE(full.ok()) << full.message;
  const std::string cut = weft::detail::crash_token(full.replay, 3);
  ASSERT_NE(cut, weft::detail::crash_token(full.replay, ~std::size_t{0})) << "too few choices";
  const std::string path = dir.path() + "/T.prefix-crash-000000000000.weft";
  spit(path, "weft-replay-file: 1\nkind: crash\nprefix: yes\ntoken: " + cut + "\n");
  weft::options replay;
  {
    scoped_env e("WEFT_REPLAY", path);
    replay = weft::options::from_env();
  }
  ASSERT_TRUE(replay.replay_crash_prefix);
  replay.test_name = "T.prefix";
  const weft::report a = weft::explore(replay, correct);
  EXPECT_TRUE(a.ok()) << a.message;
  EXPECT_NE(a.message.find("the recorded failure did not happen (replayed as a prefix)"),
            std::string::npos)
      << a.message;
  // Deterministic: the same again.
  const weft::report b = weft::explore(replay, correct);
  EXPECT_EQ(a.message, b.message);
  EXPECT_EQ(a.steps, b.steps);
  // A plain replay of the same cut schedule is a divergence instead.
  replay.replay_crash_prefix = false;
  EXPECT_EQ(weft::explore(replay, correct).kind, failure_kind::nondeterminism);
}

// The body of the death tests: a task aborts in a rare interleaving, printing where first.
using weft_test::aborting_body;

TEST(FailureFilesDeathTest, abort_in_a_task_leaves_a_file_whose_replay_aborts_the_same_way) {
  temp_dir first, second;
  weft::options o = opts_in(first, "T.crash");
  o.iterations = 10'000;
  EXPECT_DEATH((void)weft::explore(o, aborting_body), "marker: worker-.* aborts after order");
  const auto files = first.files();
  ASSERT_EQ(files.size(), 1u);
  const std::string name = fs::path(files[0]).filename().string();
  EXPECT_EQ(name.rfind("T.crash-crash-", 0), 0u) << name;
  const std::string text = slurp(files[0]);
  EXPECT_NE(text.find("\nprefix: yes\n"), std::string::npos) << text;
  EXPECT_NE(text.find("SIGABRT (abort) in task \"worker-"), std::string::npos) << text;
  const weft::detail::replay_file f = weft::detail::read_replay_file(files[0]);
  EXPECT_TRUE(f.crash_prefix);

  weft::options replay = opts_in(second, "T.crash");
  replay.replay = f.token;
  replay.replay_crash_prefix = true;
  EXPECT_DEATH((void)weft::explore(replay, aborting_body), "marker: worker-.* aborts after order");
  // The replay crashed with the same schedule: its own crash file holds the same token.
  const auto again = second.files();
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(fs::path(again[0]).filename(), fs::path(files[0]).filename());
  EXPECT_EQ(weft::detail::read_replay_file(again[0]).token, f.token);
}

}  // namespace

namespace {

// A task that dereferences a null pointer after a few scheduling points.
void segfaulting_body() {
  auto mu = std::make_shared<weft::mutex>();
  for (int i = 0; i < 2; ++i) {
    weft::go("faulty-" + std::to_string(i), [mu, i] {
      mu->lock();
      mu->unlock();
      weft::yield();
      if (i == 1) {
        volatile int* nowhere = nullptr;
        *nowhere = 1;
      }
    });
  }
}

TEST(FailureFilesDeathTest, segfault_in_a_task_leaves_a_crash_file) {
  temp_dir dir;
  weft::options o = opts_in(dir, "T.segv");
  EXPECT_DEATH((void)weft::explore(o, segfaulting_body), "replay file: .*T.segv-crash-");
  const auto files = dir.files();
  ASSERT_EQ(files.size(), 1u);
  const std::string text = slurp(files[0]);
  EXPECT_NE(text.find("SIGSEGV (invalid memory access) in task \"faulty-1\""), std::string::npos)
      << text;
  EXPECT_TRUE(weft::detail::read_replay_file(files[0]).crash_prefix);
}

}  // namespace

namespace {

// The deadlock of abba, fixed: both tasks take the locks in the same order.
void abba_fixed() {
  struct locks {
    weft::mutex a, b;
  };
  auto l = std::make_shared<locks>();
  auto wg = std::make_shared<weft::wait_group>();
  wg->add(2);
  for (const char* name : {"ab", "ba"}) {
    weft::go(name, [l, wg] {
      l->a.lock();
      l->b.lock();
      l->b.unlock();
      l->a.unlock();
      wg->done();
    });
  }
  wg->wait();
}

// A regression corpus replayed with WEFT_REPLAY_PREFIX=1: the saved failure still fails on the
// buggy code and passes once it is fixed (a strict replay would call the fix "nondeterminism").
TEST(FailureFiles, corpus_replay_as_prefix_passes_once_the_bug_is_fixed) {
  temp_dir dir;
  const weft::report found = weft::explore(opts_in(dir, "T.corpus"), abba);
  ASSERT_EQ(found.kind, failure_kind::deadlock);
  ASSERT_EQ(dir.files().size(), 1u);
  weft::options replay;
  {
    scoped_env e("WEFT_REPLAY", dir.files()[0]);
    scoped_env p("WEFT_REPLAY_PREFIX", "1");
    replay = weft::options::from_env();
  }
  ASSERT_TRUE(replay.replay_crash_prefix);
  replay.test_name = "T.corpus";
  EXPECT_EQ(weft::explore(replay, abba).kind, failure_kind::deadlock);
  const weft::report fixed = weft::explore(replay, abba_fixed);
  EXPECT_TRUE(fixed.ok()) << fixed.message;
  replay.replay_crash_prefix = false;
  EXPECT_EQ(weft::explore(replay, abba_fixed).kind, failure_kind::nondeterminism);
  {
    scoped_env p("WEFT_REPLAY_PREFIX", "maybe");
    EXPECT_THROW((void)weft::options::from_env(), weft::usage_error);
  }
}

}  // namespace
