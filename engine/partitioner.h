// Kafka's default partitioner for keyed records, bit for bit as the Java client computes it
// (BuiltInPartitioner.partitionForKey over Utils.murmur2), so that a key lands on the same partition whether
// a Java client, librdkafka (its "murmur2_random" partitioner) or strata picked it.
// Records without a key are not this module's business (Java spreads them with its sticky partitioner).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace strata::format {

// MurmurHash2, 32-bit, seed 0x9747b28c, as Kafka's Utils.murmur2 (the Java int it returns, so it may be
// negative). Bytes are read as unsigned; a 1-3 byte tail is mixed in with the switch fallthrough of the
// reference implementation.
std::int32_t murmur2(std::span<const std::byte> key);

// (murmur2(key) & 0x7fffffff) % partitions: Java's Utils.toPositive, which clears the sign bit rather than
// taking an absolute value. REQUIRES: partitions > 0.
std::uint32_t partition_for_key(std::span<const std::byte> key, std::uint32_t partitions);

}  // namespace strata::format
