// The compression codecs a Kafka record batch may carry (attributes bits 0-2 of a RecordBatch v2), and their
// names as a user types them ("compression=zstd"). The codecs themselves live in engine/compression.h.
#pragma once

#include <cstdint>
#include <string_view>

namespace strata {

// Values are Kafka's wire values: they are stored in a batch's attributes and must not change.
enum class Compression : std::uint8_t {
  kNone = 0,
  kGzip = 1,
  kSnappy = 2,
  kLz4 = 3,
  kZstd = 4,
};

// "none", "gzip", "snappy", "lz4", "zstd"; "unknown" for a value outside the enum.
std::string_view compression_name(Compression codec);

// The reverse of compression_name(), exact and lower-case. False (and *codec untouched) for anything else.
[[nodiscard]] bool parse_compression(std::string_view name, Compression* codec);

}  // namespace strata
