// The fuzz body shared by the libFuzzer target (segment_fuzzer, built with clang) and the bounded smoke test
// that runs in CI: arbitrary bytes as the data of a segment (Kafka RecordBatch v2 batches back to back),
// walked the way recovery and readers walk it: check_batch, then for_each_record, then decode_headers for
// every record that has headers. It must never crash, never read out of bounds, and never accept a batch
// whose records overrun it or miscount.
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

// With fix_checksums, every candidate batch gets a correct CRC-32C first, so that random input reaches the
// record decoding behind it (a fuzzer never guesses a CRC by chance).
inline void walk_segment_data(const std::uint8_t* input, std::size_t size, bool fix_checksums) {
  std::vector<std::uint8_t> copy(input, input + size);
  auto* data = reinterpret_cast<std::byte*>(copy.data());
  const std::span<const std::byte> bytes(data, size);
  std::uint64_t expected = format::kAnyOffset;
  std::vector<std::byte> scratch;
  std::vector<EventHeader> headers;
  for (std::size_t position = 0; position < size;) {
    const std::size_t left = size - position;
    if (fix_checksums && left >= format::kBatchHeaderBytes) {
      const std::size_t total = std::size_t{format::peek_batch_length(data + position)} + format::kBatchLengthOverhead;
      if (total >= format::kBatchHeaderBytes && total <= left) {
        format::store_be<std::uint32_t>(data + position + format::kCrcAt,
                                        format::crc32c(bytes.subspan(position + format::kAttributesAt,
                                                                     total - format::kAttributesAt)));
      }
    }
    format::BatchHeader header;
    std::string reason;
    const auto check = format::check_batch(bytes.subspan(position), expected, &header, &reason);
    if (check != format::BatchCheck::kValid) break;
    STRATA_ASSERT(header.total_bytes() >= format::kBatchHeaderBytes && header.total_bytes() <= left,
                  "accepted a batch of %zu bytes with %zu left", header.total_bytes(), left);
    const std::span<const std::byte> batch = bytes.subspan(position, header.total_bytes());
    std::int32_t records = 0;
    const Status status = format::for_each_record(
        batch, header, &scratch, [&](const format::RecordFields& record, std::uint64_t offset, std::int64_t) {
          const std::byte* begin = batch.data();
          const std::byte* end = begin + batch.size();
          if (header.compression() == Compression::kNone) {
            STRATA_ASSERT(record.key.empty() || (record.key.data() >= begin && record.key.data() + record.key.size() <= end),
                          "key outside its batch at position %zu", position);
            STRATA_ASSERT(record.value.empty() || (record.value.data() >= begin && record.value.data() + record.value.size() <= end),
                          "value outside its batch at position %zu", position);
            STRATA_ASSERT(record.headers.data() >= begin && record.headers.data() + record.headers.size() <= end,
                          "headers outside their batch at position %zu", position);
          }
          STRATA_ASSERT(offset >= header.base_offset, "offset below the batch's base");
          if (record.header_count > 0 && format::decode_headers(record.headers, record.header_count, &headers)) {
            STRATA_ASSERT(headers.size() == static_cast<std::size_t>(record.header_count), "decoded %zu of %d headers",
                          headers.size(), record.header_count);
            for (const EventHeader& h : headers) {
              STRATA_ASSERT(h.key.data() >= reinterpret_cast<const char*>(record.headers.data()) &&
                                h.key.data() + h.key.size() <= reinterpret_cast<const char*>(record.headers.data() + record.headers.size()),
                            "header key outside the record");
              STRATA_ASSERT(h.value.empty() || (h.value.data() >= record.headers.data() &&
                                                h.value.data() + h.value.size() <= record.headers.data() + record.headers.size()),
                            "header value outside the record");
            }
          }
          ++records;
        });
    if (status.is_ok()) {
      STRATA_ASSERT(records == header.records_count, "accepted batch with %d of %d records", records,
                    header.records_count);
    }
    expected = header.next_offset();
    position += header.total_bytes();
  }
}

}  // namespace strata::fuzz
