// The record header strata.source-offset: the offset a mirrored record had at its source, in decimal ASCII
// (readable with kcat -f '%h'). The last record of a destination partition tells a restarted mirror where
// to resume.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace strata::mirror {

inline constexpr std::string_view kSourceOffsetHeader = "strata.source-offset";

// The header's value for `offset`, written into `buffer`; returns the bytes used.
std::span<const std::byte> encode_source_offset(std::uint64_t offset, std::array<char, 24>& buffer);

// The offset a header value holds; nullopt when it is not a decimal number.
std::optional<std::uint64_t> parse_source_offset(std::span<const std::byte> value);

}  // namespace strata::mirror
