// Repairing sealed segments from a copy: `strata verify --repair-from` finds the batches that fail their
// checks (find_damaged_batches), fetches the events at the same offsets from a mirror (mirror/), and has
// the batch rebuilt in place (repair_batch). The engine owns the file work: the segment is rewritten aside
// and renamed over the damaged one with the directory synced, its index rewritten; readers that mapped the
// old file keep reading it.
//
// Offline: both take the log directory's LOCK, so they refuse while a process has the log open.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "strata/reader.h"
#include "strata/status.h"

namespace strata {

// A run of offsets whose batch in a sealed segment is damaged.
struct DamagedBatch {
  std::string topic;
  std::uint32_t partition = 0;
  std::string segment_path;
  std::uint64_t position = 0;      // where the damaged bytes start in the segment
  std::uint64_t bytes = 0;         // how many bytes they span (up to the next valid batch or the data's end)
  std::uint64_t first_offset = 0;  // the offsets they held: [first_offset, end_offset)
  std::uint64_t end_offset = 0;
  std::string reason;  // what the check found
};

// Every damaged batch of the sealed segments of `topic` (every topic when empty), found by a full scan that
// resynchronizes on the next valid batch after each damaged one. The active segment is left to recovery
// (a torn tail there is dropped when the log opens). kBusy while a process has the log open.
Result<std::vector<DamagedBatch>> find_damaged_batches(const std::string& dir, std::string_view topic);

// One event of a damaged run as a copy holds it.
struct RepairRecord {
  std::uint64_t offset = 0;
  std::int64_t timestamp_ms = 0;
  std::span<const std::byte> key;
  std::span<const std::byte> value;
  std::span<const EventHeader> headers;
  bool key_null = false;  // Kafka's null (length -1), as for BatchRecord
  bool value_null = false;
};

struct RepairOutcome {
  // True when the rebuilt batch has the damaged one's length and checksum: the segment is the original
  // byte for byte. False when the damaged header could not be trusted or the original was compressed: the
  // batch is rebuilt uncompressed with a fresh checksum, the same events at the same offsets.
  bool byte_identical = false;
};

// Replaces `damaged` with a batch of `records`, which must be exactly its offsets in order (kInvalidArgument
// naming the first that is not). When the damaged batch's header survived and it was uncompressed, the records
// must also give its CRC-32C or every byte it still holds (kInvalidArgument otherwise: a copy of other events).
// The segment is checked whole before it replaces the damaged one.
Result<RepairOutcome> repair_batch(const std::string& dir, const DamagedBatch& damaged,
                                   std::span<const RepairRecord> records);

}  // namespace strata
