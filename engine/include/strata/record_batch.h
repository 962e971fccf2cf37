// A Kafka RecordBatch (magic 2) built from records that carry their own timestamps, for
// Producer::append_batch: how a copy of another log's records (strata mirror --from) keeps their
// timestamps (CreateTime) and lands as one batch.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "strata/reader.h"
#include "strata/status.h"

namespace strata {

struct BatchRecord {
  std::int64_t timestamp_ms = 0;
  std::span<const std::byte> key;
  std::span<const std::byte> value;
  std::span<const EventHeader> headers;
  // Kafka's null (length -1) rather than the bytes above, which are then empty. An empty key or value that is
  // not null is written as such (length 0).
  bool key_null = false;
  bool value_null = false;
};

// Uncompressed, without a producer id, base offset 0 (append_batch assigns the offsets), the CRC filled in.
// kInvalidArgument when `records` is empty; kTooLarge when a key, a value or a record's headers exceed the
// engine's limits, or the batch its size limit (the message names the record).
Result<std::vector<std::byte>> encode_record_batch(std::span<const BatchRecord> records);

}  // namespace strata
