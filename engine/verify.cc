#include "engine/verify.h"

#include "engine/inspect.h"
#include "engine/recovery.h"
#include "engine/segment_files.h"

namespace strata::detail {

Result<VerifyReport> verify_log(const std::string& dir, const std::string& topic,
                                const std::function<void(const std::string&)>& progress) {
  auto topics = describe_log(dir, topic);
  if (!topics) return topics.status();
  VerifyReport report;
  for (const TopicDescription& description : *topics) {
    const std::string topic_dir = dir + "/" + description.name;
    std::uint64_t expected_base = description.segments.empty() ? 0 : description.segments.front().base_offset;
    for (std::size_t i = 0; i < description.segments.size(); ++i) {
      const SegmentInfo& segment = description.segments[i];
      const bool last = i + 1 == description.segments.size();
      const std::string path = segment_path(topic_dir, segment.base_offset);
      ++report.segments;
      if (segment.base_offset != expected_base) {
        report.problems.push_back({path, 0,
                                   "starts at offset " + std::to_string(segment.base_offset) +
                                       ", but the segment before ends at " + std::to_string(expected_base)});
      }
      // A full scan, whatever the index says: every batch's checksum and framing.
      auto scan = scan_segment(path, UINT64_MAX);
      if (!scan) {
        report.problems.push_back({path, 0, scan.status().message()});
        continue;
      }
      report.events += scan->next_offset - segment.base_offset;
      report.bytes += scan->valid_end;
      if (!scan->problem.empty()) {
        std::string reason = scan->problem_reason;
        if (last && !segment.sealed) reason += " (torn tail of the active segment: opening the log drops it)";
        report.problems.push_back({path, scan->problem_position, reason});
      } else if (segment.sealed && !scan->sealed) {
        report.problems.push_back(
            {path, scan->valid_end, "its index says sealed, but the data has no seal batch"});
      } else if (segment.sealed && scan->next_offset != segment.next_offset) {
        report.problems.push_back({path, scan->valid_end,
                                   "data ends at offset " + std::to_string(scan->next_offset) +
                                       ", its index says " + std::to_string(segment.next_offset)});
      } else if (!last && !scan->sealed) {
        report.problems.push_back({path, scan->valid_end, "not sealed, but followed by another segment"});
      }
      // After a damaged batch the index still knows where the segment ends; trust it for the next one.
      expected_base = segment.sealed ? segment.next_offset : scan->next_offset;
      if (progress) progress(path);
    }
  }
  return report;
}

}  // namespace strata::detail
