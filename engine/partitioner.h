// TEMPORARY: replaced by the codecs branch.
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>
namespace strata::format {
std::int32_t murmur2(std::span<const std::byte> key);
std::uint32_t partition_for_key(std::span<const std::byte> key, std::uint32_t partitions);
}
