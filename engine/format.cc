#include "engine/format.h"

#include <xxhash.h>

#include <charconv>
#include <cstdio>

#include "engine/compression.h"
#include "engine/crc32c.h"

namespace strata::format {

std::uint64_t checksum(std::span<const std::byte> bytes) {
  return XXH3_64bits(bytes.data(), bytes.size());
}

BatchHeader decode_batch_header(std::span<const std::byte> bytes) {
  STRATA_ASSERT(bytes.size() >= kBatchHeaderBytes, "batch header of %zu bytes", bytes.size());
  const std::byte* b = bytes.data();
  BatchHeader header;
  header.base_offset = load_be<std::uint64_t>(b + kBaseOffsetAt);
  header.batch_length = load_be<std::uint32_t>(b + kBatchLengthAt);
  header.crc = load_be<std::uint32_t>(b + kCrcAt);
  header.attributes = load_be<std::uint16_t>(b + kAttributesAt);
  header.last_offset_delta = load_be<std::int32_t>(b + kLastOffsetDeltaAt);
  header.base_timestamp_ms = load_be<std::int64_t>(b + kBaseTimestampAt);
  header.max_timestamp_ms = load_be<std::int64_t>(b + kMaxTimestampAt);
  header.producer_id = load_be<std::int64_t>(b + kProducerIdAt);
  header.producer_epoch = load_be<std::int16_t>(b + kProducerEpochAt);
  header.base_sequence = load_be<std::int32_t>(b + kBaseSequenceAt);
  header.records_count = load_be<std::int32_t>(b + kRecordsCountAt);
  return header;
}

// ---- varints ----

std::size_t put_long_uvarint(std::byte* out, std::uint64_t value) {
  std::size_t n = 0;
  while (value >= 0x80) {
    out[n++] = static_cast<std::byte>((value & 0x7f) | 0x80);
    value >>= 7;
  }
  out[n++] = static_cast<std::byte>(value);
  return n;
}

namespace {

[[gnu::always_inline]] inline bool read_varint(const std::byte** in, const std::byte* end, std::int64_t* value) {
  const std::byte* p = *in;
  // One and two bytes without the loop: nearly every varint of a record (lengths, deltas, counts) is that
  // short, and readers decode six per record.
  if (end - p >= 2) [[likely]] {
    const auto first = static_cast<std::uint64_t>(p[0]);
    if (first < 0x80) {
      *in = p + 1;
      *value = unzigzag(first);
      return true;
    }
    const auto second = static_cast<std::uint64_t>(p[1]);
    if (second < 0x80) {
      *in = p + 2;
      *value = unzigzag((first & 0x7f) | (second << 7));
      return true;
    }
  }
  std::uint64_t result = 0;
  for (unsigned shift = 0; shift < 64 && p < end; shift += 7) {
    const auto byte = static_cast<std::uint64_t>(*p++);
    result |= (byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) {
      *in = p;
      *value = unzigzag(result);
      return true;
    }
  }
  return false;
}

}  // namespace

bool get_varint(const std::byte** in, const std::byte* end, std::int64_t* value) {
  return read_varint(in, end, value);
}

// ---- records ----

std::size_t encoded_headers_bytes(std::span<const EventHeader> headers) {
  std::size_t bytes = varint_bytes(static_cast<std::int64_t>(headers.size()));
  for (const EventHeader& header : headers) {
    bytes += varint_bytes(static_cast<std::int64_t>(header.key.size())) + header.key.size();
    bytes += varint_bytes(static_cast<std::int64_t>(header.value.size())) + header.value.size();
  }
  return bytes;
}

void encode_headers(std::byte* out, std::span<const EventHeader> headers) {
  out += put_varint(out, static_cast<std::int64_t>(headers.size()));
  for (const EventHeader& header : headers) {
    out += put_varint(out, static_cast<std::int64_t>(header.key.size()));
    if (!header.key.empty()) std::memcpy(out, header.key.data(), header.key.size());
    out += header.key.size();
    out += put_varint(out, static_cast<std::int64_t>(header.value.size()));
    if (!header.value.empty()) std::memcpy(out, header.value.data(), header.value.size());
    out += header.value.size();
  }
}

std::size_t put_record(std::byte* out, std::int32_t offset_delta, std::span<const std::byte> key,
                       std::span<const std::byte> value, std::span<const std::byte> encoded_headers,
                       std::int64_t timestamp_delta, RecordNulls nulls) {
  if (nulls.key) key = {};
  if (nulls.value) value = {};
  const auto key_length = nulls.key ? std::int64_t{-1} : static_cast<std::int64_t>(key.size());
  const auto value_length = nulls.value ? std::int64_t{-1} : static_cast<std::int64_t>(value.size());
  const std::size_t body = 1 /* attributes */ + varint_bytes(timestamp_delta) + varint_bytes(offset_delta) +
                           varint_bytes(key_length) + key.size() + varint_bytes(value_length) + value.size() +
                           encoded_headers.size();
  std::byte* p = out + put_varint(out, static_cast<std::int64_t>(body));
  *p++ = std::byte{0};  // attributes: unused
  p += put_varint(p, timestamp_delta);  // 0 in the engine's batches: every record has the batch's timestamp
  p += put_varint(p, offset_delta);
  p += put_varint(p, key_length);
  if (!key.empty()) std::memcpy(p, key.data(), key.size());
  p += key.size();
  p += put_varint(p, value_length);
  if (!value.empty()) std::memcpy(p, value.data(), value.size());
  p += value.size();
  std::memcpy(p, encoded_headers.data(), encoded_headers.size());
  p += encoded_headers.size();
  return static_cast<std::size_t>(p - out);
}

std::size_t finish_batch(std::byte* batch, std::size_t records_bytes, const OwnBatch& fields) {
  const std::size_t total = kBatchHeaderBytes + records_bytes;
  STRATA_ASSERT(total <= kBatchBytesMax && fields.records > 0, "batch of %zu bytes, %d records", total,
                fields.records);
  const std::int64_t timestamp_ms = fields.timestamp_ms;
  store_be<std::uint64_t>(batch + kBaseOffsetAt, fields.base_offset);
  store_be<std::uint32_t>(batch + kBatchLengthAt, static_cast<std::uint32_t>(total - kBatchLengthOverhead));
  store_be<std::int32_t>(batch + kLeaderEpochAt, 0);
  batch[kMagicAt] = static_cast<std::byte>(kMagic);
  store_be<std::uint16_t>(batch + kAttributesAt,
                          static_cast<std::uint16_t>(static_cast<std::uint16_t>(fields.compression) |
                                                     kLogAppendTimeFlag));
  store_be<std::int32_t>(batch + kLastOffsetDeltaAt, fields.records - 1);
  store_be<std::int64_t>(batch + kBaseTimestampAt, timestamp_ms);
  store_be<std::int64_t>(batch + kMaxTimestampAt, timestamp_ms);
  store_be<std::int64_t>(batch + kProducerIdAt, -1);
  store_be<std::int16_t>(batch + kProducerEpochAt, -1);
  store_be<std::int32_t>(batch + kBaseSequenceAt, -1);
  store_be<std::int32_t>(batch + kRecordsCountAt, fields.records);
  store_be<std::uint32_t>(batch + kCrcAt, crc32c({batch + kAttributesAt, total - kAttributesAt}));
  return total;
}

// ---- checking ----

BatchCheck check_batch(std::span<const std::byte> bytes, std::uint64_t expected_offset, BatchHeader* header,
                       std::string* reason) {
  if (bytes.size() < kBatchLengthOverhead) {
    if (bytes.empty() || std::all_of(bytes.begin(), bytes.end(), [](std::byte b) { return b == std::byte{0}; })) {
      return BatchCheck::kEndOfData;
    }
    *reason = "batch header truncated";
    return BatchCheck::kInvalid;
  }
  const std::uint32_t length = peek_batch_length(bytes.data());
  if (length == 0) return BatchCheck::kEndOfData;
  const std::size_t total = std::size_t{length} + kBatchLengthOverhead;
  if (total < kBatchHeaderBytes || total > kBatchBytesMax) {
    *reason = "batch length " + std::to_string(length) + " out of range";
    return BatchCheck::kInvalid;
  }
  if (total > bytes.size()) {
    *reason = "batch of " + std::to_string(total) + " bytes runs past the data (" + std::to_string(bytes.size()) +
              " bytes)";
    return BatchCheck::kInvalid;
  }
  *header = decode_batch_header(bytes);
  if (static_cast<std::int8_t>(bytes[kMagicAt]) != kMagic) {
    *reason = "magic " + std::to_string(static_cast<int>(bytes[kMagicAt])) + ", expected 2";
    return BatchCheck::kInvalid;
  }
  if (crc32c(bytes.subspan(kAttributesAt, total - kAttributesAt)) != header->crc) {
    *reason = "CRC-32C mismatch";
    return BatchCheck::kInvalid;
  }
  // A compacted batch keeps its offset range and fewer records (Kafka's cleaner does the same): at most
  // lastOffsetDelta + 1 of them, none for a batch kept only for its range or producer state.
  if (header->last_offset_delta < 0 || header->records_count < 0 ||
      header->records_count > header->last_offset_delta + 1) {
    *reason = "recordsCount " + std::to_string(header->records_count) + " does not fit lastOffsetDelta " +
              std::to_string(header->last_offset_delta);
    return BatchCheck::kInvalid;
  }
  if (expected_offset != kAnyOffset && header->base_offset != expected_offset) {
    *reason = "batch starts at offset " + std::to_string(header->base_offset) + ", expected " +
              std::to_string(expected_offset);
    return BatchCheck::kInvalid;
  }
  return BatchCheck::kValid;
}

Status validate_client_batch(std::span<const std::byte> batch, std::size_t bytes_max, BatchHeader* header) {
  if (batch.size() < kBatchHeaderBytes) {
    return invalid_argument("record batch of " + std::to_string(batch.size()) + " bytes, shorter than its header");
  }
  if (batch.size() > bytes_max) {
    return {StatusCode::kTooLarge, "record batch of " + std::to_string(batch.size()) + " bytes exceeds the limit of " +
                                       std::to_string(bytes_max)};
  }
  if (static_cast<std::int8_t>(batch[kMagicAt]) != kMagic) {
    return invalid_argument("record batch magic " + std::to_string(static_cast<int>(batch[kMagicAt])) +
                            ": only magic 2 (RecordBatch v2) is accepted");
  }
  if (std::size_t{peek_batch_length(batch.data())} + kBatchLengthOverhead != batch.size()) {
    return invalid_argument("batchLength " + std::to_string(peek_batch_length(batch.data())) + " does not match the " +
                            std::to_string(batch.size()) + " bytes sent");
  }
  std::string reason;
  if (check_batch(batch, kAnyOffset, header, &reason) != BatchCheck::kValid) {
    if (reason == "CRC-32C mismatch") return corruption("record batch CRC-32C mismatch");
    return invalid_argument("record batch: " + reason);
  }
  if (header->records_count != header->last_offset_delta + 1) {
    return invalid_argument("record batch: recordsCount " + std::to_string(header->records_count) +
                            " does not match lastOffsetDelta " + std::to_string(header->last_offset_delta));
  }
  if ((header->attributes & kControlFlag) != 0) return invalid_argument("control batches are not accepted from clients");
  if ((header->attributes & kTransactionalFlag) != 0) {
    return invalid_argument("transactional batches are not supported");
  }
  if (static_cast<unsigned>(header->compression()) > static_cast<unsigned>(Compression::kZstd)) {
    return invalid_argument("unknown compression codec " + std::to_string(header->attributes & kCompressionMask));
  }
  if (header->producer_id >= 0 && header->base_sequence < 0) {
    return invalid_argument("idempotent batch (producerId " + std::to_string(header->producer_id) +
                            ") without a baseSequence");
  }
  return Status::ok();
}

bool decode_record(const std::byte** in, const std::byte* end, RecordFields* record) {
  std::int64_t length = 0;
  if (!read_varint(in, end, &length) || length < 0 || length > end - *in) return false;
  const std::byte* p = *in;
  const std::byte* record_end = p + length;
  if (p == record_end) return false;
  ++p;  // attributes
  std::int64_t timestamp_delta = 0;
  std::int64_t offset_delta = 0;
  std::int64_t key_length = 0;
  std::int64_t value_length = 0;
  std::int64_t header_count = 0;
  if (!read_varint(&p, record_end, &timestamp_delta) || !read_varint(&p, record_end, &offset_delta) ||
      offset_delta < 0 || offset_delta > INT32_MAX || !read_varint(&p, record_end, &key_length) ||
      key_length < -1 || key_length > record_end - p) {
    return false;
  }
  const std::byte* key = p;
  p += std::max<std::int64_t>(key_length, 0);
  if (!read_varint(&p, record_end, &value_length) || value_length < -1 || value_length > record_end - p) return false;
  const std::byte* value = p;
  p += std::max<std::int64_t>(value_length, 0);
  const std::byte* headers = p;
  if (!read_varint(&p, record_end, &header_count) || header_count < 0 || header_count > record_end - p) return false;
  record->timestamp_delta_ms = timestamp_delta;
  record->offset_delta = static_cast<std::int32_t>(offset_delta);
  record->key = {key, static_cast<std::size_t>(std::max<std::int64_t>(key_length, 0))};
  record->value = {value, static_cast<std::size_t>(std::max<std::int64_t>(value_length, 0))};
  record->key_null = key_length < 0;
  record->value_null = value_length < 0;
  record->headers = {headers, static_cast<std::size_t>(record_end - headers)};
  record->header_count = static_cast<std::int32_t>(header_count);
  // Headers are checked for their bounds now, so a record that decodes is whole.
  for (std::int64_t i = 0; i < header_count; ++i) {
    std::int64_t bytes = 0;
    if (!read_varint(&p, record_end, &bytes) || bytes < 0 || bytes > record_end - p) return false;
    p += bytes;
    if (!read_varint(&p, record_end, &bytes) || bytes < -1 || bytes > record_end - p) return false;
    p += std::max<std::int64_t>(bytes, 0);
  }
  if (p != record_end) return false;
  *in = record_end;
  return true;
}

Status RecordReader::status() const {
  if (undecodable_) return corruption("record " + std::to_string(index_) + " of the batch does not decode");
  if (in_ != end_) return corruption("the batch has " + std::to_string(end_ - in_) + " bytes after its records");
  return Status::ok();
}

bool decode_headers(std::span<const std::byte> encoded, std::int32_t count, std::vector<EventHeader>* out) {
  out->clear();
  return append_headers(encoded, count, out);
}

bool append_headers(std::span<const std::byte> encoded, std::int32_t count, std::vector<EventHeader>* out) {
  const std::byte* p = encoded.data();
  const std::byte* end = p + encoded.size();
  std::int64_t stored_count = 0;
  if (!get_varint(&p, end, &stored_count) || stored_count != count) return false;
  for (std::int32_t i = 0; i < count; ++i) {
    std::int64_t key_bytes = 0;
    std::int64_t value_bytes = 0;
    if (!get_varint(&p, end, &key_bytes) || key_bytes < 0 || key_bytes > end - p) return false;
    const std::string_view key(reinterpret_cast<const char*>(p), static_cast<std::size_t>(key_bytes));
    p += key_bytes;
    if (!get_varint(&p, end, &value_bytes) || value_bytes < -1 || value_bytes > end - p) return false;
    const std::size_t value_size = static_cast<std::size_t>(std::max<std::int64_t>(value_bytes, 0));
    out->push_back({key, {p, value_size}});
    p += value_size;
  }
  return true;
}

Result<std::span<const std::byte>> batch_records(std::span<const std::byte> batch, const BatchHeader& header,
                                                 std::vector<std::byte>* scratch) {
  const std::span<const std::byte> records = batch.subspan(kBatchHeaderBytes, header.total_bytes() - kBatchHeaderBytes);
  if (header.compression() == Compression::kNone) return records;
  scratch->clear();  // decompress() appends
  Status status = decompress(header.compression(), records, kDecompressedBytesMax, scratch);
  if (!status.is_ok()) return std::move(status).with_context(std::string(compression_name(header.compression())));
  return std::span<const std::byte>(*scratch);
}

// ---- strata's own files ----

namespace {

template <typename T>
std::span<const std::byte> bytes_of(const T& value) {
  return {reinterpret_cast<const std::byte*>(&value), sizeof value};
}

void append_bytes(std::vector<std::byte>* out, std::span<const std::byte> bytes) {
  out->insert(out->end(), bytes.begin(), bytes.end());
}

}  // namespace

std::vector<std::byte> encode_index(const SegmentSummary& segment, const std::vector<IndexEntry>& entries) {
  IndexHeader header{};
  std::memcpy(header.magic, kIndexMagic, sizeof header.magic);
  header.version = kFormatVersion;
  header.entry_count = static_cast<std::uint32_t>(entries.size());
  header.base_offset = segment.base_offset;
  header.next_offset = segment.next_offset;
  header.data_end = segment.data_end;
  header.max_timestamp_us = segment.max_timestamp_us;
  const std::span<const std::byte> entry_bytes{reinterpret_cast<const std::byte*>(entries.data()),
                                               entries.size() * sizeof(IndexEntry)};
  header.checksum = checksum(bytes_of(header).first(offsetof(IndexHeader, checksum))) ^ checksum(entry_bytes);
  std::vector<std::byte> out;
  append_bytes(&out, bytes_of(header));
  append_bytes(&out, entry_bytes);
  return out;
}

Result<SegmentSummary> decode_index(std::span<const std::byte> bytes, std::uint64_t base_offset,
                                    const std::string& path, std::vector<IndexEntry>* entries) {
  IndexHeader header{};
  if (bytes.size() < sizeof header) return corruption(path + ": index truncated");
  std::memcpy(&header, bytes.data(), sizeof header);
  if (std::memcmp(header.magic, kIndexMagic, sizeof header.magic) != 0 || header.version != kFormatVersion ||
      header.base_offset != base_offset || header.next_offset < base_offset) {
    return corruption(path + ": not a valid index header");
  }
  const std::size_t entry_bytes = std::size_t{header.entry_count} * sizeof(IndexEntry);
  if (bytes.size() - sizeof header != entry_bytes) return corruption(path + ": index truncated");
  const auto entry_span = bytes.subspan(sizeof header, entry_bytes);
  if ((checksum(bytes_of(header).first(offsetof(IndexHeader, checksum))) ^ checksum(entry_span)) != header.checksum) {
    return corruption(path + ": index checksum mismatch");
  }
  if (entries != nullptr) {
    entries->resize(header.entry_count);
    std::memcpy(entries->data(), entry_span.data(), entry_bytes);
  }
  return SegmentSummary{base_offset, header.next_offset, header.data_end, header.max_timestamp_us};
}

void set_log_append_time(std::byte* batch, std::size_t total_bytes, std::int64_t append_time_ms) {
  const auto attributes = load_be<std::uint16_t>(batch + kAttributesAt);
  store_be<std::uint16_t>(batch + kAttributesAt, static_cast<std::uint16_t>(attributes | kLogAppendTimeFlag));
  store_be<std::int64_t>(batch + kMaxTimestampAt, append_time_ms);
  store_be<std::uint32_t>(batch + kCrcAt, crc32c({batch + kAttributesAt, total_bytes - kAttributesAt}));
}

std::vector<std::byte> encode_topic(const TopicInfo& topic) {
  TopicRecord record{};
  std::memcpy(record.magic, kTopicMagic, sizeof record.magic);
  record.version = kFormatVersion;
  record.partitions = topic.partitions;
  record.created_time_us = topic.created_time_us;
  for (std::size_t i = 0; i < sizeof record.log_id && 2 * i + 1 < topic.log_id.size(); ++i) {
    std::from_chars(topic.log_id.data() + 2 * i, topic.log_id.data() + 2 * i + 2, record.log_id[i], 16);
  }
  record.compression = static_cast<std::uint8_t>(topic.compression);
  if (!topic.configs.empty()) record.reserved[0] = kTopicHasConfigs;
  record.checksum = checksum(bytes_of(record).first(offsetof(TopicRecord, checksum)));
  const auto bytes = bytes_of(record);
  std::vector<std::byte> out(bytes.begin(), bytes.end());
  if (topic.configs.empty()) return out;
  std::string text;
  for (const auto& [key, value] : topic.configs) text += key + "=" + value + "\n";
  const auto size = static_cast<std::uint32_t>(text.size());
  append_bytes(&out, bytes_of(size));
  append_bytes(&out, std::as_bytes(std::span(text)));
  const std::uint64_t sum = checksum(out);
  append_bytes(&out, bytes_of(sum));
  return out;
}

namespace {

// The configs after the record: "key=value\n" lines, checksummed with everything before them.
Status decode_topic_configs(std::span<const std::byte> bytes, const std::string& path, TopicConfigs* configs) {
  const std::size_t at = sizeof(TopicRecord);
  std::uint32_t size = 0;
  if (bytes.size() < at + sizeof size + sizeof(std::uint64_t)) return corruption(path + ": topic configs truncated");
  std::memcpy(&size, bytes.data() + at, sizeof size);
  if (bytes.size() != at + sizeof size + size + sizeof(std::uint64_t)) {
    return corruption(path + ": topic configs of " + std::to_string(size) + " bytes do not match the file's " +
                      std::to_string(bytes.size()) + " bytes");
  }
  std::uint64_t stored = 0;
  std::memcpy(&stored, bytes.data() + bytes.size() - sizeof stored, sizeof stored);
  if (stored != checksum(bytes.first(bytes.size() - sizeof stored))) return corruption(path + ": topic configs checksum mismatch");
  std::string_view text(reinterpret_cast<const char*>(bytes.data() + at + sizeof size), size);
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    const std::size_t equals = text.find('=');
    if (end == std::string_view::npos || equals == std::string_view::npos || equals > end) {
      return corruption(path + ": topic configs malformed");
    }
    configs->emplace(std::string(text.substr(0, equals)), std::string(text.substr(equals + 1, end - equals - 1)));
    text.remove_prefix(end + 1);
  }
  return Status::ok();
}

}  // namespace

