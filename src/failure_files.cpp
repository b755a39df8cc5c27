// src/failure_files.cpp — replay files (WEFT_FAILURE_DIR) and the crash handler that writes them.
//
// Two writers share one format (see failure_files.hpp): save_failure, in ordinary code after an
// exploration found a failure, and the signal handler, which may run in the middle of a task
// whose program just corrupted its heap. The handler therefore allocates nothing and calls only
// async-signal-safe functions (open, write, link, unlink, close, mmap, munmap, sigaction, raise,
// getpid): everything that needs formatting with allocation is prepared when the guard is
// installed, and the token is encoded by encode_token_raw, a copy of schedule.cpp's encoder that
// works in caller-provided memory (a test checks that both produce the same token).
#include "failure_files.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <sstream>
#include <system_error>

#include "engine.hpp"
#include "schedule.hpp"
#include "weft/explore.hpp"

// A sanitizer runtime, when one is linked in, calls this back before it ends the process (an
// ASan report, a UBSan error with -fno-sanitize-recover). Weak: null without a sanitizer.
extern "C" void __sanitizer_set_death_callback(void (*callback)(void)) __attribute__((weak));

namespace weft::detail {
namespace {

// The version written into replay files. Keep in step with project(VERSION) in CMakeLists.txt.
constexpr const char* weft_version = "0.1.0";

constexpr int crash_signals[] = {SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL};

std::uint64_t fnv64(const char* data, std::size_t size) noexcept {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (std::size_t i = 0; i < size; ++i) {
    h = (h ^ static_cast<unsigned char>(data[i])) * 0x100000001b3ULL;
  }
  return h;
}

// 12 lower-case hex digits (48 bits) of a token's hash: the part of a file name that tells
// failures apart. No terminator.
void hex12(std::uint64_t h, char* out) noexcept {
  static constexpr char digits[] = "0123456789abcdef";
  for (int i = 11; i >= 0; --i) {
    out[i] = digits[h & 0xF];
    h >>= 4;
  }
}

std::string options_line(const options& o) {
  std::ostringstream s;
  s << "strategy=" << to_string(o.strategy) << " seed=" << o.seed << " iterations=" << o.iterations
    << " time_budget=" << o.time_budget.count() << "ms max_steps=" << o.max_steps
    << " pct_depth=" << o.pct_depth << " preemption_bound=" << o.preemption_bound
    << " unfair_steps=" << o.unfair_steps << " jobs=" << o.jobs << " shard=" << o.shard_index << "/"
    << o.total_shards << " time_policy=" << to_string(o.time_policy)
    << " max_live_tasks=" << o.max_live_tasks << " race_detection=" << (o.detect_races ? 1 : 0);
  return s.str();
}

std::string test_or_default(const options& o) {
  return o.test_name.empty() ? std::string("explore") : o.test_name;
}

// The lines every replay file starts with, up to (not including) "replay:".
std::string file_header(const options& o, std::string_view kind, bool crash_prefix) {
  std::string h =
      "# weft replay file: replay it with  WEFT_REPLAY=<this file> <the test command>\n";
  h += "weft-replay-file: 1\n";
  h += "weft: " + std::string(weft_version) + "\n";
  h += "test: " + test_or_default(o) + "\n";
  h += "kind: " + std::string(kind) + "\n";
  h += crash_prefix ? "prefix: yes\n" : "prefix: no\n";
  h += "options: " + options_line(o) + "\n";
  return h;
}

// What follows "WEFT_REPLAY=<file> " on the replay line.
std::string command_tail(const options& o) {
  std::string c = current_command();
  if (!o.replay_args.empty()) c += " " + o.replay_args;
  return c;
}

std::string absolute_dir(const std::string& dir) {
  if (!dir.empty() && dir.front() == '/') return dir;
  char cwd[4096];
  if (::getcwd(cwd, sizeof cwd) == nullptr) return dir;
  return std::string(cwd) + "/" + dir;
}

// ".tmp.<host>.<pid>.<n>": a temporary name no other writer uses, even on a directory that
// several machines share (pods of one Job often all have pid 1).
std::string unique_tmp_suffix() {
  static std::atomic<std::uint64_t> counter{0};
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  std::string h;
  for (const char* c = host; *c != '\0'; ++c) {
    h += std::isalnum(static_cast<unsigned char>(*c)) || *c == '-' || *c == '.' ? *c : '_';
  }
  return ".tmp." + h + "." + std::to_string(::getpid()) + "." + std::to_string(counter++);
}

// mkdir -p; true if the directory exists afterwards.
bool make_dirs(const std::string& dir) {
  std::string path;
  std::size_t start = 0;
  while (start <= dir.size()) {
    std::size_t slash = dir.find('/', start);
    if (slash == std::string::npos) slash = dir.size();
    path = dir.substr(0, slash);
    if (!path.empty()) ::mkdir(path.c_str(), 0777);  // EEXIST and the like: checked below
    start = slash + 1;
  }
  struct stat st {};
  return ::stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// The value of a "key: value" line of a replay file, or nullopt-like "" with found = false.
bool line_value(const std::string& line, std::string_view key, std::string& value) {
  if (line.size() < key.size() + 1 || line.compare(0, key.size(), key) != 0 ||
      line[key.size()] != ':') {
    return false;
  }
  std::size_t b = key.size() + 1;
  while (b < line.size() && (line[b] == ' ' || line[b] == '\t')) ++b;
  std::size_t e = line.size();
  while (e > b && (line[e - 1] == ' ' || line[e - 1] == '\t' || line[e - 1] == '\r')) --e;
  value = line.substr(b, e - b);
  return true;
}

// The token line of an existing file ("" if it has none or cannot be read).
std::string token_of_file(const std::string& path) {
  std::ifstream in(path);
  std::string line, v;
  while (std::getline(in, line)) {
    if (line_value(line, "token", v)) return v;
  }
  return "";
}

// ---- async-signal-safe output ------------------------------------------------------------

// A small buffered writer over a file descriptor; no allocation.
class sink {
 public:
  explicit sink(int fd) noexcept : fd_(fd) {}
  ~sink() { flush(); }
  void put(const char* s, std::size_t n) noexcept {
    while (n > 0) {
      if (used_ == buf_.size()) flush();
      const std::size_t k = std::min(n, buf_.size() - used_);
      std::memcpy(buf_.data() + used_, s, k);
      used_ += k;
      s += k;
      n -= k;
    }
  }
  void put(const char* s) noexcept { put(s, std::strlen(s)); }
  void put(const std::string& s) noexcept { put(s.data(), s.size()); }
  void put_u64(std::uint64_t v) noexcept {
    char digits[20];
    int n = 0;
    do {
      digits[n++] = static_cast<char>('0' + v % 10);
      v /= 10;
    } while (v != 0);
    while (n > 0) put(&digits[--n], 1);
  }
  void flush() noexcept {
    std::size_t done = 0;
    while (done < used_) {
      const ssize_t w = ::write(fd_, buf_.data() + done, used_ - done);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) {
        ok_ = false;
        break;
      }
      done += static_cast<std::size_t>(w);
    }
    used_ = 0;
  }
  bool ok() const noexcept { return ok_; }

 private:
  int fd_;
  std::array<char, 2048> buf_{};
  std::size_t used_ = 0;
  bool ok_ = true;
};

// Copies a NUL-terminated string into a fixed buffer; returns the new end (no allocation).
char* append(char* at, const char* end, const char* s, std::size_t n) noexcept {
  const std::size_t k = std::min<std::size_t>(n, static_cast<std::size_t>(end - at));
  std::memcpy(at, s, k);
  return at + k;
}

const char* signal_label(int sig) noexcept {
  switch (sig) {
    case SIGABRT:
      return "SIGABRT (abort)";
    case SIGSEGV:
      return "SIGSEGV (invalid memory access)";
    case SIGBUS:
      return "SIGBUS (bus error)";
    case SIGFPE:
      return "SIGFPE (arithmetic error)";
    case SIGILL:
      return "SIGILL (illegal instruction)";
    case 0:
      return "a sanitizer error (the sanitizer ended the process)";
  }
  return "a fatal signal";
}

}  // namespace

// ---- the crash guard ----------------------------------------------------------------------

// Everything the handler needs, prepared while allocation is still safe.
struct crash_guard::context {
  std::string dir;                  // absolute
  std::string stem;                 // sanitized test name
  std::string header;               // file_header(kind "crash", prefix yes)
  std::string tail;                 // command_tail
  recorded_schedule header_fields;  // the token's fields other than choices (test_hash set)
  std::string tmp_suffix;           // unique_tmp_suffix(), made in advance
  bool writing = false;  // the handler is running on this thread (a second fault: give up)
  bool own_altstack = false;
  void* altstack = nullptr;
  std::size_t altstack_size = 0;
};

namespace {

constinit thread_local crash_guard::context* tls_crash = nullptr;

std::mutex install_mutex;
int install_count = 0;                    // guards alive, guarded by install_mutex
struct sigaction previous_actions[NSIG];  // what was installed before ours, per signal

// Writes the crash file of the execution running on this thread. Async-signal-safe.
void write_crash_file(int sig) noexcept {
  crash_guard::context* ctx = tls_crash;
  scope* s = current_scope();
  if (ctx == nullptr || s == nullptr || ctx->writing) return;
  ctx->writing = true;
  const std::span<const choice> choices = s->choices();
  const options& o = s->opts();
  const std::size_t capacity = token_raw_capacity(choices.size());
  void* mem = ::mmap(nullptr, capacity, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) return;
  char* token = static_cast<char*>(mem);
  // The header fields, as explore.cpp's record_of fills them. `header` was built when the
  // guard was installed; only what the execution changed is filled in here (no allocation: its
  // choices vector stays empty).
  recorded_schedule& header = ctx->header_fields;
  header.steps = s->steps();
  header.time_policy = o.time_policy;
  header.max_steps = o.max_steps;
  header.max_live_tasks = o.max_live_tasks;
  header.progress_steps = o.progress_steps;
  const std::size_t token_size =
      encode_token_raw(header, choices.data(), choices.size(), token, capacity);
  if (token_size != 0) {
    // "<dir>/<stem>-crash-<hash>.weft" and a temporary name beside it.
    char path[4096];
    char* p = path;
    char* const end = path + sizeof path - 64;
    p = append(p, end, ctx->dir.data(), ctx->dir.size());
    p = append(p, end, "/", 1);
    p = append(p, end, ctx->stem.data(), ctx->stem.size());
    p = append(p, end, "-crash-", 7);
    hex12(fnv64(token, token_size), p);
    p += 12;
    p = append(p, path + sizeof path - 1, ".weft", 5);
    *p = '\0';
    char tmp[sizeof path + 128];
    std::memcpy(tmp, path, static_cast<std::size_t>(p - path));
    char* t = tmp + (p - path);
    t = append(t, tmp + sizeof tmp - 1, ctx->tmp_suffix.data(), ctx->tmp_suffix.size());
    *t = '\0';
    const int fd = ::open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd >= 0) {
      bool ok = false;
      {
        sink out(fd);
        out.put(ctx->header);
        out.put("replay: WEFT_REPLAY=");
        out.put(path);
        out.put(" ");
        out.put(ctx->tail);
        out.put("\ntoken: ");
        out.put(token, token_size);
        out.put("\nreport:\n  weft: crash — ");
        out.put(signal_label(sig));
        if (const task* running = s->running()) {
          out.put(" in task \"");
          if (running->name.empty()) {
            out.put("task-");
            out.put_u64(running->id);
          } else {
            out.put(running->name);
          }
          out.put("\"");
        }
        out.put(" after step ");
        out.put_u64(s->steps());
        out.put("\n");
        if (const task* running = s->running()) {
          const char* file = running->op_site.file_name();
          if (file != nullptr && *file != '\0') {
            out.put("  the task's last scheduling point: ");
            out.put(file);
            out.put(":");
            out.put_u64(running->op_site.line());
            out.put(" (");
            out.put(op_name(running->op));
            out.put(")\n");
          }
        }
        out.put("  the token holds the schedule up to the crash (");
        out.put_u64(choices.size());
        out.put(
            " choices); replaying it reaches the crash again, and if the program no longer\n"
            "  crashes there the replay continues round-robin and reports what happens\n");
        out.flush();
        ok = out.ok();
      }
      ::close(fd);
      // link() refuses to replace an existing file: the same crash already saved stays as is.
      if (ok && ::link(tmp, path) == 0) {
        static const char note[] = "weft: crashed inside an execution; replay file: ";
        (void)!::write(STDERR_FILENO, note, sizeof note - 1);
        (void)!::write(STDERR_FILENO, path, static_cast<std::size_t>(p - path));
        (void)!::write(STDERR_FILENO, "\n", 1);
      }
      ::unlink(tmp);
    }
  }
  ::munmap(mem, capacity);
}

void crash_handler(int sig, siginfo_t* info, void* uctx) {
  const int saved_errno = errno;
  write_crash_file(sig);
  // Hand the signal on: restore what was there before and let it act. A raised signal (abort)
  // is blocked while we run and is delivered again on return; a fault re-executes and faults.
  const struct sigaction& prev = previous_actions[sig];
  ::sigaction(sig, &prev, nullptr);
  errno = saved_errno;
  if ((prev.sa_flags & SA_SIGINFO) != 0 && prev.sa_sigaction != nullptr) {
    prev.sa_sigaction(sig, info, uctx);
    return;
  }
  if (prev.sa_handler != SIG_DFL && prev.sa_handler != SIG_IGN && prev.sa_handler != nullptr) {
    prev.sa_handler(sig);
    return;
  }
  if (info == nullptr || info->si_code <= 0) ::raise(sig);  // sent, not a fault: send again
}

void sanitizer_death() { write_crash_file(0); }

}  // namespace

