#include "engine/partitioner.h"
namespace strata::format {
std::int32_t murmur2(std::span<const std::byte> key) { return static_cast<std::int32_t>(key.size()); }
std::uint32_t partition_for_key(std::span<const std::byte> key, std::uint32_t partitions) {
  return static_cast<std::uint32_t>(murmur2(key) & 0x7fffffff) % partitions;
}
}
