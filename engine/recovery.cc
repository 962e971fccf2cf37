#include "engine/recovery.h"

#include <algorithm>
#include <cstring>

#include "engine/segment_files.h"
#include "io/file.h"
#include "io/read_only_mapping.h"

namespace strata::detail {

namespace {

std::string position_text(const std::string& path, std::uint64_t position) {
  return path + " at position " + std::to_string(position);
}

}  // namespace

Result<ScanResult> scan_segment(const std::string& path, std::uint64_t index_interval_bytes) {
  auto file = io::File::open(path, io::OpenMode::kReadOnly);
  if (!file) return file.status();
  auto size = file->size();
  if (!size) return size.status();
  ScanResult result;
  result.file_bytes = *size;
  if (result.file_bytes < format::kSegmentHeaderBytes) {
    return corruption(path + ": " + std::to_string(result.file_bytes) +
                      " bytes, shorter than a segment header");
  }
  // Mapping is safe here: scans run before any writer starts, or on files no writer touches (invariant 5).
  auto mapping = io::ReadOnlyMapping::map(*file, result.file_bytes, /*populate=*/false);
  if (!mapping) return mapping.status();
  const std::span<const std::byte> bytes = mapping->bytes();

  std::uint64_t base_offset = 0;
  if (Status status = format::decode_segment_header(bytes, &base_offset); !status.is_ok()) {
    return std::move(status).with_context(path);
  }
  std::uint64_t position = format::kSegmentHeaderBytes;
  std::uint64_t expected = base_offset;
  std::uint64_t last_indexed = 0;
  bool first = true;
  while (true) {
    format::BatchInfo info{};
    std::string reason;
    const format::BatchCheck check = format::check_batch(bytes.subspan(position), expected, &info, &reason);
    if (check == format::BatchCheck::kEndOfData) break;
    if (check == format::BatchCheck::kInvalid) {
      result.problem_position = position;
      result.problem_reason = reason;
      result.problem = position_text(path, position) + ": " + reason;
      break;
    }
    if (info.header.kind == format::BatchKind::kSeal) {
      result.sealed = true;
      position += info.padded_bytes;
      break;
    }
    if (first || position - last_indexed >= index_interval_bytes) {
      result.index.push_back({static_cast<std::uint32_t>(expected - base_offset),
                              static_cast<std::uint32_t>(position), info.header.base_timestamp_us});
      last_indexed = position;
      first = false;
    }
    expected += info.header.record_count;
    position += info.padded_bytes;
  }
  result.next_offset = expected;
  // A file cut inside the zero padding after its last batch still holds that batch whole; the next batch
  // belongs at the aligned position, where every later scan will look for it.
  result.valid_end = format::padded_batch_bytes(position);
  return result;
}

Result<SegmentInfo> read_index(const std::string& path, std::uint64_t base_offset,
                               std::vector<format::IndexEntry>* entries) {
  auto file = io::File::open(path, io::OpenMode::kReadOnly);
  if (!file) return file.status();
  format::IndexHeader header{};
  auto got = file->read_at({reinterpret_cast<std::byte*>(&header), sizeof header}, 0);
  if (!got) return got.status();
  if (*got != sizeof header || std::memcmp(header.magic, format::kIndexMagic, sizeof header.magic) != 0 ||
      header.version != format::kFormatVersion || header.base_offset != base_offset ||
      header.entry_count > (1u << 28)) {
    return corruption(path + ": not a valid index header");
  }
  std::vector<format::IndexEntry> read_entries(header.entry_count);
  const std::size_t entry_bytes = read_entries.size() * sizeof(format::IndexEntry);
  got = file->read_at({reinterpret_cast<std::byte*>(read_entries.data()), entry_bytes}, sizeof header);
  if (!got) return got.status();
  if (*got != entry_bytes) return corruption(path + ": index truncated");
  std::uint64_t sum = format::checksum(
      {reinterpret_cast<const std::byte*>(&header), offsetof(format::IndexHeader, checksum)});
  sum ^= format::checksum({reinterpret_cast<const std::byte*>(read_entries.data()), entry_bytes});
  if (sum != header.checksum) return corruption(path + ": index checksum mismatch");
  if (entries != nullptr) *entries = std::move(read_entries);
  return SegmentInfo{base_offset, header.next_offset, header.data_end, true, header.max_timestamp_us};
}

Status write_index(const std::string& dir, const SegmentInfo& segment, std::int64_t max_timestamp_us,
                   const std::vector<format::IndexEntry>& entries) {
  format::IndexHeader header{};
  std::memcpy(header.magic, format::kIndexMagic, sizeof header.magic);
  header.version = format::kFormatVersion;
  header.entry_count = static_cast<std::uint32_t>(entries.size());
  header.base_offset = segment.base_offset;
  header.next_offset = segment.next_offset;
  header.data_end = segment.data_end;
  header.max_timestamp_us = max_timestamp_us;
  const std::size_t entry_bytes = entries.size() * sizeof(format::IndexEntry);
  header.checksum = format::checksum({reinterpret_cast<const std::byte*>(&header),
                                      offsetof(format::IndexHeader, checksum)}) ^
                    format::checksum({reinterpret_cast<const std::byte*>(entries.data()), entry_bytes});

  const std::string final_path = dir + "/" + format::index_file_name(segment.base_offset);
  const std::string temporary_path = final_path + ".tmp";
  auto file = io::File::open(temporary_path, io::OpenMode::kReadWriteCreate);
  if (!file) return file.status();
  STRATA_RETURN_IF_ERROR(file->truncate(0));
  STRATA_RETURN_IF_ERROR(file->write_at({reinterpret_cast<const std::byte*>(&header), sizeof header}, 0));
  STRATA_RETURN_IF_ERROR(
      file->write_at({reinterpret_cast<const std::byte*>(entries.data()), entry_bytes}, sizeof header));
  STRATA_RETURN_IF_ERROR(file->sync_all());
  if (::rename(temporary_path.c_str(), final_path.c_str()) != 0) {
    return io_error("rename " + temporary_path + ": " + std::strerror(errno));
  }
  return io::sync_directory(dir);
}

Result<RecoveredTopic> recover_topic(const std::string& dir) {
  RecoveredTopic recovered;
  auto listed = list_segment_bases(dir);
  if (!listed) return listed.status();
  const std::vector<std::uint64_t>& bases = *listed;

  for (std::size_t i = 0; i < bases.size(); ++i) {
    const bool last = i + 1 == bases.size();
    const std::string segment_path = detail::segment_path(dir, bases[i]);
    auto indexed = read_index(index_path(dir, bases[i]), bases[i], nullptr);
    if (indexed) {
      recovered.segments.push_back(*indexed);
      continue;
    }
    // No valid index: a sealed segment whose index write was interrupted, or the active segment.
    auto scan = scan_segment(segment_path, kIndexIntervalBytes);
    if (!scan) return scan.status();
    SegmentInfo info{bases[i], scan->next_offset, scan->valid_end, scan->sealed, INT64_MAX};
    if (!recovered.segments.empty() && recovered.segments.back().next_offset != bases[i]) {
      return corruption(segment_path + ": starts at offset " + std::to_string(bases[i]) +
                        " but the segment before it ends at " +
                        std::to_string(recovered.segments.back().next_offset));
    }
    if (!last && !scan->sealed) {
      return corruption(segment_path + ": not sealed but followed by another segment" +
                        (scan->problem.empty() ? "" : " (" + scan->problem + ")"));
    }
    if (scan->sealed) {
      STRATA_RETURN_IF_ERROR(write_index(dir, info, 0, scan->index));
      recovered.report += "rebuilt the index of " + segment_path + "; ";
    } else {
      // Active segment: whatever follows the last valid batch was never acknowledged. Zero it, so that a
      // stale batch written out of order can never reappear after new data.
      auto file = io::File::open(segment_path, io::OpenMode::kReadWriteCreate);
      if (!file) return file.status();
      if (scan->valid_end < scan->file_bytes) {
        STRATA_RETURN_IF_ERROR(file->zero_range(scan->valid_end, scan->file_bytes - scan->valid_end));
        STRATA_RETURN_IF_ERROR(file->sync_data());
      }
      recovered.active_index = scan->index;
      if (!scan->problem.empty()) {
        recovered.report += "dropped a torn tail of " + segment_path + " (" + scan->problem +
                            "), kept offsets below " + std::to_string(scan->next_offset) + "; ";
      }
    }
    recovered.segments.push_back(info);
  }
  return recovered;
}

}  // namespace strata::detail
