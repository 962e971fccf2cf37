// Bounds-checked decoding and encoding of Kafka's wire primitives, classic and compact (flexible versions).
#include "kafka/wire.h"

#include <limits>

#include "strata/assert.h"

namespace strata::kafka {

std::uint32_t WireReader::uvarint() {
  std::uint32_t value = 0;
  for (int shift = 0; shift < 35; shift += 7) {
    if (remaining() == 0) {
      fail("truncated varint");
      return 0;
    }
    const auto byte = std::to_integer<std::uint32_t>(data_[position_++]);
    if (shift == 28 && byte > 0x0f) break;  // more than 32 bits
    value |= (byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return value;
  }
  fail("varint longer than 32 bits");
  return 0;
}

void WireReader::tagged_fields() {
  if (!flexible_) return;
  const std::uint32_t count = uvarint();
  if (count > remaining() / 2) {  // a tag and a size of at least one byte each
    fail("tagged field count larger than the frame can hold");
    return;
  }
  for (std::uint32_t i = 0; i < count && ok_; ++i) {
    (void)uvarint();  // the tag: none is one strata reads
    skip(uvarint());
  }
}

std::optional<std::size_t> WireReader::length(bool wide) {
  std::int64_t length = 0;
  if (flexible_) {
    length = static_cast<std::int64_t>(uvarint()) - 1;
  } else {
    length = wide ? int32() : int16();
  }
  if (!ok_ || length == -1) return std::nullopt;
  if (length < 0) {
    fail("negative length");
    return std::nullopt;
  }
  if (static_cast<std::size_t>(length) > remaining()) {
    fail("string or bytes longer than the frame");
    return std::nullopt;
  }
  return static_cast<std::size_t>(length);
}

std::string_view WireReader::string() {
  auto value = nullable_string();
  if (ok_ && !value) fail("null string where one is required");
  return value.value_or(std::string_view{});
}

std::optional<std::string_view> WireReader::nullable_string() {
  const auto size = length(/*wide=*/false);
  if (!size) return std::nullopt;
  std::string_view out(reinterpret_cast<const char*>(data_.data() + position_), *size);
  position_ += *size;
  return out;
}

std::optional<std::span<const std::byte>> WireReader::nullable_bytes() {
  const auto size = length(/*wide=*/true);
  if (!size) return std::nullopt;
  auto out = data_.subspan(position_, *size);
  position_ += *size;
  return out;
}

std::span<const std::byte> WireReader::bytes() {
  auto value = nullable_bytes();
  return value ? *value : std::span<const std::byte>{};
}

std::size_t WireReader::array_count(std::size_t element_bytes_min, bool* null) {
  std::int64_t count = flexible_ ? static_cast<std::int64_t>(uvarint()) - 1 : int32();
  if (!ok_) return 0;
  if (null != nullptr) *null = count == -1;
  if (count == -1) return 0;
  if (count < 0) {
    fail("negative array count");
    return 0;
  }
  // A compact encoding is at least a quarter of the classic one (an int32 length becomes one varint byte).
  std::size_t per = flexible_ ? element_bytes_min / 4 : element_bytes_min;
  if (per == 0) per = 1;
  if (static_cast<std::size_t>(count) > remaining() / per) {
    fail("array count larger than the frame can hold");
    return 0;
  }
  return static_cast<std::size_t>(count);
}

void WireReader::skip(std::size_t n) {
  if (n > remaining()) {
    fail("truncated");
    return;
  }
  position_ += n;
}

void WireWriter::uvarint(std::uint32_t value) {
  while (value >= 0x80) {
    int8(static_cast<std::int8_t>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  int8(static_cast<std::int8_t>(value));
}

void WireWriter::length(std::optional<std::size_t> length, bool wide) {
  const std::size_t max = wide || flexible_ ? std::numeric_limits<std::int32_t>::max() - 1
                                            : std::numeric_limits<std::int16_t>::max();
  STRATA_ASSERT(!length || *length <= max, "string or bytes of %zu in a response", *length);
  if (flexible_) {
    uvarint(length ? static_cast<std::uint32_t>(*length + 1) : 0);
  } else if (wide) {
    int32(length ? static_cast<std::int32_t>(*length) : -1);
  } else {
    int16(length ? static_cast<std::int16_t>(*length) : std::int16_t{-1});
  }
}

void WireWriter::string(std::string_view value) {
  length(value.size(), /*wide=*/false);
  raw(as_bytes(value));
}

void WireWriter::nullable_string(std::optional<std::string_view> value) {
  if (!value) {
    length(std::nullopt, /*wide=*/false);
    return;
  }
  string(*value);
}

void WireWriter::bytes(std::span<const std::byte> value) {
  length(value.size(), /*wide=*/true);
  raw(value);
}

void WireWriter::null_bytes() {
  length(std::nullopt, /*wide=*/true);
}

void WireWriter::array_count(std::size_t count) {
  length(count, /*wide=*/true);
}

void WireWriter::null_array() {
  length(std::nullopt, /*wide=*/true);
}

void WireWriter::patch_int32(std::size_t at, std::int32_t value) {
  STRATA_ASSERT(at + 4 <= buffer_.size(), "patch at %zu of %zu", at, buffer_.size());
  const auto bits = static_cast<std::uint32_t>(value);
  for (std::size_t i = 0; i < 4; ++i) buffer_[at + i] = static_cast<std::byte>((bits >> (24 - 8 * i)) & 0xff);
}

}  // namespace strata::kafka
