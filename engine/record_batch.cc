#include "strata/record_batch.h"

#include <algorithm>

#include "engine/crc32c.h"
#include "engine/format.h"

namespace strata {

namespace {

Status check_limits(const BatchRecord& record, std::size_t index, std::size_t headers_bytes) {
  if (record.key.size() > format::kKeyBytesMax || record.value.size() > format::kValueBytesMax ||
      headers_bytes > format::kHeadersBytesMax) {
    return {StatusCode::kTooLarge, "record " + std::to_string(index) + " of the batch: key " +
                                       std::to_string(record.key.size()) + " bytes, value " +
                                       std::to_string(record.value.size()) + " bytes, headers " +
                                       std::to_string(headers_bytes) + " bytes exceed the limits"};
  }
  return Status::ok();
}

// The 61-byte header of a CreateTime batch whose records already follow it; the CRC last.
void finish_header(std::vector<std::byte>& batch, std::int32_t records, std::int64_t base_timestamp_ms,
                   std::int64_t max_timestamp_ms) {
  using namespace format;
  std::byte* out = batch.data();
  store_be<std::uint64_t>(out + kBaseOffsetAt, 0);
  store_be<std::uint32_t>(out + kBatchLengthAt, static_cast<std::uint32_t>(batch.size() - kBatchLengthOverhead));
  store_be<std::int32_t>(out + kLeaderEpochAt, 0);
  out[kMagicAt] = static_cast<std::byte>(kMagic);
  store_be<std::uint16_t>(out + kAttributesAt, 0);  // no compression, CreateTime, not transactional
  store_be<std::int32_t>(out + kLastOffsetDeltaAt, records - 1);
  store_be<std::int64_t>(out + kBaseTimestampAt, base_timestamp_ms);
  store_be<std::int64_t>(out + kMaxTimestampAt, max_timestamp_ms);
  store_be<std::int64_t>(out + kProducerIdAt, -1);
  store_be<std::int16_t>(out + kProducerEpochAt, -1);
  store_be<std::int32_t>(out + kBaseSequenceAt, -1);
  store_be<std::int32_t>(out + kRecordsCountAt, records);
  store_be<std::uint32_t>(out + kCrcAt, format::crc32c({out + kAttributesAt, batch.size() - kAttributesAt}));
}

}  // namespace

Result<std::vector<std::byte>> encode_record_batch(std::span<const BatchRecord> records) {
  if (records.empty()) return invalid_argument("a record batch needs at least one record");
  const std::int64_t base_timestamp_ms = records.front().timestamp_ms;
  std::int64_t max_timestamp_ms = base_timestamp_ms;
  std::vector<std::byte> batch(format::kBatchHeaderBytes);
  std::vector<std::byte> headers;
  for (std::size_t i = 0; i < records.size(); ++i) {
    const BatchRecord& record = records[i];
    headers.resize(format::encoded_headers_bytes(record.headers));
    STRATA_RETURN_IF_ERROR(check_limits(record, i, headers.size()));
    format::encode_headers(headers.data(), record.headers);
    const std::size_t at = batch.size();
    batch.resize(at + format::record_bytes_max(record.key.size(), record.value.size(), headers.size()));
    const std::size_t written = format::put_record(batch.data() + at, static_cast<std::int32_t>(i), record.key,
                                                   record.value, headers, record.timestamp_ms - base_timestamp_ms,
                                                   {.key = record.key_null, .value = record.value_null});
    batch.resize(at + written);
    if (batch.size() > format::kBatchBytesMax) {
      return Status(StatusCode::kTooLarge, "a record batch of " + std::to_string(records.size()) +
                                               " records exceeds " + std::to_string(format::kBatchBytesMax) +
                                               " bytes at record " + std::to_string(i));
    }
    max_timestamp_ms = std::max(max_timestamp_ms, record.timestamp_ms);
  }
  finish_header(batch, static_cast<std::int32_t>(records.size()), base_timestamp_ms, max_timestamp_ms);
  return batch;
}

}  // namespace strata
