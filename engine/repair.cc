// strata/repair.h: finding damaged batches in sealed segments and rebuilding them from a copy's events.
#include "strata/repair.h"

#include <algorithm>
#include <filesystem>

#include "engine/damaged_batches.h"
#include "engine/format.h"
#include "engine/recovery.h"
#include "engine/segment_mappings.h"
#include "io/file.h"
#include "strata/file_lock.h"
#include "strata/inspect.h"
#include "strata/record_batch.h"

namespace strata {

namespace {

Result<FileLock> lock_log(const std::string& dir) {
  auto lock = FileLock::acquire(dir + "/LOCK");
  if (!lock && lock.status().code() == StatusCode::kBusy) {
    return Status(StatusCode::kBusy, "the log in " + dir +
                                         " is open in another process (strata serve?): repairs run on a log "
                                         "no process has open");
  }
  return lock;
}

// The damaged batch's own header, when it agrees with where its neighbours put it: its fields are then
// the original's (the damage is in its records).
std::optional<format::BatchHeader> trusted_header(std::span<const std::byte> bytes, const DamagedBatch& damaged) {
  if (damaged.position + format::kBatchHeaderBytes > bytes.size()) return std::nullopt;
  const format::BatchHeader header = format::decode_batch_header(bytes.subspan(damaged.position));
  if (header.base_offset != damaged.first_offset || header.total_bytes() != damaged.bytes ||
      header.next_offset() != damaged.end_offset || header.compression() != Compression::kNone) {
    return std::nullopt;
  }
  return header;
}

// The records of `records` as the original framed them under `header`: the engine's own batches (one
// LogAppendTime for all) or a client's, uncompressed, with its producer fields and timestamps.
std::vector<std::byte> rebuild_like(std::span<const std::byte> original, const format::BatchHeader& header,
                                    std::span<const RepairRecord> records) {
  std::vector<std::byte> batch(format::kBatchHeaderBytes);
  std::vector<std::byte> headers;
  for (std::size_t i = 0; i < records.size(); ++i) {
    const RepairRecord& record = records[i];
    headers.resize(format::encoded_headers_bytes(record.headers));
    format::encode_headers(headers.data(), record.headers);
    const std::size_t at = batch.size();
    batch.resize(at + format::record_bytes_max(record.key.size(), record.value.size(), headers.size()));
    const std::int64_t delta = header.log_append_time() ? 0 : record.timestamp_ms - header.base_timestamp_ms;
    batch.resize(at + format::put_record(batch.data() + at, static_cast<std::int32_t>(i), record.key, record.value,
                                         headers, delta, {.key = record.key_null, .value = record.value_null}));
  }
  std::byte* out = batch.data();
  using namespace format;
  store_be<std::uint64_t>(out + kBaseOffsetAt, header.base_offset);
  store_be<std::uint32_t>(out + kBatchLengthAt, static_cast<std::uint32_t>(batch.size() - kBatchLengthOverhead));
  std::copy_n(original.data() + kLeaderEpochAt, 4, out + kLeaderEpochAt);  // outside the CRC: as it was
  out[kMagicAt] = static_cast<std::byte>(kMagic);
  store_be<std::uint16_t>(out + kAttributesAt, header.attributes);
  store_be<std::int32_t>(out + kLastOffsetDeltaAt, static_cast<std::int32_t>(records.size()) - 1);
  store_be<std::int64_t>(out + kBaseTimestampAt, header.base_timestamp_ms);
  store_be<std::int64_t>(out + kMaxTimestampAt, header.max_timestamp_ms);
  store_be<std::int64_t>(out + kProducerIdAt, header.producer_id);
  store_be<std::int16_t>(out + kProducerEpochAt, header.producer_epoch);
  store_be<std::int32_t>(out + kBaseSequenceAt, header.base_sequence);
  store_be<std::int32_t>(out + kRecordsCountAt, static_cast<std::int32_t>(records.size()));
  store_be<std::uint32_t>(out + kCrcAt, crc32c({out + kAttributesAt, batch.size() - kAttributesAt}));
  return batch;
}

// The stored batch's header agrees with its neighbours, so its records survive but for the damage. The
// copy's events framed under that header (rebuild_like) either give its checksum (the damage was in the
// records: the original, byte for byte) or, as this checks, every stored byte from the attributes on (the
// damage was in the checksum or a header field). Anything else is not this batch's events: the repair
// refuses them rather than put other events at these offsets.
bool same_records(std::span<const std::byte> rebuilt, std::span<const std::byte> stored) {
  return rebuilt.size() == stored.size() &&
         std::equal(rebuilt.begin() + format::kAttributesAt, rebuilt.end(), stored.begin() + format::kAttributesAt);
}

Result<std::vector<std::byte>> rebuild_fresh(std::uint64_t base_offset, std::span<const RepairRecord> records) {
  std::vector<BatchRecord> batch_records;
  batch_records.reserve(records.size());
  for (const RepairRecord& record : records) {
    batch_records.push_back(
        {record.timestamp_ms, record.key, record.value, record.headers, record.key_null, record.value_null});
  }
  auto batch = encode_record_batch(batch_records);
  if (!batch) return batch.status();
  format::set_base_offset(batch->data(), base_offset);
  return batch;
}

Status check_records_match(const DamagedBatch& damaged, std::span<const RepairRecord> records) {
  if (records.size() != damaged.end_offset - damaged.first_offset) {
    return invalid_argument("the copy gave " + std::to_string(records.size()) + " events for offsets " +
                            std::to_string(damaged.first_offset) + "-" + std::to_string(damaged.end_offset - 1));
  }
  for (std::size_t i = 0; i < records.size(); ++i) {
    if (records[i].offset != damaged.first_offset + i) {
      return invalid_argument("the copy's event " + std::to_string(i) + " has offset " +
                              std::to_string(records[i].offset) + ", expected " +
                              std::to_string(damaged.first_offset + i));
    }
  }
  return Status::ok();
}

// Every batch of the repaired segment checks out and its offsets run from `base` to `end`.
Result<detail::ScanResult> check_segment(const std::string& path, std::uint64_t base, std::uint64_t end) {
  auto scan = detail::scan_segment(path, base);
  if (!scan) return scan.status();
  if (!scan->problem.empty()) return Status(StatusCode::kCorruption, "after the repair: " + scan->problem);
  if (scan->next_offset != end) {
    return Status(StatusCode::kCorruption, "after the repair " + path + " ends at offset " +
                                               std::to_string(scan->next_offset) + ", not " + std::to_string(end));
  }
  return scan;
}

}  // namespace

Result<std::vector<DamagedBatch>> find_damaged_batches(const std::string& dir, std::string_view topic) {
  auto lock = lock_log(dir);
  if (!lock) return lock.status();
  auto topics = describe_log(dir, topic);
  if (!topics) return topics.status();
  std::vector<DamagedBatch> found;
  for (const TopicDescription& description : *topics) {
    for (const PartitionDescription& partition : description.partitions) {
      for (std::size_t i = 0; i + 1 < partition.segments.size(); ++i) {
        const SegmentDescription& segment = partition.segments[i];
        if (!segment.sealed) continue;
        // The next segment's base is where this one's offsets end, whatever its own index says.
        auto runs = detail::damaged_runs(description.info.name, partition.partition, segment,
                                         partition.segments[i + 1].base_offset);
        if (!runs) return runs.status();
        found.insert(found.end(), runs->begin(), runs->end());
      }
    }
  }
  return found;
}

Result<RepairOutcome> repair_batch(const std::string& dir, const DamagedBatch& damaged,
                                   std::span<const RepairRecord> records) {
  STRATA_RETURN_IF_ERROR(check_records_match(damaged, records));
  auto lock = lock_log(dir);
  if (!lock) return lock.status();
  auto bytes = detail::read_whole_file(damaged.segment_path);
  if (!bytes) return bytes.status();
  if (damaged.position + damaged.bytes > bytes->size()) {
    return invalid_argument(damaged.segment_path + " is shorter than the damaged batch's end");
  }
  RepairOutcome outcome;
  std::vector<std::byte> rebuilt;
  if (const auto header = trusted_header(*bytes, damaged)) {
    const auto stored = std::span<const std::byte>(*bytes).subspan(damaged.position, damaged.bytes);
    rebuilt = rebuild_like(stored, *header, records);
    outcome.byte_identical = rebuilt.size() == damaged.bytes &&
                             format::load_be<std::uint32_t>(rebuilt.data() + format::kCrcAt) == header->crc;
    if (!outcome.byte_identical && !same_records(rebuilt, stored)) {
      return invalid_argument("the copy's events at offsets " + std::to_string(damaged.first_offset) + "-" +
                              std::to_string(damaged.end_offset - 1) +
                              " are not the damaged batch's: they give neither its CRC-32C nor its surviving "
                              "bytes (a copy of another log?)");
    }
  }
  if (!outcome.byte_identical) {
    auto fresh = rebuild_fresh(damaged.first_offset, records);
    if (!fresh) return fresh.status();
    rebuilt = std::move(fresh.value());
  }
  std::vector<std::byte> repaired(bytes->begin(), bytes->begin() + static_cast<std::ptrdiff_t>(damaged.position));
  repaired.insert(repaired.end(), rebuilt.begin(), rebuilt.end());
  repaired.insert(repaired.end(), bytes->begin() + static_cast<std::ptrdiff_t>(damaged.position + damaged.bytes),
                  bytes->end());

  const std::filesystem::path path(damaged.segment_path);
  const std::string partition_dir = path.parent_path().string();
  const std::string aside = path.filename().string() + ".repaired";
  STRATA_RETURN_IF_ERROR(io::replace_file_durably(partition_dir, aside, repaired));
  std::uint64_t segment_base = 0;
  if (!format::parse_segment_file_name(path.filename().string(), &segment_base)) {
    return invalid_argument(damaged.segment_path + " is not a segment file name");
  }
  auto bases = detail::list_segment_bases(partition_dir);
  if (!bases) return bases.status();
  const auto next = std::upper_bound(bases->begin(), bases->end(), segment_base);
  if (next == bases->end()) return invalid_argument(damaged.segment_path + " is the active segment");
  auto scan = check_segment(partition_dir + "/" + aside, segment_base, *next);
  if (!scan) return scan.status();
  {
    auto file = io::File::open(partition_dir + "/" + aside, io::OpenMode::kReadOnly);
    if (!file) return file.status();
    STRATA_RETURN_IF_ERROR(file->make_read_only());
  }
  detail::forget_segment_mappings(path.string());
  STRATA_RETURN_IF_ERROR(io::rename_durably(partition_dir, aside, path.filename().string()));
  // Its batches moved when the rebuilt one is not the damaged one's size: the index follows them.
  if (rebuilt.size() != damaged.bytes) {
    STRATA_RETURN_IF_ERROR(detail::write_index(
        partition_dir, {segment_base, *next, scan->valid_end, true, scan->max_timestamp_us}, scan->index));
  }
  return outcome;
}

}  // namespace strata