Result<TopicInfo> decode_topic(std::span<const std::byte> bytes, std::string name, const std::string& path) {
  TopicRecord record{};
  if (bytes.size() < sizeof record) return corruption(path + ": topic metadata of " + std::to_string(bytes.size()) + " bytes, expected at least " + std::to_string(sizeof record));
  std::memcpy(&record, bytes.data(), sizeof record);
  if (std::memcmp(record.magic, kTopicMagic, sizeof record.magic) != 0 || record.version != kFormatVersion ||
      record.checksum != checksum(bytes_of(record).first(offsetof(TopicRecord, checksum)))) {
    return corruption(path + ": not valid topic metadata (bad magic, version or checksum)");
  }
  if (record.partitions == 0 || record.partitions > kPartitionsMax ||
      record.compression > static_cast<std::uint8_t>(Compression::kZstd) || record.reserved[0] > kTopicHasConfigs) {
    return corruption(path + ": topic metadata out of range");
  }
  TopicInfo topic;
  if (record.reserved[0] == kTopicHasConfigs) {
    STRATA_RETURN_IF_ERROR(decode_topic_configs(bytes, path, &topic.configs));
  } else if (bytes.size() != sizeof record) {
    return corruption(path + ": topic metadata of " + std::to_string(bytes.size()) + " bytes, expected " + std::to_string(sizeof record));
  }
  topic.name = std::move(name);
  topic.partitions = record.partitions;
  topic.compression = static_cast<Compression>(record.compression);
  topic.created_time_us = record.created_time_us;
  topic.log_id = log_id_text(record.log_id);
  return topic;
}