crash_guard::crash_guard(const options& opts) {
  if (opts.failure_dir.empty()) return;
  auto* ctx = new context;
  ctx->dir = absolute_dir(opts.failure_dir);
  if (!make_dirs(ctx->dir)) {
    std::fprintf(stderr,
                 "weft: WEFT_FAILURE_DIR=%s: cannot create the directory; no replay files\n",
                 opts.failure_dir.c_str());
    delete ctx;
    return;
  }
  ctx->stem = sanitize_file_name(test_or_default(opts));
  ctx->header = file_header(opts, "crash", true);
  ctx->tail = command_tail(opts);
  ctx->header_fields.test_hash = test_name_hash(opts.test_name);
  ctx->tmp_suffix = unique_tmp_suffix();

  // A signal stack of its own for this thread, so that a task overflowing its stack into the
  // guard page still gets its file (unless one is installed already, e.g. by a sanitizer).
  stack_t current{};
  if (::sigaltstack(nullptr, &current) == 0 && (current.ss_flags & SS_DISABLE) != 0) {
    const std::size_t size = 64 * 1024;
    void* mem = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem != MAP_FAILED) {
      stack_t st{};
      st.ss_sp = mem;
      st.ss_size = size;
      if (::sigaltstack(&st, nullptr) == 0) {
        ctx->own_altstack = true;
        ctx->altstack = mem;
        ctx->altstack_size = size;
      } else {
        ::munmap(mem, size);
      }
    }
  }
  {
    std::lock_guard lock(install_mutex);
    if (install_count++ == 0) {
      for (int sig : crash_signals) {
        struct sigaction sa {};
        sa.sa_sigaction = crash_handler;
        sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
        sigemptyset(&sa.sa_mask);
        ::sigaction(sig, &sa, &previous_actions[sig]);
      }
      static bool death_callback_set = false;
      if (!death_callback_set && __sanitizer_set_death_callback != nullptr) {
        __sanitizer_set_death_callback(sanitizer_death);
        death_callback_set = true;
      }
    }
  }
  previous_ = tls_crash;
  tls_crash = ctx;
  context_ = ctx;
}

