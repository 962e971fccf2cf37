// The fuzz body shared by the libFuzzer target (segment_fuzzer, built with clang) and the bounded smoke test
// that runs in CI: arbitrary bytes as the data of a segment, walked the way recovery and readers walk it.
// It must never crash, never read out of bounds, and never accept a batch whose records overrun it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "engine/format.h"
#include "strata/assert.h"

namespace strata::fuzz {

// With fix_checksums, every candidate batch gets a correct checksum first, so that random input reaches the
// framing checks behind it (a fuzzer never guesses an xxh3 by chance).
inline void walk_segment_data(const std::uint8_t* input, std::size_t size, bool fix_checksums) {
  std::vector<std::uint8_t> copy(input, input + size);
  std::uint8_t* data = copy.data();
  const std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data), size);
  std::uint64_t base_offset = 0;
  (void)format::decode_segment_header(bytes, &base_offset);
  std::uint64_t expected = 0;
  if (size >= 8) std::memcpy(&expected, data, 8);  // let the input choose the expected offset
  for (std::size_t position = 8; position < size;) {
    if (fix_checksums && size - position >= format::kBatchHeaderBytes) {
      std::uint32_t batch_bytes = 0;
      std::memcpy(&batch_bytes, data + position + 8, sizeof batch_bytes);
      if (batch_bytes >= format::kBatchHeaderBytes && batch_bytes <= size - position) {
        const std::uint64_t sum = format::checksum(bytes.subspan(position + 8, batch_bytes - 8));
        std::memcpy(data + position, &sum, sizeof sum);
      }
    }
    format::BatchInfo info{};
    std::string reason;
    const auto check = format::check_batch(bytes.subspan(position), expected, &info, &reason);
    if (check != format::BatchCheck::kValid) break;
    std::uint64_t records = 0;
    format::for_each_record(bytes.subspan(position), info.header, [&](const format::RecordView& record) {
      const auto* begin = bytes.data() + position;
      STRATA_ASSERT(record.key.data() >= begin &&
                        record.value.data() + record.value.size() <= begin + info.header.batch_bytes,
                    "record outside its batch at position %zu", position);
      ++records;
    });
    STRATA_ASSERT(records == info.header.record_count, "accepted batch with %llu of %u records",
                  static_cast<unsigned long long>(records), info.header.record_count);
    STRATA_ASSERT(info.padded_bytes > 0, "batch of zero size accepted");
    expected += info.header.record_count;
    position += info.padded_bytes;
  }
}

}  // namespace strata::fuzz
