#include "projection/text.h"

#include <cstring>

namespace strata::projection {

bool is_valid_utf8(std::span<const std::byte> bytes) {
  const auto* s = reinterpret_cast<const unsigned char*>(bytes.data());
  const std::size_t n = bytes.size();
  std::size_t i = 0;
  while (i < n) {
    // ASCII runs, eight bytes at a time (events are mostly ASCII JSON).
    if (i + 8 <= n) {
      std::uint64_t word;
      std::memcpy(&word, s + i, sizeof(word));
      if ((word & 0x8080808080808080ull) == 0) {
        i += 8;
        continue;
      }
    }
    const unsigned char c = s[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t length;
    std::uint32_t code;
    if ((c & 0xe0) == 0xc0) {
      length = 2;
      code = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      length = 3;
      code = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      length = 4;
      code = c & 0x07;
    } else {
      return false;
    }
    if (i + length > n) return false;
    for (std::size_t k = 1; k < length; ++k) {
      if ((s[i + k] & 0xc0) != 0x80) return false;
      code = (code << 6) | (s[i + k] & 0x3f);
    }
    const std::uint32_t smallest = length == 2 ? 0x80 : length == 3 ? 0x800 : 0x10000;
    if (code < smallest || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return false;
    i += length;
  }
  return true;
}

std::string definition_hash(std::initializer_list<std::string_view> parts) {
  constexpr std::uint64_t kOffsetBasis = 0xcbf29ce484222325ull;
  constexpr std::uint64_t kPrime = 0x100000001b3ull;
  std::uint64_t hash = kOffsetBasis;
  for (const std::string_view part : parts) {
    for (const char c : part) {
      hash ^= static_cast<unsigned char>(c);
      hash *= kPrime;
    }
    hash *= kPrime;  // the zero byte after each part
  }
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex(16, '0');
  for (int i = 15; i >= 0; --i) {
    hex[static_cast<std::size_t>(i)] = kDigits[hash & 0xf];
    hash >>= 4;
  }
  return hex;
}

namespace {

bool is_sql_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

void append_json_string(std::string_view text, std::string& out) {
  static constexpr char kDigits[] = "0123456789abcdef";
  out += '"';
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20) {
      out += "\\u00";
      out += kDigits[u >> 4];
      out += kDigits[u & 0xf];
    } else {
      out += c;
    }
  }
  out += '"';
}

}  // namespace

std::string normalize_sql(std::string_view sql) {
  std::string out;
  out.reserve(sql.size());
  char quote = 0;  // the closing character of the quoted run we are in, or 0
  bool pending_space = false;
  for (const char c : sql) {
    if (quote != 0) {
      out += c;
      if (c == quote) quote = 0;
      continue;
    }
    if (is_sql_space(c)) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out += ' ';
    pending_space = false;
    out += c;
    if (c == '\'' || c == '"' || c == '`') quote = c;
    if (c == '[') quote = ']';
  }
  while (!out.empty() && (out.back() == ';' || out.back() == ' ')) out.pop_back();
  return out;
}

std::string base64(std::span<const std::byte> bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const auto word = (std::to_integer<std::uint32_t>(bytes[i]) << 16) |
                      (std::to_integer<std::uint32_t>(bytes[i + 1]) << 8) | std::to_integer<std::uint32_t>(bytes[i + 2]);
    for (int shift = 18; shift >= 0; shift -= 6) out += kAlphabet[(word >> shift) & 0x3f];
  }
  const std::size_t rest = bytes.size() - i;
  if (rest > 0) {
    std::uint32_t word = std::to_integer<std::uint32_t>(bytes[i]) << 16;
    if (rest == 2) word |= std::to_integer<std::uint32_t>(bytes[i + 1]) << 8;
    out += kAlphabet[(word >> 18) & 0x3f];
    out += kAlphabet[(word >> 12) & 0x3f];
    out += rest == 2 ? kAlphabet[(word >> 6) & 0x3f] : '=';
    out += '=';
  }
  return out;
}

void headers_json(std::span<const EventHeader> headers, std::string& out) {
  out.clear();
  out += '{';
  for (std::size_t i = 0; i < headers.size(); ++i) {
    const EventHeader& header = headers[i];
    // A repeated name: only its last occurrence is written (a JSON object has one value per name).
    bool repeated = false;
    for (std::size_t j = i + 1; j < headers.size() && !repeated; ++j) repeated = headers[j].key == header.key;
    if (repeated) continue;
    if (out.size() > 1) out += ',';
    append_json_string(header.key, out);
    out += ':';
    if (is_valid_utf8(header.value)) {
      append_json_string({reinterpret_cast<const char*>(header.value.data()), header.value.size()}, out);
    } else {
      out += '"' + base64(header.value) + '"';
    }
  }
  out += '}';
}

}  // namespace strata::projection
