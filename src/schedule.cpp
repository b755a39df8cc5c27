// src/schedule.cpp — replay token codec.
//
// Layout of the payload (all integers LEB128 varints unless noted):
//   u8 version (1) | u8 flags (bit 0: idle_only, bit 1: progress_steps follows, bit 2: the
//   schedule's preemption count is the minimum, see src/shrink.cpp) | u32le test
//   hash | max_steps | max_live_tasks | [progress_steps] | steps | choice count | per choice: n,
//   index, u8 check | u32le CRC-32 of everything before.
// Tokens without bit 1 were recorded before livelock detection existed: they replay with it off.
// The text form is "w1." followed by the payload in unpadded base64url, so it survives shells,
// URLs and CI logs without quoting.
#include "schedule.hpp"

#include <array>
#include <string>

namespace weft::detail {
namespace {

constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr std::uint8_t payload_version = 1;

std::uint32_t crc32(const std::uint8_t* data, std::size_t size) noexcept {
  static const std::array<std::uint32_t, 256> table = [] {
    std::array<std::uint32_t, 256> t{};
    for (std::uint32_t i = 0; i < 256; ++i) {
      std::uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  std::uint32_t c = 0xFFFFFFFFu;
  for (std::size_t i = 0; i < size; ++i) c = table[(c ^ data[i]) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

void put_varint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

void put_u32(std::string& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

[[noreturn]] void bad_token(const std::string& why) {
  throw usage_error("weft: malformed replay token (WEFT_REPLAY / options::replay): " + why +
                    ". Copy the whole token from the report's replay line; it starts with \"w1.\"");
}

class reader {
 public:
  reader(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  std::uint8_t byte() {
    if (pos_ >= size_) bad_token("it is truncated");
    return data_[pos_++];
  }
  std::uint32_t u32() {
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v |= static_cast<std::uint32_t>(byte()) << (8 * i);
    return v;
  }
  std::uint64_t varint() {
    std::uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      std::uint8_t b = byte();
      v |= static_cast<std::uint64_t>(b & 0x7F) << shift;
      if ((b & 0x80) == 0) return v;
    }
    bad_token("it holds an over-long number");
  }
  bool at_end() const { return pos_ == size_; }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
};

}  // namespace

std::uint32_t test_name_hash(std::string_view name) noexcept {
  if (name.empty()) return 0;
  std::uint32_t h = 2166136261u;
  for (char c : name) {
    h ^= static_cast<std::uint8_t>(c);
    h *= 16777619u;
  }
  return h == 0 ? 1 : h;
}

recorded_schedule load_replay(options& opts, std::string_view source, std::string_view remedy) {
  recorded_schedule rec = decode_token(opts.replay);
  const std::uint32_t expected = test_name_hash(opts.test_name);
  if (rec.test_hash != 0 && expected != 0 && rec.test_hash != expected) {
    throw usage_error("weft: " + std::string(source) + " was recorded by another test, not by \"" +
                      opts.test_name + "\"; run it with the test named in " + std::string(remedy));
  }
  apply_recorded(opts, rec);
  return rec;
}

std::string encode_token(const recorded_schedule& s) {
  std::string bin;
  bin.reserve(32 + s.choices.size() * 3);
  bin.push_back(static_cast<char>(payload_version));
  bin.push_back(static_cast<char>((s.time_policy == weft::time_policy::idle_only ? 1 : 0) | 2 |
                                  (s.minimal ? 4 : 0)));
  put_u32(bin, s.test_hash);
  put_varint(bin, s.max_steps);
  put_varint(bin, s.max_live_tasks);
  put_varint(bin, s.progress_steps);
  put_varint(bin, s.steps);
  put_varint(bin, s.choices.size());
  for (const choice& c : s.choices) {
    put_varint(bin, c.n);
    put_varint(bin, c.index);
    bin.push_back(static_cast<char>(c.check));
  }
  put_u32(bin, crc32(reinterpret_cast<const std::uint8_t*>(bin.data()), bin.size()));

  std::string out(token_prefix);
  out.reserve(token_prefix.size() + (bin.size() * 4 + 2) / 3);
  std::uint32_t acc = 0;
  int bits = 0;
  for (char ch : bin) {
    acc = (acc << 8) | static_cast<std::uint8_t>(ch);
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(alphabet[(acc >> bits) & 0x3F]);
    }
  }
  if (bits > 0) out.push_back(alphabet[(acc << (6 - bits)) & 0x3F]);
  return out;
}

recorded_schedule decode_token(std::string_view token) {
  // Tolerate what copy-paste adds around a token.
  while (!token.empty() && (token.front() == ' ' || token.front() == '\'' || token.front() == '"'))
    token.remove_prefix(1);
  while (!token.empty() && (token.back() == ' ' || token.back() == '\n' || token.back() == '\r' ||
                            token.back() == '\'' || token.back() == '"'))
    token.remove_suffix(1);
  if (token.size() >= 2 && token[0] == 'w' && token.find('.') != std::string_view::npos &&
      token.substr(0, token_prefix.size()) != token_prefix) {
    bad_token("version \"" + std::string(token.substr(0, token.find('.'))) +
              "\" is not supported by this weft (it reads \"w1\" tokens)");
  }
  if (token.substr(0, token_prefix.size()) != token_prefix) {
    // Built with append: g++ 12 -O3 warns falsely (-Wrestrict, PR 105651) on "lit" + string.
    std::string what = "\"";
    what.append(token.substr(0, 16));
    if (token.size() > 16) what.append("...");
    what.append("\" does not start with \"w1.\"");
    bad_token(what);
  }
  token.remove_prefix(token_prefix.size());
  std::string bin;
  bin.reserve(token.size() * 3 / 4 + 1);
  std::uint32_t acc = 0;
  int bits = 0;
  for (std::size_t i = 0; i < token.size(); ++i) {
    char c = token[i];
    int v = -1;
    if (c >= 'A' && c <= 'Z') v = c - 'A';
    if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
    if (c >= '0' && c <= '9') v = c - '0' + 52;
    if (c == '-') v = 62;
    if (c == '_') v = 63;
    if (v < 0) {
      bad_token("character '" + std::string(1, c) + "' at position " +
                std::to_string(i + token_prefix.size()) +
                " is not allowed (tokens use A-Z a-z 0-9 - _)");
    }
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bin.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  // Canonical unpadded base64: the bits left over must be zero padding of fewer than 6 bits.
  if (bits >= 6 || (acc & ((1u << bits) - 1)) != 0) {
    bad_token("its length or last character is wrong (truncated, or characters were added)");
  }
  if (bin.size() < 4 + 6) bad_token("it is truncated");
  const auto* data = reinterpret_cast<const std::uint8_t*>(bin.data());
  const std::size_t body = bin.size() - 4;
  std::uint32_t stored = 0;
  for (int i = 0; i < 4; ++i) stored |= static_cast<std::uint32_t>(data[body + i]) << (8 * i);
  if (stored != crc32(data, body)) bad_token("its checksum does not match (truncated or altered)");

  reader r(data, body);
  recorded_schedule s;
  std::uint8_t version = r.byte();
  if (version != payload_version) {
    bad_token("payload version " + std::to_string(version) + " is not supported");
  }
  std::uint8_t flags = r.byte();
  if (flags > 7) bad_token("unknown flags");
  s.minimal = (flags & 4) != 0;
  s.time_policy = (flags & 1) ? weft::time_policy::idle_only : weft::time_policy::explored;
  s.test_hash = r.u32();
  s.max_steps = r.varint();
  s.max_live_tasks = r.varint();
  s.progress_steps = (flags & 2) ? r.varint() : 0;
  s.steps = r.varint();
  std::uint64_t count = r.varint();
  if (count > body) bad_token("it claims more choices than it holds");
  s.choices.reserve(count);
  for (std::uint64_t i = 0; i < count; ++i) {
    choice c{};
    std::uint64_t n = r.varint();
    std::uint64_t index = r.varint();
    if (n < 2 || index >= n || n > 0xFFFFFFFFu)
      bad_token("choice " + std::to_string(i) + " is invalid");
    c.n = static_cast<std::uint32_t>(n);
    c.index = static_cast<std::uint32_t>(index);
    c.check = r.byte();
    s.choices.push_back(c);
  }
  if (!r.at_end()) bad_token("it has trailing bytes");
  return s;
}

}  // namespace weft::detail
