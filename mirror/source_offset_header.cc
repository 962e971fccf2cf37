#include "mirror/source_offset_header.h"

#include <charconv>

namespace strata::mirror {

std::span<const std::byte> encode_source_offset(std::uint64_t offset, std::array<char, 24>& buffer) {
  const auto [end, error] = std::to_chars(buffer.data(), buffer.data() + buffer.size(), offset);
  (void)error;  // 20 digits at most: always fits
  return std::as_bytes(std::span<const char>(buffer.data(), static_cast<std::size_t>(end - buffer.data())));
}

std::optional<std::uint64_t> parse_source_offset(std::span<const std::byte> value) {
  const char* begin = reinterpret_cast<const char*>(value.data());
  const char* end = begin + value.size();
  std::uint64_t offset = 0;
  const auto [stop, error] = std::from_chars(begin, end, offset);
  if (value.empty() || error != std::errc() || stop != end) return std::nullopt;
  return offset;
}

}  // namespace strata::mirror
