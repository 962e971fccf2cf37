#include "mirror/resume_point.h"

#include <algorithm>

namespace strata::mirror {

Result<ResumePoint> resume_point(const std::string& where, const DestinationEnd& destination,
                                 std::uint64_t source_start, bool force) {
  if (destination.empty) {
    return ResumePoint{.source_offset = source_start, .offsets_equal = source_start == destination.end_offset};
  }
  if (destination.last_source_offset) {
    const std::uint64_t last = *destination.last_source_offset;
    return ResumePoint{.source_offset = last + 1, .offsets_equal = last + 1 == destination.end_offset};
  }
  if (!force) {
    return invalid_argument(where + " is not empty and its last record has no strata.source-offset header: it "
                            "was not written by strata mirror (--force resumes at its end offset, taking offsets "
                            "as 1:1)");
  }
  return ResumePoint{.source_offset = std::max(source_start, destination.end_offset), .offsets_equal = true};
}

}  // namespace strata::mirror