crash_guard::~crash_guard() {
  if (context_ == nullptr) return;
  tls_crash = previous_;
  {
    std::lock_guard lock(install_mutex);
    if (--install_count == 0) {
      for (int sig : crash_signals) ::sigaction(sig, &previous_actions[sig], nullptr);
    }
  }
  if (context_->own_altstack) {
    stack_t st{};
    st.ss_flags = SS_DISABLE;
    ::sigaltstack(&st, nullptr);
    ::munmap(context_->altstack, context_->altstack_size);
  }
  delete context_;
}

// ---- ordinary failures ----------------------------------------------------------------------

std::string sanitize_file_name(const std::string& name) {
  std::string out;
  for (char c : name) {
    const bool keep =
        std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
    out += keep ? c : '_';
  }
  if (out.empty() || out.front() == '.') out.insert(out.begin(), '_');
  if (out.size() > 100) out.resize(100);
  return out;
}

std::string save_failure(const options& opts, const report& r) {
  if (opts.failure_dir.empty() || r.ok() || r.replay.empty()) return "";
  const std::string dir = absolute_dir(opts.failure_dir);
  if (!make_dirs(dir)) {
    std::fprintf(stderr,
                 "weft: WEFT_FAILURE_DIR=%s: cannot create the directory; the replay file "
                 "was not written\n",
                 opts.failure_dir.c_str());
    return "";
  }
  char hash[12];
  hex12(fnv64(r.replay.data(), r.replay.size()), hash);
  const std::string base = dir + "/" + sanitize_file_name(test_or_default(opts)) + "-" +
                           std::string(to_string(r.kind)) + "-" + std::string(hash, 12);
  const std::string tmp = base + unique_tmp_suffix();
  // Two failures whose tokens share the 48-bit hash get "-2", "-3", ...; the same failure
  // (the same token) is found under one of those names and not written again.
  for (int attempt = 1; attempt <= 100; ++attempt) {
    std::string path = base;  // appended: g++ 12 -O3 warns falsely on "-" + string (PR 105651)
    if (attempt != 1) path.append("-").append(std::to_string(attempt));
    path.append(".weft");
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0) {
      if (token_of_file(path) == r.replay) return "";
      continue;
    }
    {
      std::ofstream out(tmp, std::ios::trunc);
      out << file_header(opts, to_string(r.kind), false);
      out << "replay: WEFT_REPLAY=" << path << " " << command_tail(opts) << "\n";
      out << "token: " << r.replay << "\n";
      out << "report:\n";
      std::istringstream lines(r.message);
      std::string line;
      while (std::getline(lines, line)) out << "  " << line << "\n";
      out.flush();
      if (!out) {
        std::fprintf(stderr, "weft: cannot write %s: %s\n", tmp.c_str(), std::strerror(errno));
        ::unlink(tmp.c_str());
        return "";
      }
    }
    const int linked = ::link(tmp.c_str(), path.c_str());
    const int err = errno;
    ::unlink(tmp.c_str());
    if (linked == 0) return path;
    if (err != EEXIST) {
      std::fprintf(stderr, "weft: cannot create %s: %s\n", path.c_str(), std::strerror(err));
      return "";
    }
    // Another process wrote this name meanwhile: look at it again.
    if (token_of_file(path) == r.replay) return "";
  }
  return "";
}

