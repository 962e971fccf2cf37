// Putting a compacted segment in place of the old one, crash-safely (the steps are described in
// engine/compactor.h), and the per-partition lock retention and compaction share.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/recovery.h"
#include "strata/status.h"

namespace strata::detail {

struct CompactedSegment {
  std::string aside_path;                       // the new segment, written and synced
  SegmentInfo info;                             // base, next offset and newest timestamp as before; new data_end
  std::vector<format::IndexEntry> index;        // of the new segment
  std::optional<std::vector<std::byte>> keys;   // its key file, for a key-indexed topic
};

// Replaces the segment at compacted.info.base_offset of `dir` by the new one. Returns false (and removes
// the new one) when the old segment is gone meanwhile (retention deleted it). `step` is called after each
// step (tests stop the process there).
Result<bool> swap_in_compacted(const std::string& dir, const CompactedSegment& compacted,
                               const std::function<void(std::string_view)>& step);

}  // namespace strata::detail
