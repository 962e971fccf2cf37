#include "engine/partitioner.h"

#include "strata/assert.h"

namespace strata::format {

namespace {

constexpr std::uint32_t kSeed = 0x9747b28c;
// MurmurHash2's mixing constants.
constexpr std::uint32_t kMultiplier = 0x5bd1e995;
constexpr int kShift = 24;

std::uint32_t byte_at(std::span<const std::byte> key, std::size_t i) {
  return std::to_integer<std::uint32_t>(key[i]);
}

}  // namespace

std::int32_t murmur2(std::span<const std::byte> key) {
  // Java's int arithmetic wraps; uint32 arithmetic wraps the same way and has no undefined overflow. Java's
  // length is an int, so the seed is mixed with the length truncated to 32 bits.
  const std::size_t length = key.size();
  std::uint32_t hash = kSeed ^ static_cast<std::uint32_t>(length);
  for (std::size_t i = 0; i + 4 <= length; i += 4) {
    std::uint32_t k =
        byte_at(key, i) | byte_at(key, i + 1) << 8 | byte_at(key, i + 2) << 16 | byte_at(key, i + 3) << 24;
    k *= kMultiplier;
    k ^= k >> kShift;
    k *= kMultiplier;
    hash *= kMultiplier;
    hash ^= k;
  }
  const std::size_t tail = length & ~std::size_t{3};
  switch (length % 4) {
    case 3:
      hash ^= byte_at(key, tail + 2) << 16;
      [[fallthrough]];
    case 2:
      hash ^= byte_at(key, tail + 1) << 8;
      [[fallthrough]];
    case 1:
      hash ^= byte_at(key, tail);
      hash *= kMultiplier;
  }
  hash ^= hash >> 13;
  hash *= kMultiplier;
  hash ^= hash >> 15;
  return static_cast<std::int32_t>(hash);
}

std::uint32_t partition_for_key(std::span<const std::byte> key, std::uint32_t partitions) {
  STRATA_ASSERT(partitions > 0, "partition_for_key with no partitions");
  return (static_cast<std::uint32_t>(murmur2(key)) & 0x7fffffffu) % partitions;
}

}  // namespace strata::format