std::string log_id_text(const std::uint8_t (&log_id)[16]) {
  char hex[33];
  for (std::size_t i = 0; i < sizeof log_id; ++i) std::snprintf(hex + 2 * i, 3, "%02x", log_id[i]);
  return {hex, 32};
}

std::vector<std::byte> encode_group_checkpoint(const GroupOffset& committed) {
  std::vector<std::byte> out;
  const std::uint32_t version = kFormatVersion;
  const auto metadata_bytes = static_cast<std::uint32_t>(committed.metadata.size());
  append_bytes(&out, std::as_bytes(std::span(kGroupMagic)));
  append_bytes(&out, bytes_of(version));
  append_bytes(&out, bytes_of(metadata_bytes));
  append_bytes(&out, bytes_of(committed.offset));
  append_bytes(&out, std::as_bytes(std::span(committed.metadata.data(), committed.metadata.size())));
  const std::uint64_t sum = checksum(out);
  append_bytes(&out, bytes_of(sum));
  return out;
}

Result<GroupOffset> decode_group_checkpoint(std::span<const std::byte> bytes, const std::string& path) {
  constexpr std::size_t kFixed = 8 + 4 + 4 + 8;
  std::uint32_t version = 0;
  std::uint32_t metadata_bytes = 0;
  GroupOffset committed;
  if (bytes.size() >= kFixed) {
    std::memcpy(&version, bytes.data() + 8, 4);
    std::memcpy(&metadata_bytes, bytes.data() + 12, 4);
    std::memcpy(&committed.offset, bytes.data() + 16, 8);
  }
  std::uint64_t sum = 0;
  if (bytes.size() < kFixed + 8 || std::memcmp(bytes.data(), kGroupMagic, 8) != 0 || version != kFormatVersion ||
      metadata_bytes > kGroupMetadataBytesMax || bytes.size() != kFixed + metadata_bytes + 8 ||
      (std::memcpy(&sum, bytes.data() + kFixed + metadata_bytes, 8), sum != checksum(bytes.first(kFixed + metadata_bytes)))) {
    return corruption(path + ": not a valid group checkpoint");
  }
  committed.metadata.assign(reinterpret_cast<const char*>(bytes.data() + kFixed), metadata_bytes);
  return committed;
}

