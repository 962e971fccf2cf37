#include "engine/compactor.h"

#include <cstring>
#include <optional>
#include <unordered_map>

#include "engine/aside_writer.h"
#include "engine/format.h"
#include "engine/key_index.h"
#include "engine/key_offset_map.h"
#include "engine/recovery.h"
#include "engine/segment_rewrite.h"
#include "engine/segment_swap.h"
#include "io/file.h"
#include "io/read_only_mapping.h"

namespace strata::detail {

namespace {

// ---- the checkpoint (strata-cleaned) ----

std::uint64_t read_checkpoint(const std::string& dir) {
  auto bytes = io::read_small_file(dir + "/" + std::string(format::kCleanedFile), format::kCleanedFileBytes);
  if (!bytes || bytes->size() != format::kCleanedFileBytes ||
      std::memcmp(bytes->data(), format::kCleanedMagic, sizeof format::kCleanedMagic) != 0) {
    return 0;  // derived: none, or unreadable, means nothing is known to be clean
  }
  std::uint64_t offset = 0;
  std::uint64_t checksum = 0;
  std::memcpy(&offset, bytes->data() + 8, 8);
  std::memcpy(&checksum, bytes->data() + 16, 8);
  return format::checksum(std::span(*bytes).first(16)) == checksum ? offset : 0;
}

Status write_checkpoint(const std::string& dir, std::uint64_t offset) {
  std::vector<std::byte> bytes(format::kCleanedFileBytes);
  std::memcpy(bytes.data(), format::kCleanedMagic, sizeof format::kCleanedMagic);
  std::memcpy(bytes.data() + 8, &offset, 8);
  const std::uint64_t checksum = format::checksum(std::span(bytes).first(16));
  std::memcpy(bytes.data() + 16, &checksum, 8);
  return io::replace_file_durably(dir, std::string(format::kCleanedFile), bytes);
}

// ---- the pass ----

bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

Status remove_leftovers(const std::string& dir) {
  auto names = io::list_directory(dir);
  if (!names) return names.status();
  for (const std::string& name : *names) {
    if (ends_with(name, format::kCompactingSuffix)) STRATA_RETURN_IF_ERROR(io::remove_file(dir + "/" + name));
  }
  return Status::ok();
}

// The sealed segments from the first on while their newest event is older than the lag; never the last
// segment (the active one, or one just sealed while the next is being opened).
std::vector<SegmentInfo> cleanable_range(const std::vector<SegmentInfo>& segments, const CompactionOptions& options) {
  std::vector<SegmentInfo> range;
  for (std::size_t i = 0; i + 1 < segments.size(); ++i) {
    if (!segments[i].sealed) break;
    if (segments[i].max_timestamp_us > options.now_us - options.policy.min_compaction_lag_us) break;
    range.push_back(segments[i]);
  }
  return range;
}

Status map_latest_offsets(const std::string& dir, const std::vector<SegmentInfo>& range, KeyOffsetMap* latest) {
  for (const SegmentInfo& segment : range) {
    STRATA_RETURN_IF_ERROR(for_each_segment_key(
        dir, segment.base_offset, segment.data_end,
        [&](std::uint64_t offset, std::span<const std::byte> key, std::uint32_t) {
          if (!key.empty()) latest->put(key_digest(key), offset);
        }));
  }
  return Status::ok();
}

// The key file of a rewritten segment (at `path`, `data_end` bytes): chains within it, gaps for the
// offsets it no longer holds.
Result<std::vector<std::byte>> rewritten_key_file(const std::string& path, const SegmentInfo& info) {
  const std::uint64_t events = info.next_offset - info.base_offset;
  std::vector<std::uint64_t> prev(events, kNoOffset);
  std::vector<std::uint32_t> positions(events, kGapPosition);
  std::unordered_map<std::uint64_t, std::uint64_t> last;
  STRATA_RETURN_IF_ERROR(for_each_key_in_file(
      path, info.base_offset, info.data_end,
      [&](std::uint64_t offset, std::span<const std::byte> key, std::uint32_t position) {
        positions[offset - info.base_offset] = position;
        if (key.empty()) return;
        auto [it, fresh] = last.try_emplace(key_hash(key), offset);
        if (!fresh) {
          prev[offset - info.base_offset] = it->second;
          it->second = offset;
        }
      }));
  return encode_key_file(info.base_offset, prev, positions, {last.begin(), last.end()});
}

// Writes the compacted form of `segment` aside; nullopt when it would lose nothing (or not get smaller).
Result<std::optional<CompactedSegment>> compact_segment(const std::string& dir, const SegmentInfo& segment,
                                                        const RewriteRules& rules, const CompactionOptions& options,
                                                        CompactionResult* result) {
  const std::string path = segment_path(dir, segment.base_offset);
  if (segment.data_end == 0) return std::optional<CompactedSegment>();
  auto file = io::File::open(path, io::OpenMode::kReadOnly);
  if (!file) return file.status();
  auto mapping = io::ReadOnlyMapping::map(*file, segment.data_end, /*populate=*/false);
  if (!mapping) return mapping.status();
  const std::string aside = path + std::string(format::kCompactingSuffix);
  auto writer = AsideWriter::create(aside, options.direct_io);
  if (!writer) return writer.status();
  RewriteStats stats;
  STRATA_RETURN_IF_ERROR(rewrite_segment(mapping->bytes(), segment.base_offset, path, rules,
                                         [&](std::span<const std::byte> bytes) { return writer->append(bytes); },
                                         &stats));
  result->events_kept += stats.events_kept;
  if (stats.events_removed == 0 || writer->size() >= segment.data_end) {
    STRATA_RETURN_IF_ERROR(io::remove_file(aside));
    return std::optional<CompactedSegment>();
  }
  STRATA_RETURN_IF_ERROR(writer->finish());
  // Read back and checked as any sealed segment: every CRC, offsets dense to the same end.
  auto scan = scan_segment(aside, segment.base_offset);
  if (!scan) return scan.status();
  if (!scan->problem.empty() || scan->next_offset != segment.next_offset || scan->valid_end != writer->size()) {
    return corruption(aside + ": the compacted segment does not check out (" + scan->problem + ")");
  }
  CompactedSegment compacted{aside,
                             {segment.base_offset, segment.next_offset, writer->size(), true, segment.max_timestamp_us},
                             std::move(scan->index),
                             std::nullopt};
  if (options.key_index) {
    auto keys = rewritten_key_file(aside, compacted.info);
    if (!keys) return keys.status();
    compacted.keys = std::move(keys.value());
  }
  result->events_removed += stats.events_removed;
  result->tombstones_removed += stats.tombstones_removed;
  result->expired_tombstones.insert(result->expired_tombstones.end(), stats.expired_tombstones.begin(),
                                    stats.expired_tombstones.end());
  return std::optional<CompactedSegment>(std::move(compacted));
}

}  // namespace

Result<CompactionResult> compact_partition(const std::string& dir, const CompactionOptions& options) {
  STRATA_RETURN_IF_ERROR(remove_leftovers(dir));
  auto segments = describe_segments(dir);
  if (!segments) return segments.status();
  const std::vector<SegmentInfo> range = cleanable_range(*segments, options);
  CompactionResult result;
  result.segments_cleaned = range.size();
  if (range.empty()) return result;
  KeyOffsetMap latest;
  STRATA_RETURN_IF_ERROR(map_latest_offsets(dir, range, &latest));
  const RewriteRules rules{&latest, (options.now_us - options.policy.delete_retention_us) / 1000};
  for (const SegmentInfo& segment : range) {
    if (options.cancelled && options.cancelled()) {
      return Status(StatusCode::kClosed, "compaction of " + dir + " stopped: the log is closing");
    }
    result.bytes_read += segment.data_end;
    auto compacted = compact_segment(dir, segment, rules, options, &result);
    if (!compacted) return compacted.status();
    if (!compacted->has_value()) continue;
    auto swapped = swap_in_compacted(dir, **compacted, options.step_hook);
    if (!swapped) return swapped.status();
    if (!*swapped) continue;
    ++result.segments_rewritten;
    result.bytes_written += (*compacted)->info.data_end;
    result.bytes_reclaimed += segment.data_end - (*compacted)->info.data_end;
  }
  result.cleaned_through = range.back().next_offset;
  STRATA_RETURN_IF_ERROR(write_checkpoint(dir, result.cleaned_through));
  return result;
}

Result<DirtyRatio> dirty_ratio(const std::string& dir) {
  auto segments = describe_segments(dir);
  if (!segments) return segments.status();
  const std::uint64_t checkpoint = read_checkpoint(dir);
  DirtyRatio ratio;
  for (std::size_t i = 0; i + 1 < segments->size(); ++i) {
    const SegmentInfo& segment = (*segments)[i];
    (segment.next_offset <= checkpoint ? ratio.clean_bytes : ratio.dirty_bytes) += segment.data_end;
  }
  return ratio;
}

}  // namespace strata::detail