// ---- reading --------------------------------------------------------------------------------

replay_file read_replay_file(const std::string& path) {
  const std::string accepted =
      "expected a replay token (\"w1....\") or the path of a replay file written by "
      "WEFT_FAILURE_DIR (with a \"token: w1....\" line)";
  std::ifstream in(path);
  if (!in) {
    throw usage_error("weft: WEFT_REPLAY=\"" + path + "\": cannot read the replay file (" +
                      std::strerror(errno) + "); " + accepted);
  }
  replay_file f;
  std::string line, value;
  bool has_token_line = false;
  // Without a "token:" line: a file holding just a token, or a saved report whose replay line
  // names one ("WEFT_REPLAY=w1...."). More than one distinct token is ambiguous.
  std::vector<std::string> found;
  auto candidate = [&found](std::string t) {
    if (std::find(found.begin(), found.end(), t) == found.end()) found.push_back(std::move(t));
  };
  while (std::getline(in, line)) {
    if (line_value(line, "token", value)) {
      if (has_token_line) {
        throw usage_error("weft: WEFT_REPLAY=\"" + path +
                          "\": the replay file has two \"token:\" lines; " + accepted);
      }
      has_token_line = true;
      f.token = value;
    } else if (line_value(line, "prefix", value)) {
      if (value == "yes") {
        f.crash_prefix = true;
      } else if (value != "no") {
        throw usage_error("weft: WEFT_REPLAY=\"" + path + "\": \"prefix: " + value +
                          "\" is not valid in a replay file: expected \"prefix: yes\" or "
                          "\"prefix: no\"");
      }
    } else {
      std::size_t b = 0;
      while (b < line.size() && std::isspace(static_cast<unsigned char>(line[b]))) ++b;
      std::size_t e = line.size();
      while (e > b && std::isspace(static_cast<unsigned char>(line[e - 1]))) --e;
      const std::string trimmed = line.substr(b, e - b);
      if (trimmed.rfind("w1.", 0) == 0 && trimmed.find(' ') == std::string::npos) {
        candidate(trimmed);
      }
      for (std::size_t at = line.find("WEFT_REPLAY=w1."); at != std::string::npos;
           at = line.find("WEFT_REPLAY=w1.", at + 1)) {
        const std::size_t start = at + 12;
        const std::size_t end = line.find_first_of(" \t\r'\"", start);
        candidate(line.substr(start, end == std::string::npos ? std::string::npos : end - start));
      }
    }
  }
  if (!has_token_line) {
    if (found.size() != 1) {
      throw usage_error("weft: WEFT_REPLAY=\"" + path + "\": the file has no \"token:\" line" +
                        (found.empty() ? std::string() : " and holds several tokens") + "; " +
                        accepted);
    }
    f.token = found.front();
  }
  try {
    decode_token(f.token);
  } catch (const usage_error& e) {
    throw usage_error("weft: WEFT_REPLAY=\"" + path + "\": " + e.what());
  }
  return f;
}

