#include "engine/compression.h"
namespace strata {
std::string_view compression_name(Compression codec) {
  switch (codec) { case Compression::kNone: return "none"; case Compression::kGzip: return "gzip"; case Compression::kSnappy: return "snappy"; case Compression::kLz4: return "lz4"; case Compression::kZstd: return "zstd"; }
  return "unknown";
}
bool parse_compression(std::string_view name, Compression* codec) {
  for (auto c : {Compression::kNone, Compression::kGzip, Compression::kSnappy, Compression::kLz4, Compression::kZstd}) if (compression_name(c) == name) { *codec = c; return true; }
  return false;
}
}
namespace strata::format {
Status compress(Compression, std::span<const std::byte>, std::vector<std::byte>*) { return Status(StatusCode::kUnsupported, "temporary"); }
Status decompress(Compression, std::span<const std::byte>, std::size_t, std::vector<std::byte>*) { return Status(StatusCode::kUnsupported, "temporary"); }
}
