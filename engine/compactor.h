// Compaction of a partition (cleanup.policy=compact): a pass keeps, of the events in its cleanable range,
// each key's latest one, and drops a latest event that is a tombstone (null value) once it is older than
// delete.retention.ms. Offsets never change (a compacted segment has offset gaps inside its batches, see
// engine/segment_rewrite.h); events without a key are kept.
//
// The cleanable range: the sealed segments from the first on, up to (not including) the first whose newest
// event is younger than min.compaction.lag.ms. The active segment is never compacted. A pass reads the range
// once to map each key (by 128-bit digest) to its latest offset, then rewrites each of its segments that
// loses something:
//   1. the new segment is written aside (<base>.log.strata-compacting, O_DIRECT where the log uses it),
//      fdatasynced, and checked batch by batch (CRC-32C) as its new sparse index is built;
//   2. the old segment's key file and index are removed, the directory synced (a crash from here on leaves
//      a sealed segment without an index: recovery rebuilds it from whichever segment file is in place);
//   3. the new segment is renamed over the old one, the directory synced;
//   4. its index and (for a key-indexed topic) key file are written, each via a synced rename.
// So a crash at any point leaves the old segment or the new one, whole, and never an index that does not
// describe the segment beside it. A reader holding the old segment mapped keeps reading the old file
// (renaming over it does not change the mapped data); readers that open the segment after step 3 see the
// new one (engine/reader.cc ignores an index whose data_end is past the file's end: the moment between 3 and 4).
// Retention (writer thread) and a pass take segment_files_mutex() around what they delete or rename.
//
// After a pass the partition's checkpoint (strata-cleaned) holds the end of the range cleaned; the dirty
// ratio is the share of sealed bytes past it, which the log's cleaner compares with min.cleanable.dirty.ratio.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "strata/status.h"

namespace strata::detail {

struct CompactionPolicy {
  std::int64_t delete_retention_us = 86'400'000'000;
  std::int64_t min_compaction_lag_us = 0;
};

struct CompactionOptions {
  CompactionPolicy policy;
  std::int64_t now_us = 0;
  bool direct_io = true;
  bool key_index = false;  // write the key files of rewritten segments (strata.key-index=true)
  // Tests: called at each step of a segment's swap ("written", "old-index-removed", "renamed",
  // "index-written", "done").
  std::function<void(std::string_view step)> step_hook;
  // Checked before each segment: true stops the pass there (the log is closing): kClosed.
  std::function<bool()> cancelled;
};

struct CompactionResult {
  std::uint64_t segments_cleaned = 0;    // sealed segments in the cleanable range
  std::uint64_t segments_rewritten = 0;
  std::uint64_t bytes_read = 0;           // data of the cleanable range before the pass
  std::uint64_t bytes_written = 0;        // data of the rewritten segments
  std::uint64_t bytes_reclaimed = 0;
  std::uint64_t events_kept = 0;
  std::uint64_t events_removed = 0;
  std::uint64_t tombstones_removed = 0;
  std::uint64_t cleaned_through = 0;      // offsets below were in the cleanable range
  // (xxh3-64 of the key, offset) of each tombstone dropped while its key's latest event: the key has no
  // event any more (the live key index forgets it).
  std::vector<std::pair<std::uint64_t, std::uint64_t>> expired_tombstones;
};

// One pass over the partition directory `dir`. kCorruption naming the file when a segment fails its checks
// (nothing is changed for that segment or after it).
Result<CompactionResult> compact_partition(const std::string& dir, const CompactionOptions& options);

struct DirtyRatio {
  std::uint64_t clean_bytes = 0;  // sealed data below the checkpoint
  std::uint64_t dirty_bytes = 0;  // sealed data past it
  double ratio() const {
    return clean_bytes + dirty_bytes == 0 ? 0.0 : static_cast<double>(dirty_bytes) / static_cast<double>(clean_bytes + dirty_bytes);
  }
};
// What a pass would find dirty in `dir` now (read-only).
Result<DirtyRatio> dirty_ratio(const std::string& dir);

// Held while segment files of the partition in `dir` are removed or renamed (retention, compaction).
std::mutex& segment_files_mutex(const std::string& dir);

}  // namespace strata::detail
