// CRC-32C (Castagnoli), as Kafka's record batches carry it. TEMPORARY: replaced by the codecs branch.
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>
namespace strata::format {
std::uint32_t crc32c(std::span<const std::byte> bytes);
}
