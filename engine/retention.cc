#include "engine/retention.h"

#include "engine/compactor.h"
#include "engine/key_index.h"
#include "engine/recovery.h"
#include "engine/segment_mappings.h"
#include "io/file.h"

namespace strata::detail {

Result<RetentionResult> apply_retention(const std::string& partition_dir, const RetentionPolicy& policy,
                                        std::int64_t now_us) {
  std::lock_guard lock(segment_files_mutex(partition_dir));  // not while compaction swaps a segment
  auto segments = describe_segments(partition_dir);
  if (!segments) return segments.status();
  RetentionResult result;
  if (segments->empty()) return result;
  result.log_start_offset = segments->front().base_offset;
  if (policy.retention_bytes == 0 && policy.retention_age.count() == 0) return result;
  std::uint64_t total_bytes = 0;
  for (const SegmentInfo& segment : *segments) total_bytes += segment.data_end;
  for (const SegmentInfo& segment : *segments) {
    if (!segment.sealed) break;  // the active segment stays
    const bool too_big = policy.retention_bytes != 0 && total_bytes > policy.retention_bytes;
    const bool too_old =
        policy.retention_age.count() != 0 && segment.max_timestamp_us < now_us - policy.retention_age.count();
    if (!too_big && !too_old) break;  // oldest first: once one stays, the newer ones stay too
    // The segment first: a leftover index without its segment is ignored by recovery and readers.
    forget_segment_mappings(segment_path(partition_dir, segment.base_offset));
    STRATA_RETURN_IF_ERROR(io::remove_file(segment_path(partition_dir, segment.base_offset)));
    STRATA_RETURN_IF_ERROR(io::remove_file(index_path(partition_dir, segment.base_offset)));
    STRATA_RETURN_IF_ERROR(io::remove_file(key_file_path(partition_dir, segment.base_offset)));
    total_bytes -= segment.data_end;
    result.log_start_offset = segment.next_offset;
    ++result.deleted;
  }
  if (result.deleted > 0) STRATA_RETURN_IF_ERROR(io::sync_directory(partition_dir));
  return result;
}

}  // namespace strata::detail
