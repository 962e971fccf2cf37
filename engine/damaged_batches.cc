// detail::damaged_runs: a sealed segment checked batch after batch, resynchronizing after each damaged one.
#include "engine/damaged_batches.h"

#include <algorithm>
#include <optional>
#include <span>

#include "engine/format.h"
#include "io/file.h"

namespace strata::detail {

namespace {

// The first position after `from` where a valid batch starting above `after_offset` begins, or nullopt.
std::optional<std::uint64_t> next_valid_batch(std::span<const std::byte> data, std::uint64_t from,
                                              std::uint64_t after_offset, format::BatchHeader* header) {
  for (std::uint64_t at = from; at + format::kBatchHeaderBytes <= data.size(); ++at) {
    if (data[at + format::kMagicAt] != static_cast<std::byte>(format::kMagic)) continue;
    std::string reason;
    if (format::check_batch(data.subspan(at), format::kAnyOffset, header, &reason) ==
            format::BatchCheck::kValid &&
        header->base_offset > after_offset) {
      return at;
    }
  }
  return std::nullopt;
}

// The damaged runs of one sealed segment holding offsets [base, end) in its first data_end bytes.
void find_in_segment(const std::string& topic, std::uint32_t partition, const std::string& path,
                     std::span<const std::byte> data, std::uint64_t base, std::uint64_t end,
                     std::vector<DamagedBatch>* found) {
  std::uint64_t position = 0;
  std::uint64_t expected = base;
  while (position < data.size() && expected < end) {
    format::BatchHeader header;
    std::string reason;
    const format::BatchCheck check = format::check_batch(data.subspan(position), expected, &header, &reason);
    if (check == format::BatchCheck::kValid) {
      position += header.total_bytes();
      expected = header.next_offset();
      continue;
    }
    if (check == format::BatchCheck::kEndOfData)
      reason = "no batch where offset " + std::to_string(expected) + " should be";
    format::BatchHeader next;
    const auto resumed = next_valid_batch(data, position + 1, expected, &next);
    const std::uint64_t run_end = resumed ? next.base_offset : end;
    found->push_back({topic, partition, path, position, (resumed ? *resumed : data.size()) - position,
                      expected, std::min(run_end, end), reason});
    if (!resumed) return;
    position = *resumed;
    expected = next.base_offset;
  }
  if (expected < end) {
    found->push_back({topic, partition, path, position, 0, expected, end,
                      "the data ends before offset " + std::to_string(expected)});
  }
}

}  // namespace

Result<std::vector<std::byte>> read_whole_file(const std::string& path) {
  auto file = io::File::open(path, io::OpenMode::kReadOnly);
  if (!file) return file.status();
  auto size = file->size();
  if (!size) return size.status();
  std::vector<std::byte> bytes(*size);
  auto read = file->read_at(bytes, 0);
  if (!read) return read.status();
  if (*read != bytes.size()) return Status(StatusCode::kIoError, path + ": short read");
  return bytes;
}

Result<std::vector<DamagedBatch>> damaged_runs(const std::string& topic, std::uint32_t partition,
                                               const SegmentDescription& segment, std::uint64_t end_offset) {
  auto bytes = read_whole_file(segment.path);
  if (!bytes) return bytes.status();
  // Its index's data end when the index agrees; else the whole file (a damaged index is rebuilt too).
  const bool index_agrees = segment.next_offset == end_offset && segment.data_bytes <= bytes->size();
  const std::span<const std::byte> data =
      std::span<const std::byte>(*bytes).first(index_agrees ? segment.data_bytes : bytes->size());
  std::vector<DamagedBatch> found;
  find_in_segment(topic, partition, segment.path, data, segment.base_offset, end_offset, &found);
  return found;
}

}  // namespace strata::detail
