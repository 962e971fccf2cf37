// The Kafka RecordBatches stored in one segment file, as they are on disk: what `strata dump` prints in
// the style of Kafka's kafka-dump-log. Read-only and lock-free, like strata/inspect.h (which gives the
// segment paths). For reading events, use a Reader; this is for looking at the storage itself.
//
// Threads: any. Views (bytes, key, value, headers) are valid during the callback only.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>

#include "strata/compression.h"
#include "strata/reader.h"
#include "strata/status.h"

namespace strata {

// One batch's header fields (Kafka's RecordBatch v2 names) and where it sits.
struct StoredBatch {
  std::uint64_t position = 0;  // byte position in the segment file
  std::uint64_t base_offset = 0;
  std::uint64_t last_offset = 0;
  std::int32_t records_count = 0;
  std::int64_t producer_id = -1;  // -1 for the batches the engine frames itself
  std::int16_t producer_epoch = -1;
  std::int32_t base_sequence = -1;
  bool is_transactional = false;
  bool is_control = false;
  bool log_append_time = false;  // timestamp type: LogAppendTime, else CreateTime
  std::int64_t max_timestamp_ms = 0;
  Compression compression = Compression::kNone;
  std::uint32_t crc = 0;           // CRC-32C over attributes..end, checked before the batch is handed out
  std::span<const std::byte> bytes;  // the whole batch as stored (size: bytes.size())
};

// One record of a stored batch, decompressed.
struct StoredRecord {
  std::uint64_t offset = 0;
  std::int64_t timestamp_ms = 0;
  std::int64_t sequence = -1;     // base_sequence + offset delta, or -1 without a producer id
  std::span<const std::byte> key;  // empty for a null key
  std::span<const std::byte> value;
  std::span<const EventHeader> headers;
};

// Where a segment stops holding valid batches before its end of data: position and why.
struct BatchProblem {
  std::uint64_t position = 0;
  std::string reason;  // empty when the segment holds valid batches up to its end of data
};

// Calls on_batch for each valid batch of the segment file at `path`, in file order, up to the end of data
// (zeros) or the first batch that fails its checks, which *problem then describes (its reason is empty
// otherwise). An error only when the file cannot be opened or read. REQUIRES: problem != nullptr.
Status read_stored_batches(const std::string& path, const std::function<void(const StoredBatch&)>& on_batch,
                           BatchProblem* problem);

// Calls on_record for each record of `batch` (one on_batch gave), decompressing it first. kCorruption
// naming the batch when its records or headers do not decode.
Status read_stored_records(const StoredBatch& batch, const std::function<void(const StoredRecord&)>& on_record);

}  // namespace strata
