// strata/inspect.h's verify_log: a full scan of every segment, whatever the indexes say, then every record.
#include "engine/damaged_batches.h"
#include "engine/format.h"
#include "engine/recovery.h"
#include "strata/inspect.h"
#include "strata/stored_batches.h"

namespace strata {

namespace {

// Decodes every record of every valid batch (the scan already reported where the valid batches end).
void verify_records(const std::string& path, VerifyReport* report) {
  BatchProblem where_valid_batches_end;
  const Status read = read_stored_batches(
      path,
      [&](const StoredBatch& batch) {
        const Status records = read_stored_records(batch, [](const StoredRecord&) {});
        if (!records.is_ok()) report->problems.push_back({path, batch.position, records.message()});
      },
      &where_valid_batches_end);
  if (!read.is_ok()) report->problems.push_back({path, 0, read.message()});
}

// A sealed segment's damaged batches, every one (the scan stops at the first; the batches after each are
// checked for framing and CRC, their records not decoded), and the events of the rest. False when it cannot
// say more than the scan: the file does not read, or no damaged run is found.
bool report_damaged_runs(const std::string& topic, std::uint32_t partition, const SegmentDescription& segment,
                         std::uint64_t end_offset, VerifyReport* report) {
  auto runs = detail::damaged_runs(topic, partition, segment, end_offset);
  if (!runs || runs->empty()) return false;
  std::uint64_t damaged_offsets = 0;
  for (const DamagedBatch& run : *runs) {
    report->problems.push_back({segment.path, run.position, run.reason});
    damaged_offsets += run.end_offset - run.first_offset;
  }
  report->events += end_offset - segment.base_offset - damaged_offsets;
  return true;
}

}  // namespace

Result<VerifyReport> verify_log(const std::string& dir, std::string_view topic,
                                const std::function<void(const std::string& segment_path)>& progress) {
  auto topics = describe_log(dir, topic);
  if (!topics) return topics.status();
  VerifyReport report;
  for (const TopicDescription& description : *topics) {
    for (const PartitionDescription& partition : description.partitions) {
      std::uint64_t expected_base = partition.first_offset;
      for (std::size_t i = 0; i < partition.segments.size(); ++i) {
        const SegmentDescription& segment = partition.segments[i];
        const bool last = i + 1 == partition.segments.size();
        const std::string& path = segment.path;
        ++report.segments;
        if (segment.base_offset != expected_base) {
          report.problems.push_back({path, 0,
                                     "starts at offset " + std::to_string(segment.base_offset) +
                                         ", but the segment before ends at " + std::to_string(expected_base)});
        }
        // A full scan, whatever the index says: every batch's CRC and framing, then every record.
        auto scan = detail::scan_segment(path, segment.base_offset);
        if (!scan) {
          report.problems.push_back({path, 0, scan.status().message()});
          continue;
        }
        report.bytes += scan->valid_end;
        const bool every_run_reported = !scan->problem.empty() && segment.sealed && !last &&
                                        report_damaged_runs(description.info.name, partition.partition, segment,
                                                            partition.segments[i + 1].base_offset, &report);
        if (!every_run_reported) {
          report.events += scan->next_offset - segment.base_offset;
          if (!scan->problem.empty()) {
            std::string reason = scan->problem_reason;
            if (last && !segment.sealed) reason += " (torn tail of the active segment: opening the log drops it)";
            report.problems.push_back({path, scan->problem_position, reason});
          } else if (segment.sealed && scan->next_offset != segment.next_offset) {
            report.problems.push_back({path, scan->valid_end,
                                       "data ends at offset " + std::to_string(scan->next_offset) +
                                           ", its index says " + std::to_string(segment.next_offset)});
          }
        }
        verify_records(path, &report);
        // After a damaged batch the index still knows where the segment ends; trust it for the next one.
        expected_base = segment.sealed ? segment.next_offset : scan->next_offset;
        if (progress) progress(path);
      }
    }
  }
  return report;
}

}  // namespace strata