// ---- replaying a crash prefix ---------------------------------------------------------------

namespace {

/// Follows the recorded choices while the program offers what was recorded, then picks
/// round-robin (the candidate after the task that reached the point, in id order) and the first
/// value of every data choice: deterministic and fair, so the rest of the run terminates
/// whenever the program terminates under fair scheduling.
class prefix_strategy final : public strategy {
 public:
  explicit prefix_strategy(std::vector<choice> choices) : choices_(std::move(choices)) {}
  bool begin_execution(std::uint64_t) override {
    position_ = 0;
    following_ = true;
    return true;
  }
  std::size_t pick(const decision_point& d) override {
    if (following_ && position_ < choices_.size()) {
      const choice& c = choices_[position_];
      if (c.n == d.candidates.size() && c.check == decision_check(d, c.index)) {
        ++position_;
        return c.index;
      }
      diverge(d.step);
    }
    following_ = false;
    for (std::size_t i = 0; i < d.candidates.size(); ++i) {
      if (d.candidates[i].task > d.running) return i;
    }
    return 0;
  }
  std::uint64_t choose(std::uint64_t n) override {
    if (following_ && position_ < choices_.size()) {
      const choice& c = choices_[position_];
      if (c.n == n && c.check == choose_check(n)) {
        ++position_;
        return c.index;
      }
      diverge(~std::uint64_t{0});
    }
    following_ = false;
    return 0;
  }
  const char* name() const override { return "replay (crash prefix)"; }

