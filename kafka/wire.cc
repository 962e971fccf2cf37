#include "kafka/wire.h"

#include <algorithm>

namespace strata::kafka {

std::string_view Decoder::string(bool* is_null) {
  const std::int16_t length = i16();
  if (is_null != nullptr) *is_null = length < 0;
  if (length < 0) {
    if (length != -1) fail();
    return {};
  }
  if (!ok_ || remaining() < static_cast<std::size_t>(length)) {
    fail();
    return {};
  }
  std::string_view text(reinterpret_cast<const char*>(bytes_.data() + at_), static_cast<std::size_t>(length));
  at_ += static_cast<std::size_t>(length);
  return text;
}

std::span<const std::byte> Decoder::bytes(bool* is_null) {
  const std::int32_t length = i32();
  if (is_null != nullptr) *is_null = length < 0;
  if (length < 0) {
    if (length != -1) fail();
    return {};
  }
  if (!ok_ || remaining() < static_cast<std::size_t>(length)) {
    fail();
    return {};
  }
  const auto data = bytes_.subspan(at_, static_cast<std::size_t>(length));
  at_ += static_cast<std::size_t>(length);
  return data;
}

std::int32_t Decoder::array_count(std::size_t element_bytes_min, bool* is_null) {
  const std::int32_t count = i32();
  if (is_null != nullptr) *is_null = count < 0;
  if (count < 0) {
    if (count != -1) fail();
    return 0;
  }
  // A count the remaining bytes cannot hold is hostile or truncated: refuse before anything is allocated.
  if (!ok_ || static_cast<std::size_t>(count) * std::max<std::size_t>(element_bytes_min, 1) > remaining()) {
    fail();
    return 0;
  }
  return count;
}

void Encoder::string(std::string_view text) {
  i16(static_cast<std::int16_t>(text.size()));
  raw(std::as_bytes(std::span(text.data(), text.size())));
}

void Encoder::nullable_string(const std::string* text) {
  if (text == nullptr) {
    i16(-1);
  } else {
    string(*text);
  }
}

void Encoder::bytes(std::span<const std::byte> data) {
  i32(static_cast<std::int32_t>(data.size()));
  raw(data);
}

void Encoder::patch_i32(std::size_t at, std::int32_t v) {
  const auto raw_value = __builtin_bswap32(static_cast<std::uint32_t>(v));
  std::memcpy(out_.data() + at, &raw_value, sizeof raw_value);
}

}  // namespace strata::kafka