// ---- the consumer-group log ----

namespace {

void append_string(std::vector<std::byte>* out, std::string_view text) {
  STRATA_ASSERT(text.size() <= 0xffff, "group log string of %zu bytes", text.size());
  const auto bytes = static_cast<std::uint16_t>(text.size());
  append_bytes(out, bytes_of(bytes));
  append_bytes(out, std::as_bytes(std::span(text.data(), text.size())));
}

// Reads the body of a group log record front to back; any read past the end turns ok() false for good.
class BodyReader {
 public:
  explicit BodyReader(std::span<const std::byte> body) : body_(body) {}
  bool ok() const { return ok_; }
  bool at_end() const { return at_ == body_.size(); }
  template <typename T>
  T number() {
    T value{};
    if (!take(sizeof value)) return value;
    std::memcpy(&value, body_.data() + at_ - sizeof value, sizeof value);
    return value;
  }
  std::string string(std::size_t length_bytes) {
    const std::size_t length = length_bytes == 2 ? number<std::uint16_t>() : number<std::uint32_t>();
    if (!ok_ || !take(length)) return {};
    return {reinterpret_cast<const char*>(body_.data() + at_ - length), length};
  }

 private:
  bool take(std::size_t bytes) {
    if (!ok_ || body_.size() - at_ < bytes) return ok_ = false;
    at_ += bytes;
    return true;
  }
  std::span<const std::byte> body_;
  std::size_t at_ = 0;
  bool ok_ = true;
};

std::uint64_t record_checksum(const GroupLogRecordHeader& header, std::span<const std::byte> body) {
  return checksum(bytes_of(header).first(offsetof(GroupLogRecordHeader, checksum))) ^ checksum(body);
}

bool decode_group_log_body(std::span<const std::byte> body, GroupLogRecord* record) {
  BodyReader in(body);
  record->name = in.string(2);
  record->offsets.clear();
  record->state.clear();
  switch (record->type) {
    case GroupLogRecordType::kOffsets: {
      const auto count = in.number<std::uint32_t>();
      for (std::uint32_t i = 0; in.ok() && i < count; ++i) {
        GroupPartitionOffset& entry = record->offsets.emplace_back();
        entry.topic = in.string(2);
        entry.partition = in.number<std::uint32_t>();
        entry.committed.offset = in.number<std::uint64_t>();
        entry.committed.metadata = in.string(2);
        if (entry.committed.metadata.size() > kGroupMetadataBytesMax) return false;
      }
      break;
    }
    case GroupLogRecordType::kTopicDeleted:
      break;
    case GroupLogRecordType::kGroupState:
      record->state = in.string(4);
      break;
  }
  return in.ok() && in.at_end() && !record->name.empty();
}

}  // namespace

