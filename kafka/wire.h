// The Kafka wire protocol's primitive types (big-endian integers, int16-length strings, int32-length bytes
// and arrays, zig-zag varints are not needed by non-flexible versions): a bounds-checked decoder that turns
// any overrun into a sticky error, and an encoder that appends to a buffer. Nothing here knows an API.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace strata::kafka {

// Reads from a request body. Every read checks the remaining bytes; after the first overrun or bad length
// every read returns zeros/empty and ok() is false, so a handler can decode straight through and check once.
class Decoder {
 public:
  explicit Decoder(std::span<const std::byte> bytes) : bytes_(bytes) {}

  bool ok() const { return ok_; }
  std::size_t remaining() const { return bytes_.size() - at_; }

  std::int8_t i8() { return read<std::int8_t>(); }
  std::int16_t i16() { return read<std::int16_t>(); }
  std::int32_t i32() { return read<std::int32_t>(); }
  std::int64_t i64() { return read<std::int64_t>(); }
  bool boolean() { return i8() != 0; }
  // int16 length, -1 for null (null reads as empty; *is_null says which).
  std::string_view string(bool* is_null = nullptr);
  // int32 length, -1 for null.
  std::span<const std::byte> bytes(bool* is_null = nullptr);
  // An array's int32 count, checked against the bytes left (each element takes at least `element_bytes_min`);
  // -1 (null) reads as 0.
  std::int32_t array_count(std::size_t element_bytes_min, bool* is_null = nullptr);
  void fail() { ok_ = false; }

 private:
  template <typename T>
  T read() {
    if (!ok_ || remaining() < sizeof(T)) {
      ok_ = false;
      return 0;
    }
    std::make_unsigned_t<T> raw;
    std::memcpy(&raw, bytes_.data() + at_, sizeof raw);
    at_ += sizeof raw;
    if constexpr (sizeof(T) == 2) raw = __builtin_bswap16(raw);
    if constexpr (sizeof(T) == 4) raw = __builtin_bswap32(raw);
    if constexpr (sizeof(T) == 8) raw = __builtin_bswap64(raw);
    return static_cast<T>(raw);
  }

  std::span<const std::byte> bytes_;
  std::size_t at_ = 0;
  bool ok_ = true;
};

// Appends to a response body.
class Encoder {
 public:
  std::vector<std::byte>& buffer() { return out_; }
  std::size_t size() const { return out_.size(); }

  void i8(std::int8_t v) { write(v); }
  void i16(std::int16_t v) { write(v); }
  void i32(std::int32_t v) { write(v); }
  void i64(std::int64_t v) { write(v); }
  void boolean(bool v) { i8(v ? 1 : 0); }
  void string(std::string_view text);
  void nullable_string(const std::string* text);  // nullptr: null
  void bytes(std::span<const std::byte> data);
  void null_bytes() { i32(-1); }
  void raw(std::span<const std::byte> data) { out_.insert(out_.end(), data.begin(), data.end()); }
  // Overwrites an int32 written earlier at `at` (a size known only later).
  void patch_i32(std::size_t at, std::int32_t v);

 private:
  template <typename T>
  void write(T value) {
    auto raw = static_cast<std::make_unsigned_t<T>>(value);
    if constexpr (sizeof(T) == 2) raw = __builtin_bswap16(raw);
    if constexpr (sizeof(T) == 4) raw = __builtin_bswap32(raw);
    if constexpr (sizeof(T) == 8) raw = __builtin_bswap64(raw);
    const auto* p = reinterpret_cast<const std::byte*>(&raw);
    out_.insert(out_.end(), p, p + sizeof raw);
  }
  std::vector<std::byte> out_;
};

}  // namespace strata::kafka