  std::size_t position() const noexcept { return position_; }
  const std::string& divergence() const noexcept { return divergence_; }

 private:
  void diverge(std::uint64_t step) {
    if (!divergence_.empty()) return;
    divergence_ =
        "at choice " + std::to_string(position_ + 1) +
        (step == ~std::uint64_t{0} ? std::string() : " (step " + std::to_string(step) + ")") +
        " the program offered something else than the recorded schedule";
  }

  std::vector<choice> choices_;
  std::size_t position_ = 0;
  bool following_ = true;
  std::string divergence_;
};

}  // namespace

report replay_crash_prefix(const options& opts_in, const std::function<void()>& body) {
  options opts = opts_in;
  const recorded_schedule rec =
      load_replay(opts, "the replay file (WEFT_REPLAY)", "its \"test:\" line");
  crash_guard crash_files(opts);
  prefix_strategy strat(rec.choices);
  scope engine(opts, strat);
  report r = run_single_execution(engine, strat, body, opts);
  std::string how = strat.divergence().empty()
                        ? "after the " + std::to_string(strat.position()) +
                              " recorded choices the run continued round-robin"
                        : strat.divergence() + "; from there the run continued round-robin";
  const failure_record& f = engine.failure();
  if (f.kind == failure_kind::none) {
    r.message = "weft: the recorded failure did not happen (replayed as a prefix): " + how +
                " and ended without a failure (" + std::to_string(engine.steps()) +
                " scheduling points)\n";
    return r;
  }
  r.kind = f.kind;
  recorded_schedule now = rec;  // the recorded test and options, unchanged
  now.choices.assign(engine.choices().begin(), engine.choices().end());
  now.steps = engine.steps();
  now.minimal = false;
  r.replay = encode_token(now);
  r.message = "weft: " + std::string(to_string(f.kind)) + " — " + f.headline + "\n" + f.evidence +
              engine.describe_schedule_tail() + "  (replayed as a prefix: " + how +
              ")\n  replay: WEFT_REPLAY=" + r.replay + " " + current_command() +
              (opts.replay_args.empty() ? "" : " " + opts.replay_args) + "\n";
  return r;
}

