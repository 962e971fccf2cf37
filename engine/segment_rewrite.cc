#include "engine/segment_rewrite.h"

#include <algorithm>
#include <string>
#include <unordered_map>

#include "engine/compression.h"
#include "engine/format.h"
#include "engine/key_index.h"

namespace strata::detail {

namespace {

using format::BatchHeader;

// A run of dropped batches, written as one empty batch over its offsets.
struct DroppedRun {
  bool open = false;
  std::uint64_t begin = 0;
  std::uint64_t next = 0;
  std::int64_t max_timestamp_ms = 0;
  std::int32_t leader_epoch = 0;
};

// The base offset of each idempotent producer's last batch in the segment (headers only).
std::unordered_map<std::int64_t, std::uint64_t> last_batch_of_producers(std::span<const std::byte> segment) {
  std::unordered_map<std::int64_t, std::uint64_t> last;
  for (std::size_t position = 0; position + format::kBatchHeaderBytes <= segment.size();) {
    const BatchHeader header = format::decode_batch_header(segment.subspan(position));
    if (header.batch_length == 0 || header.total_bytes() < format::kBatchHeaderBytes) break;
    if (header.producer_id >= 0) last[header.producer_id] = header.base_offset;
    position += header.total_bytes();
  }
  return last;
}

void store_crc(std::span<std::byte> batch) {
  format::store_be<std::uint32_t>(batch.data() + format::kCrcAt,
                                  format::crc32c(batch.subspan(format::kAttributesAt)));
}

Status write_dropped_run(DroppedRun* run, const ByteSink& sink) {
  if (!run->open) return Status::ok();
  run->open = false;
  std::byte batch[format::kBatchHeaderBytes] = {};
  format::store_be<std::uint64_t>(batch + format::kBaseOffsetAt, run->begin);
  format::store_be<std::uint32_t>(batch + format::kBatchLengthAt,
                                  format::kBatchHeaderBytes - format::kBatchLengthOverhead);
  format::store_be<std::int32_t>(batch + format::kLeaderEpochAt, run->leader_epoch);
  batch[format::kMagicAt] = static_cast<std::byte>(format::kMagic);
  format::store_be<std::int32_t>(batch + format::kLastOffsetDeltaAt, static_cast<std::int32_t>(run->next - run->begin - 1));
  format::store_be<std::int64_t>(batch + format::kBaseTimestampAt, run->max_timestamp_ms);
  format::store_be<std::int64_t>(batch + format::kMaxTimestampAt, run->max_timestamp_ms);
  format::store_be<std::int64_t>(batch + format::kProducerIdAt, -1);
  format::store_be<std::int16_t>(batch + format::kProducerEpochAt, -1);
  format::store_be<std::int32_t>(batch + format::kBaseSequenceAt, -1);
  store_crc(batch);
  return sink(batch);
}

void extend_dropped_run(DroppedRun* run, const BatchHeader& header, std::span<const std::byte> batch) {
  if (!run->open) {
    *run = {true, header.base_offset, header.base_offset, header.max_timestamp_ms,
            format::load_be<std::int32_t>(batch.data() + format::kLeaderEpochAt)};
  }
  run->next = header.next_offset();
  run->max_timestamp_ms = std::max(run->max_timestamp_ms, header.max_timestamp_ms);
}

// The batch's header with `count` surviving records (their encodings, uncompressed, in `kept`).
Status write_filtered_batch(std::span<const std::byte> batch, const BatchHeader& header,
                            std::span<const std::byte> kept, std::int32_t count, std::vector<std::byte>* out,
                            const ByteSink& sink) {
  out->assign(batch.begin(), batch.begin() + format::kBatchHeaderBytes);
  std::uint16_t attributes = header.attributes;
  if (count == 0) attributes &= static_cast<std::uint16_t>(~format::kCompressionMask);  // nothing to compress
  if ((attributes & format::kCompressionMask) != 0) {
    STRATA_RETURN_IF_ERROR(format::compress(header.compression(), kept, out));
  } else {
    out->insert(out->end(), kept.begin(), kept.end());
  }
  std::byte* bytes = out->data();
  format::store_be<std::uint32_t>(bytes + format::kBatchLengthAt,
                                  static_cast<std::uint32_t>(out->size() - format::kBatchLengthOverhead));
  format::store_be<std::uint16_t>(bytes + format::kAttributesAt, attributes);
  format::store_be<std::int32_t>(bytes + format::kRecordsCountAt, count);
  store_crc(*out);
  return sink(*out);
}

// Whether a record stays, counting what goes.
bool keep_record(const format::RecordFields& record, std::uint64_t offset, std::int64_t timestamp_ms,
                 const RewriteRules& rules, RewriteStats* stats) {
  if (record.key.empty()) return true;  // no key: nothing supersedes it
  const std::uint64_t latest = rules.latest->find(key_digest(record.key));
  if (latest != KeyOffsetMap::kAbsent && latest > offset) {
    ++stats->events_removed;
    return false;
  }
  if (record.value_null && timestamp_ms < rules.tombstone_horizon_ms) {
    ++stats->events_removed;
    ++stats->tombstones_removed;
    stats->expired_tombstones.emplace_back(key_hash(record.key), offset);
    return false;
  }
  ++stats->events_kept;
  return true;
}

// The encodings of the batch's surviving records, appended to `kept`; how many.
Result<std::int32_t> filter_records(std::span<const std::byte> records, const BatchHeader& header,
                                    const RewriteRules& rules, std::vector<std::byte>* kept, RewriteStats* stats) {
  const std::byte* in = records.data();
  const std::byte* end = records.data() + records.size();
  std::int32_t count = 0;
  for (std::int32_t i = 0; i < header.records_count; ++i) {
    const std::byte* start = in;
    format::RecordFields record;
    if (!format::decode_record(&in, end, &record)) return corruption("record " + std::to_string(i) + " does not decode");
    const std::uint64_t offset = header.base_offset + static_cast<std::uint64_t>(record.offset_delta);
    const std::int64_t timestamp_ms =
        header.log_append_time() ? header.max_timestamp_ms : header.base_timestamp_ms + record.timestamp_delta_ms;
    if (keep_record(record, offset, timestamp_ms, rules, stats)) {
      kept->insert(kept->end(), start, in);
      ++count;
    }
  }
  if (in != end) return corruption("the batch has " + std::to_string(end - in) + " bytes after its records");
  return count;
}

}  // namespace

Status rewrite_segment(std::span<const std::byte> segment, std::uint64_t base_offset, const std::string& path,
                       const RewriteRules& rules, const ByteSink& sink, RewriteStats* stats) {
  const auto last_of_producer = last_batch_of_producers(segment);
  DroppedRun dropped;
  std::vector<std::byte> scratch;
  std::vector<std::byte> kept;
  std::vector<std::byte> out;
  std::uint64_t next = base_offset;
  for (std::size_t position = 0; position < segment.size();) {
    BatchHeader header;
    std::string reason;
    const auto where = [&] { return path + " at position " + std::to_string(position); };
    const auto check = format::check_batch(segment.subspan(position), next, &header, &reason);
    if (check == format::BatchCheck::kEndOfData) break;
    if (check == format::BatchCheck::kInvalid) return corruption(where() + ": " + reason);
    const auto batch = segment.subspan(position, header.total_bytes());
    next = header.next_offset();
    if ((header.attributes & (format::kControlFlag | format::kTransactionalFlag)) != 0) {
      STRATA_RETURN_IF_ERROR(write_dropped_run(&dropped, sink));
      STRATA_RETURN_IF_ERROR(sink(batch));
      position += batch.size();
      continue;
    }
    auto records = format::batch_records(batch, header, &scratch);
    if (!records) return std::move(records.status()).with_context(where());
    kept.clear();
    auto count = filter_records(*records, header, rules, &kept, stats);
    if (!count) return std::move(count.status()).with_context(where());
    const auto last = last_of_producer.find(header.producer_id);
    const bool producer_state = last != last_of_producer.end() && last->second == header.base_offset;
    if (*count == header.records_count) {
      STRATA_RETURN_IF_ERROR(write_dropped_run(&dropped, sink));
      STRATA_RETURN_IF_ERROR(sink(batch));
    } else if (*count > 0 || producer_state) {
      STRATA_RETURN_IF_ERROR(write_dropped_run(&dropped, sink));
      STRATA_RETURN_IF_ERROR(write_filtered_batch(batch, header, kept, *count, &out, sink));
    } else {
      extend_dropped_run(&dropped, header, batch);
    }
    position += batch.size();
  }
  return write_dropped_run(&dropped, sink);
}

}  // namespace strata::detail
