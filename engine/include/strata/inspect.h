// A log directory as it is on disk, for tools and health checks: what `strata stat` and `strata verify`
// print. Read-only: no lock is taken and nothing is changed (unlike opening the Log, whose recovery zeroes a
// torn tail), so these run beside a writer in another process, which may be ahead of what they show.
//
// Threads: any; each call reads the directory afresh.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "strata/compression.h"
#include "strata/consumer_group.h"
#include "strata/log.h"
#include "strata/status.h"

namespace strata {

struct SegmentDescription {
  std::string path;               // the segment file, <dir>/<topic>-<partition>/<20-digit base offset>.log
  std::uint64_t base_offset = 0;  // its first offset
  std::uint64_t next_offset = 0;  // one past its last event
  std::uint64_t data_bytes = 0;   // file position after its last valid batch (the rest is preallocation)
  bool sealed = false;            // sealed segments are immutable; the last unsealed one is active
  std::int64_t max_timestamp_us = 0;  // its newest event's timestamp (0 when empty)
};

struct PartitionDescription {
  std::uint32_t partition = 0;
  std::string dir;                 // <dir>/<topic>-<partition>
  std::uint64_t first_offset = 0;  // the earliest offset kept
  std::uint64_t next_offset = 0;   // one past the last valid event on disk
  std::uint64_t data_bytes = 0;    // the segments' data_bytes, summed
  std::vector<SegmentDescription> segments;  // in offset order
  // Compaction: sealed data below the last pass's end (clean) and past it (dirty); the dirty ratio is
  // dirty / (clean + dirty), what the cleaner compares with min.cleanable.dirty.ratio.
  std::uint64_t clean_bytes = 0;
  std::uint64_t dirty_bytes = 0;
  double dirty_ratio() const {
    return clean_bytes + dirty_bytes == 0 ? 0.0
                                          : static_cast<double>(dirty_bytes) / static_cast<double>(clean_bytes + dirty_bytes);
  }
};

struct GroupDescription {
  std::string name;
  std::vector<GroupPartitionOffset> offsets;  // the topic's partitions only; lag = next_offset - committed
};

struct TopicDescription {
  TopicInfo info;  // info.compression is the codec of the batches the engine frames itself
  // The codecs the stored batches use, in order of first appearance (partition 0 first): a Kafka client's
  // batches are stored as the client compressed them, whatever info.compression says. Empty without batches.
  std::vector<Compression> stored_compressions;
  std::vector<PartitionDescription> partitions;
  std::vector<GroupDescription> groups;  // consumer groups with a checkpoint on this topic
};

// The topics of the log in `dir`, by name; only `topic` when it is not empty (kNotFound when missing).
// Sealed segments are described from their index files (or a scan where an index is missing or bad), the
// active one from a scan of its valid batches.
Result<std::vector<TopicDescription>> describe_log(const std::string& dir, std::string_view topic = {});

struct VerifyProblem {
  std::string file;
  std::uint64_t position = 0;  // byte position in `file` where the problem starts
  std::string reason;
};

struct VerifyReport {
  std::uint64_t segments = 0;
  std::uint64_t events = 0;
  std::uint64_t bytes = 0;  // valid batch bytes checked
  std::vector<VerifyProblem> problems;  // empty when every batch and record checks out
};

// Checks every batch (framing, CRC-32C, offsets) and every record (decoding, headers) of every segment of
// `topic` (every topic when empty), whatever the index files say. A problem is reported, never skipped;
// an error is returned only when the directory cannot be read. `progress` (may be empty) is called after
// each segment with its path.
Result<VerifyReport> verify_log(const std::string& dir, std::string_view topic,
                                const std::function<void(const std::string& segment_path)>& progress = {});

}  // namespace strata
