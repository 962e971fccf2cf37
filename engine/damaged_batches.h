// Where a sealed segment's batches fail their checks: every damaged run, not only the first. Each run ends
// at the next valid batch (found by resynchronizing byte by byte), so a segment with two damaged batches
// apart reports two runs. Shared by verify (strata/inspect.h) and repair (strata/repair.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "strata/inspect.h"
#include "strata/repair.h"

namespace strata::detail {

// The whole file at `path`.
Result<std::vector<std::byte>> read_whole_file(const std::string& path);

// The damaged runs of `segment` (sealed) of topic/partition, whose offsets end where the next segment's
// begin (`end_offset`). Its index's data end is trusted when it agrees with `end_offset`; else the whole file
// is scanned. An error only when the file cannot be read.
Result<std::vector<DamagedBatch>> damaged_runs(const std::string& topic, std::uint32_t partition,
                                               const SegmentDescription& segment, std::uint64_t end_offset);

}  // namespace strata::detail
