// The compression codecs of Kafka's RecordBatch attributes (bits 0-2), as strata stores them.
#pragma once

#include <cstdint>
#include <string_view>

namespace strata {

enum class Compression : std::uint8_t { kNone = 0, kGzip = 1, kSnappy = 2, kLz4 = 3, kZstd = 4 };

std::string_view compression_name(Compression codec);  // "none", "gzip", "snappy", "lz4", "zstd"
// False for any other name.
bool parse_compression(std::string_view name, Compression* codec);

}  // namespace strata
