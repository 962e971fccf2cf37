// The Kafka wire primitives: big-endian integers, and strings, bytes and arrays in two encodings. Classic
// (non-flexible) versions use int16-length strings, int32-length bytes and int32-count arrays; flexible
// versions (KIP-482) use compact ones (an unsigned varint of length + 1, 0 for null) and end every structure
// with tagged fields. A reader or writer is put in flexible mode once, after the request or response header,
// so that each codec reads a field with the same call at every version and adds tagged_fields() at the end of
// each structure (a no-op in classic mode). WireReader checks every length and count against what is left of the frame, so
// a hostile frame can neither read out of bounds nor make the decoder allocate more than a small multiple
// of the frame's own size. WireWriter appends to a growable buffer and can patch a size field afterwards.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace strata::kafka {

// Reads one request frame. After the first failure every read returns a zero value and ok() stays false:
// decoders read straight through and check ok() once at the end.
class WireReader {
 public:
  explicit WireReader(std::span<const std::byte> data) : data_(data) {}

  bool ok() const { return ok_; }
  bool flexible() const { return flexible_; }
  void set_flexible(bool flexible) { flexible_ = flexible; }
  std::size_t remaining() const { return data_.size() - position_; }
  std::size_t position() const { return position_; }
  // Why the first failure happened (a short static text), for the log line.
  const char* error() const { return error_; }
  void fail(const char* why) {
    if (ok_) error_ = why;
    ok_ = false;
    position_ = data_.size();
  }

  std::int8_t int8() { return static_cast<std::int8_t>(be<std::uint8_t>()); }
  bool boolean() { return be<std::uint8_t>() != 0; }
  std::int16_t int16() { return static_cast<std::int16_t>(be<std::uint16_t>()); }
  std::int32_t int32() { return static_cast<std::int32_t>(be<std::uint32_t>()); }
  std::int64_t int64() { return static_cast<std::int64_t>(be<std::uint64_t>()); }

  // An unsigned varint (at most 5 bytes, a uint32), as in compact lengths and tagged fields.
  std::uint32_t uvarint();
  // A structure's tagged fields (flexible mode only; none is one strata reads): skipped, checked for length.
  void tagged_fields();

  // A non-nullable string; a null one (length -1) is a decode failure.
  std::string_view string();
  // A nullable string: nullopt for length -1.
  std::optional<std::string_view> nullable_string();
  // int32-length bytes; a null value (-1) reads as empty.
  std::span<const std::byte> bytes();
  // int32-length bytes, nullopt for -1.
  std::optional<std::span<const std::byte>> nullable_bytes();
  // An array count, checked so that `count` elements of at least `element_bytes_min` wire bytes each fit in
  // what is left. -1 (null) reads as 0 unless `null` is given, where it sets *null = true.
  std::size_t array_count(std::size_t element_bytes_min, bool* null = nullptr);
  // Skips n bytes.
  void skip(std::size_t n);

 private:
  template <typename T>
  T be() {
    if (remaining() < sizeof(T)) {
      fail("truncated");
      return 0;
    }
    T value = 0;
    for (std::size_t i = 0; i < sizeof(T); ++i) {
      value =
          static_cast<T>((value << 8) | static_cast<T>(std::to_integer<std::uint8_t>(data_[position_ + i])));
    }
    position_ += sizeof(T);
    return value;
  }

  // The length of a string or bytes field; nullopt for null (or after a failure).
  std::optional<std::size_t> length(bool wide);

  std::span<const std::byte> data_;
  std::size_t position_ = 0;
  bool ok_ = true;
  bool flexible_ = false;
  const char* error_ = "";
};

// Writes a response. Sizes of arrays and strings are the caller's to get right; they are asserted.
class WireWriter {
 public:
  WireWriter() { buffer_.reserve(256); }

  bool flexible() const { return flexible_; }
  void set_flexible(bool flexible) { flexible_ = flexible; }

  void int8(std::int8_t value) { be(static_cast<std::uint8_t>(value)); }
  void boolean(bool value) { be(static_cast<std::uint8_t>(value ? 1 : 0)); }
  void int16(std::int16_t value) { be(static_cast<std::uint16_t>(value)); }
  void int32(std::int32_t value) { be(static_cast<std::uint32_t>(value)); }
  void int64(std::int64_t value) { be(static_cast<std::uint64_t>(value)); }
  void string(std::string_view value);
  void nullable_string(std::optional<std::string_view> value);
  void bytes(std::span<const std::byte> value);
  void null_bytes();
  void array_count(std::size_t count);
  void null_array();
  void uvarint(std::uint32_t value);
  // The end of a structure in flexible mode: no tagged fields (one zero byte); nothing in classic mode.
  void tagged_fields() {
    if (flexible_) int8(0);
  }
  void raw(std::span<const std::byte> value) { buffer_.insert(buffer_.end(), value.begin(), value.end()); }

  // Reserves an int32 to be patched later with patch_int32(); returns its position.
  std::size_t reserve_int32() {
    const std::size_t at = buffer_.size();
    int32(0);
    return at;
  }
  void patch_int32(std::size_t at, std::int32_t value);

  std::size_t size() const { return buffer_.size(); }
  std::vector<std::byte>& buffer() { return buffer_; }
  const std::vector<std::byte>& buffer() const { return buffer_; }

 private:
  template <typename T>
  void be(T value) {
    std::byte out[sizeof(T)];
    for (std::size_t i = 0; i < sizeof(T); ++i) {
      out[i] = static_cast<std::byte>((value >> (8 * (sizeof(T) - 1 - i))) & 0xff);
    }
    buffer_.insert(buffer_.end(), out, out + sizeof(T));
  }

  // A string's or bytes' length, null as -1: int16 or int32 (`wide`) classic, varint + 1 compact.
  void length(std::optional<std::size_t> length, bool wide);

  std::vector<std::byte> buffer_;
  bool flexible_ = false;
};

inline std::span<const std::byte> as_bytes(std::string_view text) {
  return std::as_bytes(std::span(text.data(), text.size()));
}
inline std::string_view as_text(std::span<const std::byte> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

}  // namespace strata::kafka
