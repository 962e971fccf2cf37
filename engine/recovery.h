// Recovery: what opening a topic directory finds. Sealed segments are trusted by their index file; the
// active (last, unsealed) segment is scanned batch by batch from its header, and everything after the last
// valid batch (a torn or half-written tail) is dropped and zeroed on disk.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/format.h"
#include "strata/status.h"

namespace strata::detail {

struct SegmentInfo {
  std::uint64_t base_offset = 0;
  std::uint64_t next_offset = 0;  // one past its last event
  std::uint64_t data_end = 0;     // file position after its last batch (the seal batch when sealed)
  bool sealed = false;
  std::int64_t max_timestamp_us = INT64_MAX;  // newest event (sealed segments; unknown: INT64_MAX)
};

struct ScanResult {
  std::uint64_t next_offset = 0;
  std::uint64_t valid_end = 0;  // file position after the last valid batch
  std::uint64_t file_bytes = 0;
  bool sealed = false;  // a seal batch ends the data
  std::string problem;  // why the scan stopped early, with file and position; empty at end of data
  std::uint64_t problem_position = 0;  // where the invalid batch starts, when `problem` is set
  std::string problem_reason;          // what is wrong with it, when `problem` is set
  std::vector<format::IndexEntry> index;
};

// Reads the segment at `path` batch by batch. Stops at the end of data, at a seal batch, or at the first
// invalid batch (`problem` then says where and why). Fails only when the file cannot be read or its header
// is bad.
Result<ScanResult> scan_segment(const std::string& path, std::uint64_t index_interval_bytes);

struct RecoveredTopic {
  std::vector<SegmentInfo> segments;             // in offset order; the last one is active unless sealed
  std::vector<format::IndexEntry> active_index;  // sparse index of the active segment, from the scan
  std::string report;  // what recovery did, for stats and logs; empty when nothing happened
};

// Recovers the topic directory `dir` (which exists). Zeroes a torn tail, rebuilds a missing index of a
// sealed segment. An empty directory gives no segments.
Result<RecoveredTopic> recover_topic(const std::string& dir);

// Reads and checks a sealed segment's index file.
Result<SegmentInfo> read_index(const std::string& path, std::uint64_t base_offset,
                               std::vector<format::IndexEntry>* entries);
// Writes `path` (via a temporary file and rename), synced.
Status write_index(const std::string& dir, const SegmentInfo& segment, std::int64_t max_timestamp_us,
                   const std::vector<format::IndexEntry>& entries);

inline constexpr std::uint64_t kIndexIntervalBytes = 4096;

}  // namespace strata::detail