std::vector<std::byte> encode_group_log_header() {
  GroupLogHeader header{};
  std::memcpy(header.magic, kGroupLogMagic, sizeof header.magic);
  header.version = kGroupLogVersion;
  header.checksum = checksum(bytes_of(header).first(offsetof(GroupLogHeader, checksum)));
  const auto bytes = bytes_of(header);
  return {bytes.begin(), bytes.end()};
}

bool is_group_log_header(std::span<const std::byte> bytes) {
  GroupLogHeader header{};
  if (bytes.size() < sizeof header) return false;
  std::memcpy(&header, bytes.data(), sizeof header);
  return std::memcmp(header.magic, kGroupLogMagic, sizeof header.magic) == 0 &&
         header.version == kGroupLogVersion && header.reserved == 0 &&
         header.checksum == checksum(bytes_of(header).first(offsetof(GroupLogHeader, checksum)));
}

void append_group_log_record(const GroupLogRecord& record, std::vector<std::byte>* out) {
  const std::size_t start = out->size();
  out->resize(start + sizeof(GroupLogRecordHeader));
  append_string(out, record.name);
  if (record.type == GroupLogRecordType::kOffsets) {
    const auto count = static_cast<std::uint32_t>(record.offsets.size());
    append_bytes(out, bytes_of(count));
    for (const GroupPartitionOffset& entry : record.offsets) {
      STRATA_ASSERT(entry.committed.metadata.size() <= kGroupMetadataBytesMax, "metadata of %zu bytes",
                    entry.committed.metadata.size());
      append_string(out, entry.topic);
      append_bytes(out, bytes_of(entry.partition));
      append_bytes(out, bytes_of(entry.committed.offset));
      append_string(out, entry.committed.metadata);
    }
  } else if (record.type == GroupLogRecordType::kGroupState) {
    const auto bytes = static_cast<std::uint32_t>(record.state.size());
    append_bytes(out, bytes_of(bytes));
    append_bytes(out, std::as_bytes(std::span(record.state.data(), record.state.size())));
  }
  const std::size_t body_bytes = out->size() - start - sizeof(GroupLogRecordHeader);
  STRATA_ASSERT(body_bytes <= kGroupLogRecordBytesMax, "group log record of %zu bytes", body_bytes);
  GroupLogRecordHeader header{};
  header.body_bytes = static_cast<std::uint32_t>(body_bytes);
  header.type = static_cast<std::uint8_t>(record.type);
  header.checksum = record_checksum(header, std::span(*out).subspan(start + sizeof header));
  std::memcpy(out->data() + start, &header, sizeof header);
}

