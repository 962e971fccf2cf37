// Recovery and the description of a partition's segments. Sealed segments are trusted by their index file;
// the active (last, unsealed) segment is scanned batch by batch from position 0, and everything after the
// last valid batch (a torn or half-written tail) is dropped and zeroed on disk.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/format.h"
#include "engine/idempotence.h"
#include "strata/status.h"

namespace strata::detail {

struct SegmentInfo {
  std::uint64_t base_offset = 0;
  std::uint64_t next_offset = 0;  // one past its last event
  std::uint64_t data_end = 0;     // file position after its last batch
  bool sealed = false;
  std::int64_t max_timestamp_us = 0;  // newest event's timestamp (0 when empty)
};

struct ScanResult {
  std::uint64_t next_offset = 0;
  std::uint64_t valid_end = 0;  // file position after the last valid batch
  std::uint64_t file_bytes = 0;
  std::uint64_t batches = 0;
  std::int64_t max_timestamp_us = 0;
  std::string problem;                 // why the scan stopped early, with file and position; empty at end
  std::uint64_t problem_position = 0;  // where the invalid batch starts, when `problem` is set
  std::string problem_reason;          // what is wrong with it, when `problem` is set
  std::vector<format::IndexEntry> index;
};

// Reads the segment at `path` (whose first offset is `base_offset`) batch by batch, stopping at the end of
// data or the first invalid batch (`problem` says where and why). Each valid batch's header goes to
// `sequences` when given. Fails only when the file cannot be read.
Result<ScanResult> scan_segment(const std::string& path, std::uint64_t base_offset,
                                ProducerSequences* sequences = nullptr);

// Base offsets of the segment files in `partition_dir`, ascending. kUnsupported naming the file when it
// holds a segment of strata's format 1.
Result<std::vector<std::uint64_t>> list_segment_bases(const std::string& partition_dir);
std::string segment_path(const std::string& partition_dir, std::uint64_t base_offset);
std::string index_path(const std::string& partition_dir, std::uint64_t base_offset);

// Reads and checks a sealed segment's index file.
Result<SegmentInfo> read_index(const std::string& partition_dir, std::uint64_t base_offset,
                               std::vector<format::IndexEntry>* entries);
// Writes the index (via a temporary file and rename), synced, directory synced: the segment is then sealed.
Status write_index(const std::string& partition_dir, const SegmentInfo& segment,
                   const std::vector<format::IndexEntry>& entries);

// What a partition holds, read-only (no lock, nothing changed): sealed segments from their indexes (or a
// scan where an index is missing or bad), the last unsealed one from a scan of its valid batches. The one
// place that reads indexes or scans for readers, retention, stat, verify and seek_time.
Result<std::vector<SegmentInfo>> describe_segments(const std::string& partition_dir);

struct RecoveredPartition {
  std::vector<SegmentInfo> segments;             // in offset order; the last one is active unless sealed
  std::vector<format::IndexEntry> active_index;  // sparse index of the active segment, from the scan
  ProducerSequences sequences;  // from the batch headers of the last sealed segment and the active one
  std::string report;           // what recovery did, for stats and logs; empty when nothing happened
};

// Recovers the partition directory `dir` (which exists). Zeroes a torn tail, rebuilds a missing or corrupt
// index of a sealed segment (with its true newest timestamp). An empty directory gives no segments.
// The zeroed tail is not synced here: the caller fsyncs the active segment before anything is appended to
// it (PartitionWriter::open adds it to the DeferredSyncs that LogCore::open_partitions runs).
Result<RecoveredPartition> recover_partition(const std::string& dir);

}  // namespace strata::detail
