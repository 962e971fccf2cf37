// Bounds-checked decoding and encoding of Kafka's non-flexible wire primitives.
#include "kafka/wire.h"

#include <limits>

#include "strata/assert.h"

namespace strata::kafka {

std::string_view WireReader::string() {
  const std::int16_t length = int16();
  if (length < 0) {
    fail("null or negative string length");
    return {};
  }
  if (static_cast<std::size_t>(length) > remaining()) {
    fail("string longer than the frame");
    return {};
  }
  std::string_view out(reinterpret_cast<const char*>(data_.data() + position_),
                       static_cast<std::size_t>(length));
  position_ += static_cast<std::size_t>(length);
  return out;
}

std::optional<std::string_view> WireReader::nullable_string() {
  const std::int16_t length = int16();
  if (!ok_) return std::nullopt;
  if (length == -1) return std::nullopt;
  if (length < 0) {
    fail("negative string length");
    return std::nullopt;
  }
  if (static_cast<std::size_t>(length) > remaining()) {
    fail("string longer than the frame");
    return std::nullopt;
  }
  std::string_view out(reinterpret_cast<const char*>(data_.data() + position_),
                       static_cast<std::size_t>(length));
  position_ += static_cast<std::size_t>(length);
  return out;
}

std::optional<std::span<const std::byte>> WireReader::nullable_bytes() {
  const std::int32_t length = int32();
  if (!ok_) return std::nullopt;
  if (length == -1) return std::nullopt;
  if (length < 0) {
    fail("negative bytes length");
    return std::nullopt;
  }
  if (static_cast<std::size_t>(length) > remaining()) {
    fail("bytes longer than the frame");
    return std::nullopt;
  }
  auto out = data_.subspan(position_, static_cast<std::size_t>(length));
  position_ += static_cast<std::size_t>(length);
  return out;
}

std::span<const std::byte> WireReader::bytes() {
  auto value = nullable_bytes();
  return value ? *value : std::span<const std::byte>{};
}

std::size_t WireReader::array_count(std::size_t element_bytes_min, bool* null) {
  const std::int32_t count = int32();
  if (!ok_) return 0;
  if (count == -1) {
    if (null != nullptr) {
      *null = true;
      return 0;
    }
    return 0;
  }
  if (null != nullptr) *null = false;
  if (count < 0) {
    fail("negative array count");
    return 0;
  }
  const std::size_t per = element_bytes_min == 0 ? 1 : element_bytes_min;
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

void WireWriter::string(std::string_view value) {
  STRATA_ASSERT(value.size() <= static_cast<std::size_t>(std::numeric_limits<std::int16_t>::max()),
                "string of %zu bytes in a response", value.size());
  int16(static_cast<std::int16_t>(value.size()));
  raw(as_bytes(value));
}

void WireWriter::nullable_string(std::optional<std::string_view> value) {
  if (!value) {
    int16(-1);
    return;
  }
  string(*value);
}

void WireWriter::bytes(std::span<const std::byte> value) {
  STRATA_ASSERT(value.size() <= static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max()),
                "bytes of %zu in a response", value.size());
  int32(static_cast<std::int32_t>(value.size()));
  raw(value);
}

void WireWriter::array_count(std::size_t count) {
  STRATA_ASSERT(count <= static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max()),
                "array of %zu in a response", count);
  int32(static_cast<std::int32_t>(count));
}

void WireWriter::patch_int32(std::size_t at, std::int32_t value) {
  STRATA_ASSERT(at + 4 <= buffer_.size(), "patch at %zu of %zu", at, buffer_.size());
  const auto bits = static_cast<std::uint32_t>(value);
  for (std::size_t i = 0; i < 4; ++i) buffer_[at + i] = static_cast<std::byte>((bits >> (24 - 8 * i)) & 0xff);
}

}  // namespace strata::kafka
