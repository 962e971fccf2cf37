// Where a restarted mirror resumes one partition, from what the destination partition ends with: the same
// rule for both directions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "strata/status.h"

namespace strata::mirror {

struct DestinationEnd {
  std::uint64_t end_offset = 0;                     // one past the destination's last record
  bool empty = true;                                // the destination partition holds no record
  std::optional<std::uint64_t> last_source_offset;  // the last record's strata.source-offset
};

struct ResumePoint {
  std::uint64_t source_offset = 0;  // the first source offset to copy
  // Destination offsets so far equal source offsets (an empty destination partition, or a last record whose
  // offset is its source offset), so the records this run copies should keep that.
  bool offsets_equal = false;
};

// After the last record's source offset; at `source_start` when the destination is empty. A non-empty
// destination without the header is kInvalidArgument naming `where`, unless `force`: then the destination's
// end offset is taken as the source offset to resume at (offsets taken as 1:1).
Result<ResumePoint> resume_point(const std::string& where, const DestinationEnd& destination,
                                 std::uint64_t source_start, bool force);

}  // namespace strata::mirror
