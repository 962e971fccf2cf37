#include "engine/verify.h"

#include "engine/inspect.h"
#include "io/file.h"
#include "io/read_only_mapping.h"

namespace strata::detail {

namespace {

// Decodes every record of every valid batch up to `valid_end` (the scan already checked each CRC).
void verify_records(const std::string& path, std::uint64_t valid_end, VerifyReport* report) {
  auto file = io::File::open(path, io::OpenMode::kReadOnly);
  if (!file || valid_end == 0) return;
  auto mapping = io::ReadOnlyMapping::map(*file, valid_end, /*populate=*/false);
  if (!mapping) {
    report->problems.push_back({path, 0, mapping.status().message()});
    return;
  }
  const auto bytes = mapping->bytes();
  std::vector<std::byte> scratch;
  std::vector<EventHeader> headers;
  for (std::uint64_t position = 0; position < bytes.size();) {
    const format::BatchHeader header = format::decode_batch_header(bytes.subspan(position));
    std::string bad_headers;
    Status status = format::for_each_record(
        bytes.subspan(position, header.total_bytes()), header, &scratch,
        [&](const format::RecordFields& record, std::uint64_t offset, std::int64_t) {
          if (record.header_count > 0 && !format::decode_headers(record.headers, record.header_count, &headers)) {
            bad_headers = "the headers of offset " + std::to_string(offset) + " do not decode";
          }
        });
    if (status.is_ok() && !bad_headers.empty()) status = corruption(bad_headers);
    if (!status.is_ok()) report->problems.push_back({path, position, status.message()});
    position += header.total_bytes();
  }
}

}  // namespace

Result<VerifyReport> verify_log(const std::string& dir, const std::string& topic,
                                const std::function<void(const std::string&)>& progress) {
  auto topics = describe_log(dir, topic);
  if (!topics) return topics.status();
  VerifyReport report;
  for (const TopicDescription& description : *topics) {
    for (const PartitionDescription& partition : description.partitions) {
      std::uint64_t expected_base = partition.first_offset;
      for (std::size_t i = 0; i < partition.segments.size(); ++i) {
        const SegmentInfo& segment = partition.segments[i];
        const bool last = i + 1 == partition.segments.size();
        const std::string path = segment_path(partition.dir, segment.base_offset);
        ++report.segments;
        if (segment.base_offset != expected_base) {
          report.problems.push_back({path, 0,
                                     "starts at offset " + std::to_string(segment.base_offset) +
                                         ", but the segment before ends at " + std::to_string(expected_base)});
        }
        // A full scan, whatever the index says: every batch's CRC and framing, then every record.
        auto scan = scan_segment(path, segment.base_offset);
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
        } else if (segment.sealed && scan->next_offset != segment.next_offset) {
          report.problems.push_back({path, scan->valid_end,
                                     "data ends at offset " + std::to_string(scan->next_offset) +
                                         ", its index says " + std::to_string(segment.next_offset)});
        }
        verify_records(path, scan->valid_end, &report);
        // After a damaged batch the index still knows where the segment ends; trust it for the next one.
        expected_base = segment.sealed ? segment.next_offset : scan->next_offset;
        if (progress) progress(path);
      }
    }
  }
  return report;
}

}  // namespace strata::detail
