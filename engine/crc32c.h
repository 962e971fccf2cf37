// CRC-32C (Castagnoli), the checksum of a Kafka RecordBatch v2 (the `crc` field, over attributes..end).
// Computed by ISA-L's crc32_iscsi, which picks the fastest kernel for the CPU at run time (SSE4.2 crc32
// with carry-less multiply folding on x86-64).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace strata::format {

// The standard CRC-32C: initial value and final xor 0xFFFFFFFF, reflected. crc32c("123456789") ==
// 0xE3069283; crc32c of nothing is 0.
std::uint32_t crc32c(std::span<const std::byte> bytes);

// Continues a CRC-32C: crc32c_extend(crc32c(a), b) == crc32c(a followed by b).
std::uint32_t crc32c_extend(std::uint32_t crc, std::span<const std::byte> bytes);

}  // namespace strata::format