bool decode_group_log_record(std::span<const std::byte> bytes, GroupLogRecord* record, std::size_t* bytes_used) {
  GroupLogRecordHeader header{};
  if (bytes.size() < sizeof header) return false;
  std::memcpy(&header, bytes.data(), sizeof header);
  if (header.type < 1 || header.type > 3 || header.reserved[0] != 0 || header.reserved[1] != 0 ||
      header.reserved[2] != 0 || header.body_bytes > kGroupLogRecordBytesMax ||
      header.body_bytes > bytes.size() - sizeof header) {
    return false;
  }
  const auto body = bytes.subspan(sizeof header, header.body_bytes);
  if (record_checksum(header, body) != header.checksum) return false;
  record->type = static_cast<GroupLogRecordType>(header.type);
  if (!decode_group_log_body(body, record)) return false;
  *bytes_used = sizeof header + header.body_bytes;
  return true;
}

std::vector<std::byte> encode_producer_ids(std::int64_t next_unreserved) {
  ProducerIdBlock block{};
  std::memcpy(block.magic, kProducerIdMagic, sizeof block.magic);
  block.version = kFormatVersion;
  block.next_unreserved = next_unreserved;
  block.checksum = checksum(bytes_of(block).first(offsetof(ProducerIdBlock, checksum)));
  const auto bytes = bytes_of(block);
  return {bytes.begin(), bytes.end()};
}