// ---- the token encoder for the handler ------------------------------------------------------

std::size_t token_raw_capacity(std::size_t count) noexcept {
  const std::size_t max_bin = 2 + 4 + 4 * 10 + 10 + count * (5 + 5 + 1) + 4;
  return max_bin + 3 + (max_bin * 4 + 2) / 3;
}

std::size_t encode_token_raw(const recorded_schedule& header, const choice* choices,
                             std::size_t count, char* out, std::size_t capacity) noexcept {
  // Same layout as encode_token (schedule.cpp). The binary payload is built in the back part of
  // `out`, the text in the front part: token_raw_capacity(count) bytes hold both.
  const std::size_t max_bin = 2 + 4 + 4 * 10 + 10 + count * (5 + 5 + 1) + 4;
  if (capacity < token_raw_capacity(count)) return 0;
  std::uint8_t* bin = reinterpret_cast<std::uint8_t*>(out + capacity - max_bin);
  std::size_t n = 0;
  auto put = [&](std::uint8_t b) { bin[n++] = b; };
  auto varint = [&](std::uint64_t v) {
    while (v >= 0x80) {
      put(static_cast<std::uint8_t>((v & 0x7F) | 0x80));
      v >>= 7;
    }
    put(static_cast<std::uint8_t>(v));
  };
  auto u32 = [&](std::uint32_t v) {
    for (int i = 0; i < 4; ++i) put(static_cast<std::uint8_t>((v >> (8 * i)) & 0xFF));
  };
  put(1);
  put((header.time_policy == weft::time_policy::idle_only ? 1 : 0) | 2 | (header.minimal ? 4 : 0));
  u32(header.test_hash);
  varint(header.max_steps);
  varint(header.max_live_tasks);
  varint(header.progress_steps);
  varint(header.steps);
  varint(count);
  for (std::size_t i = 0; i < count; ++i) {
    varint(choices[i].n);
    varint(choices[i].index);
    put(choices[i].check);
  }
  std::uint32_t c = 0xFFFFFFFFu;
  for (std::size_t i = 0; i < n; ++i) {
    c ^= bin[i];
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
  }
  u32(c ^ 0xFFFFFFFFu);

  static constexpr char alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::size_t o = 0;
  out[o++] = 'w';
  out[o++] = '1';
  out[o++] = '.';
  std::uint32_t acc = 0;
  int bits = 0;
  for (std::size_t i = 0; i < n; ++i) {
    acc = (acc << 8) | bin[i];
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out[o++] = alphabet[(acc >> bits) & 0x3F];
    }
  }
  if (bits > 0) out[o++] = alphabet[(acc << (6 - bits)) & 0x3F];
  return o;
}

std::string crash_token(const std::string& token, std::size_t keep) {
  const recorded_schedule rec = decode_token(token);
  const std::size_t count = std::min(keep, rec.choices.size());
  std::string out(token_raw_capacity(count), '\0');
  out.resize(encode_token_raw(rec, rec.choices.data(), count, out.data(), out.size()));
  return out;
}

}  // namespace weft::detail