Result<std::int64_t> decode_producer_ids(std::span<const std::byte> bytes, const std::string& path) {
  ProducerIdBlock block{};
  if (bytes.size() != sizeof block) return corruption(path + ": not a valid producer-id file (size)");
  std::memcpy(&block, bytes.data(), sizeof block);
  if (std::memcmp(block.magic, kProducerIdMagic, sizeof block.magic) != 0 || block.version != kFormatVersion ||
      block.checksum != checksum(bytes_of(block).first(offsetof(ProducerIdBlock, checksum))) ||
      block.next_unreserved < 0) {
    return corruption(path + ": not a valid producer-id file");
  }
  return block.next_unreserved;
}

// ---- names ----

std::string segment_file_name(std::uint64_t base_offset) {
  char name[32];
  std::snprintf(name, sizeof name, "%020llu.log", static_cast<unsigned long long>(base_offset));
  return name;
}

std::string index_file_name(std::uint64_t base_offset) {
  char name[48];
  std::snprintf(name, sizeof name, "%020llu.strata-index", static_cast<unsigned long long>(base_offset));
  return name;
}

std::string partition_directory_name(std::string_view topic, std::uint32_t partition) {
  return std::string(topic) + "-" + std::to_string(partition);
}

std::string topic_file_name(std::string_view topic) {
  return std::string(topic) + std::string(kTopicFileSuffix);
}

std::string deleting_topic_file_name(std::string_view topic) {
  return std::string(topic) + std::string(kDeletingTopicFileSuffix);
}

bool parse_segment_file_name(std::string_view name, std::uint64_t* base_offset) {
  if (name.size() != 24 || name.substr(20) != ".log") return false;
  const auto [end, error] = std::from_chars(name.data(), name.data() + 20, *base_offset);
  return error == std::errc() && end == name.data() + 20;
}

bool is_format1_segment_name(std::string_view name) {
  return name.size() == 24 && name.substr(20) == ".seg";
}

}  // namespace strata::format
