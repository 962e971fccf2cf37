// strata's on-disk format. Every byte offset, magic number and size lives here; the writer, recovery,
// readers, `strata verify`, `strata dump` and the fuzz targets include this header and nothing else
// defines layout.
//
// A log directory holds, for a topic T with N partitions:
//   T.strata-topic                 topic metadata (TopicRecord), strata's own
//   T-0/ ... T-<N-1>/              one directory per partition, as Kafka names them, holding
//     <20-digit base offset>.log   segments: exactly Kafka log segments
//     <base>.strata-index          strata's own: the sealed segment's sparse index (IndexHeader, entries)
//     strata-synced                strata's own: the offset below which everything is fdatasynced
//   strata-groups.strata-log       consumer groups: committed offsets and coordinator state (GroupLogRecord)
//   strata-groups/<group>/T-<p>.strata-offset   format 2's checkpoints, migrated into the group log on open
//   strata-producer-ids            the idempotent-producer id allocator (ProducerIdBlock)
//   LOCK                           held by the process that has the log open
// Files that are not Kafka's carry "strata" in their names, so no Kafka tool takes them for its own.
//
// Segment file (Kafka's): RecordBatch v2 batches back to back from byte 0, no padding between them; after
// the last batch only zeros (the file is preallocated, so a zero batchLength marks the end of data). A
// segment is sealed once its .strata-index exists and checks out; only the last segment is ever unsealed.
// Batches cover the offsets densely, each from its baseOffset through baseOffset + lastOffsetDelta. In a
// compacted segment (engine/compactor.h) a batch may hold fewer records than its range (offset gaps
// inside it), or none: an empty batch keeps a dropped range, or an idempotent producer's last sequence.
//
// RecordBatch v2 (Kafka protocol guide, "Record Batch"), big-endian:
//   baseOffset i64 | batchLength i32 (bytes after this field) | partitionLeaderEpoch i32 | magic i8 = 2 |
//   crc u32 (CRC-32C of attributes..end) | attributes i16 | lastOffsetDelta i32 | baseTimestamp i64 |
//   maxTimestamp i64 | producerId i64 | producerEpoch i16 | baseSequence i32 | recordsCount i32 | records
// attributes: bits 0-2 compression (none, gzip, snappy, lz4, zstd), bit 3 timestamp type (1:
// LogAppendTime), bit 4 transactional, bit 5 control. A compressed batch's records are one compressed blob.
// Record (zig-zag varints): length | attributes i8 | timestampDelta varlong | offsetDelta varint |
//   keyLength varint (-1: null) | key | valueLength varint (-1: null) | value | headerCount varint |
//   headers: headerKeyLength varint | headerKey | headerValueLength varint (-1: null) | headerValue
// Timestamps are milliseconds since the epoch. The engine's own batches: producerId -1, producerEpoch -1,
// baseSequence -1, LogAppendTime, all records of a batch stamped alike (the writer's drain-pass time).
//
// strata's own files are little-endian (x86-64 and arm64 hosts; asserted below) and end in an xxh3-64
// checksum of everything before it.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "engine/crc32c.h"
#include "strata/compression.h"
#include "strata/consumer_group.h"
#include "strata/log.h"
#include "strata/reader.h"
#include "strata/status.h"

namespace strata::format {

static_assert(std::endian::native == std::endian::little, "strata's own files are little-endian");

// ---- big-endian fields ----------------------------------------------------------------------------------

template <typename T>
constexpr T byte_swap(T value) {
  static_assert(std::is_integral_v<T> && (sizeof(T) == 2 || sizeof(T) == 4 || sizeof(T) == 8));
  using U = std::make_unsigned_t<T>;
  U bits = static_cast<U>(value);
  if constexpr (sizeof(T) == 2) bits = __builtin_bswap16(bits);
  if constexpr (sizeof(T) == 4) bits = __builtin_bswap32(bits);
  if constexpr (sizeof(T) == 8) bits = __builtin_bswap64(bits);
  return static_cast<T>(bits);
}
template <typename T>
T load_be(const std::byte* in) {
  T value;
  std::memcpy(&value, in, sizeof value);
  return byte_swap(value);
}
template <typename T>
void store_be(std::byte* out, T value) {
  value = byte_swap(value);
  std::memcpy(out, &value, sizeof value);
}

// ---- RecordBatch v2 header ------------------------------------------------------------------------------

inline constexpr std::size_t kBaseOffsetAt = 0;
inline constexpr std::size_t kBatchLengthAt = 8;
inline constexpr std::size_t kLeaderEpochAt = 12;
inline constexpr std::size_t kMagicAt = 16;
inline constexpr std::size_t kCrcAt = 17;
inline constexpr std::size_t kAttributesAt = 21;  // the CRC covers from here to the end
inline constexpr std::size_t kLastOffsetDeltaAt = 23;
inline constexpr std::size_t kBaseTimestampAt = 27;
inline constexpr std::size_t kMaxTimestampAt = 35;
inline constexpr std::size_t kProducerIdAt = 43;
inline constexpr std::size_t kProducerEpochAt = 51;
inline constexpr std::size_t kBaseSequenceAt = 53;
inline constexpr std::size_t kRecordsCountAt = 57;
inline constexpr std::size_t kBatchHeaderBytes = 61;
// batchLength counts what follows it: the whole batch is batchLength + this.
inline constexpr std::size_t kBatchLengthOverhead = kBatchLengthAt + 4;
static_assert(kRecordsCountAt + 4 == kBatchHeaderBytes);

inline constexpr std::int8_t kMagic = 2;
inline constexpr std::uint16_t kCompressionMask = 0x07;
inline constexpr std::uint16_t kLogAppendTimeFlag = 1u << 3;
inline constexpr std::uint16_t kTransactionalFlag = 1u << 4;
inline constexpr std::uint16_t kControlFlag = 1u << 5;

// Limits: a batch (and so every event in one) must fit a signed 32-bit batchLength and the writer's staging.
inline constexpr std::size_t kBatchBytesMax = 64u << 20;
inline constexpr std::size_t kKeyBytesMax = 64u << 10;
inline constexpr std::size_t kValueBytesMax = 16u << 20;
inline constexpr std::size_t kHeadersBytesMax = 64u << 10;  // a record's encoded headers
// What a compressed batch may inflate to before a reader refuses it (a decompression bomb is corrupt).
inline constexpr std::size_t kDecompressedBytesMax = 256u << 20;
inline constexpr std::size_t kVarintBytesMax = 10;

// The decoded fixed part of a batch header.
struct BatchHeader {
  std::uint64_t base_offset = 0;
  std::uint32_t batch_length = 0;  // bytes after the batchLength field
  std::uint32_t crc = 0;
  std::uint16_t attributes = 0;
  std::int32_t last_offset_delta = 0;
  std::int64_t base_timestamp_ms = 0;
  std::int64_t max_timestamp_ms = 0;
  std::int64_t producer_id = -1;
  std::int16_t producer_epoch = -1;
  std::int32_t base_sequence = -1;
  std::int32_t records_count = 0;

  std::size_t total_bytes() const { return std::size_t{batch_length} + kBatchLengthOverhead; }
  std::uint64_t next_offset() const { return base_offset + static_cast<std::uint64_t>(last_offset_delta) + 1; }
  Compression compression() const { return static_cast<Compression>(attributes & kCompressionMask); }
  bool log_append_time() const { return (attributes & kLogAppendTimeFlag) != 0; }
};

// Decodes the 61-byte header. REQUIRES: bytes.size() >= kBatchHeaderBytes.
BatchHeader decode_batch_header(std::span<const std::byte> bytes);
// The batchLength field alone (0 where nothing was ever written). REQUIRES: at least 12 bytes.
inline std::uint32_t peek_batch_length(const std::byte* batch) {
  return load_be<std::uint32_t>(batch + kBatchLengthAt);
}
// Rewrites baseOffset in place (outside the CRC, as a Kafka broker does).
inline void set_base_offset(std::byte* batch, std::uint64_t base_offset) {
  store_be<std::uint64_t>(batch + kBaseOffsetAt, base_offset);
}

// Stamps a stored client batch as Kafka does under message.timestamp.type=LogAppendTime: the attribute's
// timestamp-type bit set, maxTimestamp = append_time_ms, the CRC recomputed (both lie under it).
void set_log_append_time(std::byte* batch, std::size_t total_bytes, std::int64_t append_time_ms);

// ---- checksums ------------------------------------------------------------------------------------------

// CRC-32C (Castagnoli), as Kafka's batches carry it: engine/crc32c.h (ISA-L).
// xxh3-64, for strata's own files.
std::uint64_t checksum(std::span<const std::byte> bytes);

// ---- varints (Kafka's: zig-zag) -------------------------------------------------------------------------

constexpr std::uint64_t zigzag(std::int64_t value) {
  return (static_cast<std::uint64_t>(value) << 1) ^ static_cast<std::uint64_t>(value >> 63);
}
constexpr std::int64_t unzigzag(std::uint64_t value) {
  return static_cast<std::int64_t>(value >> 1) ^ -static_cast<std::int64_t>(value & 1);
}
static_assert(unzigzag(zigzag(-5)) == -5 && zigzag(-1) == 1 && zigzag(1) == 2);

// Writes an unsigned LEB128 varint of three bytes or more; returns the bytes written (at most kVarintBytesMax).
std::size_t put_long_uvarint(std::byte* out, std::uint64_t value);
// Writes an unsigned LEB128 varint; returns the bytes written. Inline for the one- and two-byte varints that
// make up nearly every record the writer frames (lengths, deltas).
inline std::size_t put_uvarint(std::byte* out, std::uint64_t value) {
  if (value < 0x80) {
    out[0] = static_cast<std::byte>(value);
    return 1;
  }
  if (value < 0x4000) {
    out[0] = static_cast<std::byte>(value | 0x80);
    out[1] = static_cast<std::byte>(value >> 7);
    return 2;
  }
  return put_long_uvarint(out, value);
}
inline std::size_t put_varint(std::byte* out, std::int64_t value) {
  return put_uvarint(out, zigzag(value));
}
inline std::size_t varint_bytes(std::int64_t value) {
  return (static_cast<std::size_t>(std::bit_width(zigzag(value) | 1)) + 6) / 7;
}
// Reads a zig-zag varint from [*in, end); advances *in. False when truncated or longer than 10 bytes.
bool get_varint(const std::byte** in, const std::byte* end, std::int64_t* value);

// ---- records --------------------------------------------------------------------------------------------

// Kafka headers encoded as a record carries them (count, then each header); what producers put in the ring.
std::size_t encoded_headers_bytes(std::span<const EventHeader> headers);
// REQUIRES: room for encoded_headers_bytes(headers).
void encode_headers(std::byte* out, std::span<const EventHeader> headers);
// The encoding of "no headers".
inline constexpr std::size_t kNoHeadersBytes = 1;

// The most one record adds around its key, value and encoded headers.
inline constexpr std::size_t kRecordOverheadBytesMax = 5 * kVarintBytesMax + 1;
inline std::size_t record_bytes_max(std::size_t key_bytes, std::size_t value_bytes, std::size_t headers_bytes) {
  return kRecordOverheadBytesMax + key_bytes + value_bytes + headers_bytes;
}
// Which of a record's key and value are null (Kafka's length -1) rather than bytes, possibly none.
struct RecordNulls {
  bool key = false;
  bool value = false;
};
// Writes one record at `out`, its key and value null as `nulls` says. `encoded_headers` is the output of
// encode_headers(). Returns its size. REQUIRES: room for record_bytes_max().
std::size_t put_record(std::byte* out, std::int32_t offset_delta, std::span<const std::byte> key,
                       std::span<const std::byte> value, std::span<const std::byte> encoded_headers,
                       std::int64_t timestamp_delta, RecordNulls nulls);
// The engine's own records: an empty key is written as null, a value never is.
inline std::size_t put_record(std::byte* out, std::int32_t offset_delta, std::span<const std::byte> key,
                              std::span<const std::byte> value, std::span<const std::byte> encoded_headers,
                              std::int64_t timestamp_delta = 0) {
  return put_record(out, offset_delta, key, value, encoded_headers, timestamp_delta, {.key = key.empty()});
}

// Fills in the header of an engine-framed batch whose `records_bytes` of records follow its 61 header
// bytes at `batch`, and computes the CRC. Returns the batch's total size.
struct OwnBatch {
  std::uint64_t base_offset;
  std::int32_t records;
  std::int64_t timestamp_ms;  // LogAppendTime of every record
  Compression compression;
};
std::size_t finish_batch(std::byte* batch, std::size_t records_bytes, const OwnBatch& fields);

// ---- checking batches -----------------------------------------------------------------------------------

enum class BatchCheck : std::uint8_t {
  kValid,
  kEndOfData,  // batchLength == 0: nothing was ever written here
  kInvalid,    // torn, corrupt, or not following its predecessor; `reason` says which
};

// Validates the batch at the start of `bytes` (the rest of the segment's data): length, magic, CRC,
// recordsCount within lastOffsetDelta + 1 (fewer in a compacted batch), and baseOffset == expected_offset (unless kAnyOffset). Records are
// not parsed here (the CRC covers them; decoding checks every bound).
inline constexpr std::uint64_t kAnyOffset = UINT64_MAX;
BatchCheck check_batch(std::span<const std::byte> bytes, std::uint64_t expected_offset, BatchHeader* header,
                       std::string* reason);

// What a client may send: check_batch() plus Kafka's broker-side rules (a record for every offset, no control
// batches, no transactional ones, a producer id with a sequence, a known codec). kCorruption for a bad CRC,
// kTooLarge, else kInvalidArgument, each saying what.
Status validate_client_batch(std::span<const std::byte> batch, std::size_t bytes_max, BatchHeader* header);

// One record decoded in place.
struct RecordFields {
  std::int64_t timestamp_delta_ms = 0;
  std::int32_t offset_delta = 0;
  std::span<const std::byte> key;  // empty for null
  std::span<const std::byte> value;
  bool key_null = false;               // keyLength -1
  bool value_null = false;             // valueLength -1: a tombstone, for compaction
  std::span<const std::byte> headers;  // the encoded headers (count first)
  std::int32_t header_count = 0;
};
// Decodes the record at *in (ending by `end`) and advances *in past it. False when it overruns or lies.
bool decode_record(const std::byte** in, const std::byte* end, RecordFields* record);
// Decodes encoded headers (from RecordFields::headers) into `out`. False when malformed.
bool decode_headers(std::span<const std::byte> encoded, std::int32_t count, std::vector<EventHeader>* out);
// The same, appending to `out` (what it held before stays). False when malformed; then `out` may hold some
// of them after what it held before.
bool append_headers(std::span<const std::byte> encoded, std::int32_t count, std::vector<EventHeader>* out);

// The records region of a batch, decompressed into `scratch` when the batch is compressed.
Result<std::span<const std::byte>> batch_records(std::span<const std::byte> batch, const BatchHeader& header,
                                                 std::vector<std::byte>* scratch);

// The records of a checked batch (its records region, from batch_records()), one at a time, for callers
// that may stop early. Lifetime: `records` and `header` must outlive it.
class RecordReader {
 public:
  RecordReader(std::span<const std::byte> records, const BatchHeader& header)
      : in_(records.data()), end_(records.data() + records.size()), header_(&header) {}

  // Decodes the next record: its fields, offset and timestamp (milliseconds). False after the last one
  // (records_count of them) or when one does not decode; status() then says which.
  bool next(RecordFields* fields, std::uint64_t* offset, std::int64_t* timestamp_ms) {
    if (index_ == header_->records_count) [[unlikely]]
      return false;
    if (!decode_record(&in_, end_, fields)) [[unlikely]] {
      undecodable_ = true;
      return false;
    }
    ++index_;
    *offset = header_->base_offset + static_cast<std::uint64_t>(fields->offset_delta);
    *timestamp_ms = header_->log_append_time() ? header_->max_timestamp_ms
                                               : header_->base_timestamp_ms + fields->timestamp_delta_ms;
    return true;
  }
  // Once next() returned false: ok when every record decoded and nothing follows the last; kCorruption naming
  // the record that does not decode, or the bytes left over. REQUIRES: next() returned false.
  Status status() const;

 private:
  const std::byte* in_;
  const std::byte* end_;
  const BatchHeader* header_;
  std::int32_t index_ = 0;
  bool undecodable_ = false;
};

// Calls fn(const RecordFields&, std::uint64_t offset, std::int64_t timestamp_ms) for each record of a
// checked batch; kCorruption naming the record when one does not decode or the count is off.
template <typename Fn>
Status for_each_record(std::span<const std::byte> batch, const BatchHeader& header,
                       std::vector<std::byte>* scratch, Fn&& fn) {
  auto records = batch_records(batch, header, scratch);
  if (!records) return records.status();
  RecordReader reader(*records, header);
  RecordFields fields;
  std::uint64_t offset = 0;
  std::int64_t timestamp_ms = 0;
  while (reader.next(&fields, &offset, &timestamp_ms)) fn(fields, offset, timestamp_ms);
  return reader.status();
}

// ---- the sparse index of a sealed segment (<base>.strata-index) ----------------------------------------

inline constexpr char kIndexMagic[8] = {'S', 'T', 'R', 'A', 'T', 'I', 'D', 'X'};
inline constexpr std::uint32_t kFormatVersion = 2;  // 1: strata's own batches (before Kafka's format)
inline constexpr std::uint64_t kIndexIntervalBytes = 4096;
// Index positions are 32-bit: segments are at most this big.
inline constexpr std::uint64_t kSegmentBytesMax = 1ull << 32;

struct IndexHeader {
  char magic[8];
  std::uint32_t version;
  std::uint32_t entry_count;
  std::uint64_t base_offset;
  std::uint64_t next_offset;  // one past the last event of the segment
  std::uint64_t data_end;     // file position just past the last batch
  std::int64_t max_timestamp_us;
  std::uint64_t checksum;  // xxh3-64 of the header before it, xor xxh3-64 of the entries
};
static_assert(sizeof(IndexHeader) == 56);

struct IndexEntry {
  std::uint32_t relative_offset;  // base offset of a batch - the segment's base offset
  std::uint32_t position;         // file position of that batch
  std::int64_t timestamp_us;      // the batch's max timestamp
};
static_assert(sizeof(IndexEntry) == 16);

// What a segment holds, from its index or a scan.
struct SegmentSummary {
  std::uint64_t base_offset = 0;
  std::uint64_t next_offset = 0;
  std::uint64_t data_end = 0;
  std::int64_t max_timestamp_us = 0;
};
std::vector<std::byte> encode_index(const SegmentSummary& segment, const std::vector<IndexEntry>& entries);
// kCorruption naming `path` when the bytes are not a valid index of the segment at base_offset.
Result<SegmentSummary> decode_index(std::span<const std::byte> bytes, std::uint64_t base_offset,
                                    const std::string& path, std::vector<IndexEntry>* entries);

// ---- topic metadata (<topic>.strata-topic) --------------------------------------------------------------

inline constexpr char kTopicMagic[8] = {'S', 'T', 'R', 'A', 'T', 'T', 'O', 'P'};
struct TopicRecord {
  char magic[8];
  std::uint32_t version;
  std::uint32_t partitions;
  std::int64_t created_time_us;
  std::uint8_t log_id[16];
  std::uint8_t compression;
  std::uint8_t reserved[7];
  std::uint64_t checksum;  // xxh3-64 of the bytes before it
};
static_assert(sizeof(TopicRecord) == 56);
// Topic configs (strata/topic_config.h) follow the record when reserved[0] has kTopicHasConfigs (a file
// written before configs existed is the record alone and still opens, with no configs):
//   config_bytes u32 | "key=value\n" per config, sorted by key | checksum u64 (xxh3-64 of all before it)
// The flag sits under the record's own checksum, so a file cut back to the bare record is refused, never
// read as a topic without its configs.
inline constexpr std::uint8_t kTopicHasConfigs = 1;
inline constexpr std::size_t kTopicFileBytesMax = 16384;
// TopicInfo::log_id's text: the 16 bytes of TopicRecord::log_id as 32 lower-case hex digits.
std::string log_id_text(const std::uint8_t (&log_id)[16]);
std::vector<std::byte> encode_topic(const TopicInfo& topic);
Result<TopicInfo> decode_topic(std::span<const std::byte> bytes, std::string name, const std::string& path);

// ---- consumer-group checkpoints of format 2 (one file each; read once, to migrate them to the group log) --

inline constexpr char kGroupMagic[8] = {'S', 'T', 'R', 'A', 'T', 'G', 'R', 'P'};
inline constexpr std::size_t kGroupMetadataBytesMax = 4096;
// magic[8] | version u32 | metadata_bytes u32 | offset u64 | metadata | checksum u64 (of all before it)
std::vector<std::byte> encode_group_checkpoint(const GroupOffset& committed);
Result<GroupOffset> decode_group_checkpoint(std::span<const std::byte> bytes, const std::string& path);

// ---- the consumer-group log (strata-groups.strata-log) ---------------------------------------------------
//
// Append-only, as Kafka's __consumer_offsets: a file header, then records back to back, each written by one
// pwrite and covered by the fdatasync that acknowledges it (concurrent commits share one). The last record
// naming a (group, topic, partition) holds its committed offset; compaction rewrites the file with one
// offsets record and one state record per group.
//   file header: magic[8] | version u32 | reserved u32 = 0 | checksum u64 (of the 16 bytes before it)
//   record:      body_bytes u32 | type u8 | reserved u8[3] = 0 | checksum u64 (of body_bytes..reserved and
//                of the body, xor'ed) | body
//   kOffsets body:      group str | count u32 | count x (topic str | partition u32 | offset u64 | metadata str)
//   kTopicDeleted body: topic str                    (every group's offsets of that topic are gone)
//   kGroupState body:   group str | state str32      (the Kafka coordinator's own encoding; empty: none)
//   str: bytes u16 | bytes; str32: bytes u32 | bytes
// After the last record the file may hold zeros (written ahead so that appends do not grow the file); a
// record never starts with 16 zero bytes. A damaged record with no valid record after it is a torn append (never acknowledged) and is cut off when
// the file is next written; a damaged record followed by a valid one is corruption, refused.
inline constexpr char kGroupLogMagic[8] = {'S', 'T', 'R', 'A', 'T', 'G', 'L', 'G'};
inline constexpr std::uint32_t kGroupLogVersion = 1;
struct GroupLogHeader {
  char magic[8];
  std::uint32_t version;
  std::uint32_t reserved;
  std::uint64_t checksum;
};
static_assert(sizeof(GroupLogHeader) == 24);
struct GroupLogRecordHeader {
  std::uint32_t body_bytes;
  std::uint8_t type;
  std::uint8_t reserved[3];
  std::uint64_t checksum;
};
static_assert(sizeof(GroupLogRecordHeader) == 16);
inline constexpr std::uint32_t kGroupLogRecordBytesMax = 64u << 20;  // bounds one record's body
inline constexpr std::size_t kGroupIdBytesMax = 32767;              // Kafka's string limit
enum class GroupLogRecordType : std::uint8_t { kOffsets = 1, kTopicDeleted = 2, kGroupState = 3 };
struct GroupLogRecord {
  GroupLogRecordType type = GroupLogRecordType::kOffsets;
  std::string name;  // the group (kOffsets, kGroupState) or the topic (kTopicDeleted)
  std::vector<GroupPartitionOffset> offsets;
  std::string state;
};
std::vector<std::byte> encode_group_log_header();
bool is_group_log_header(std::span<const std::byte> bytes);
// Appends the record's bytes to *out. REQUIRES: names at most 65535 bytes, metadata at most
// kGroupMetadataBytesMax, the body at most kGroupLogRecordBytesMax.
void append_group_log_record(const GroupLogRecord& record, std::vector<std::byte>* out);
// Decodes the record at the start of `bytes` into *record and its size into *bytes_used; false when the
// bytes there are not a whole valid record (short, bad length or type, checksum, or body).
bool decode_group_log_record(std::span<const std::byte> bytes, GroupLogRecord* record, std::size_t* bytes_used);

// ---- the producer-id allocator (strata-producer-ids) ----------------------------------------------------

inline constexpr char kProducerIdMagic[8] = {'S', 'T', 'R', 'A', 'T', 'P', 'I', 'D'};
struct ProducerIdBlock {
  char magic[8];
  std::uint32_t version;
  std::uint32_t reserved;
  std::int64_t next_unreserved;  // ids below were (maybe) handed out; never again
  std::uint64_t checksum;
};
static_assert(sizeof(ProducerIdBlock) == 32);
std::vector<std::byte> encode_producer_ids(std::int64_t next_unreserved);
Result<std::int64_t> decode_producer_ids(std::span<const std::byte> bytes, const std::string& path);

// ---- the synced offset (<partition dir>/strata-synced), shared with readers in other processes ------------

// magic[8] | synced offset u64, stored atomically by the writer: every offset below it is written and
// fdatasynced (a reader in another process may apply it to a derived store that must never hold an event
// the log can still lose). Not checksummed: a single aligned word, rewritten in place.
inline constexpr char kSyncedMagic[8] = {'S', 'T', 'R', 'A', 'T', 'S', 'Y', 'N'};
inline constexpr std::size_t kSyncedOffsetAt = 8;
inline constexpr std::size_t kSyncedFileBytes = 16;
inline constexpr std::string_view kSyncedFile = "strata-synced";

// ---- compaction (<partition dir>/strata-cleaned, <base>.log.strata-compacting) ---------------------------

// The cleaner's checkpoint: offsets below it were compacted by the last pass (derived: lost, every sealed
// segment counts as dirty again). magic[8] | cleaned_through u64 | checksum u64 (xxh3-64 of the 16 before).
inline constexpr char kCleanedMagic[8] = {'S', 'T', 'R', 'A', 'C', 'L', 'N', 'D'};
inline constexpr std::size_t kCleanedFileBytes = 24;
inline constexpr std::string_view kCleanedFile = "strata-cleaned";
// A compacted segment being written aside, renamed over <base>.log once whole and synced; a leftover is
// removed by the next pass.
inline constexpr std::string_view kCompactingSuffix = ".strata-compacting";

// ---- names ----------------------------------------------------------------------------------------------

std::string segment_file_name(std::uint64_t base_offset);  // 00000000000000001234.log
std::string index_file_name(std::uint64_t base_offset);    // 00000000000000001234.strata-index
std::string partition_directory_name(std::string_view topic, std::uint32_t partition);  // orders-3
std::string topic_file_name(std::string_view topic);                                     // orders.strata-topic
inline constexpr std::string_view kTopicFileSuffix = ".strata-topic";
// A topic being deleted: its metadata file renamed to <topic>.strata-deleting (the point of no return); the
// partition directories and group checkpoints go next, this file last. Opening a log finishes what a crash
// interrupted.
std::string deleting_topic_file_name(std::string_view topic);  // orders.strata-deleting
inline constexpr std::string_view kDeletingTopicFileSuffix = ".strata-deleting";
inline constexpr std::string_view kGroupsDirectory = "strata-groups";
inline constexpr std::string_view kGroupFileSuffix = ".strata-offset";
inline constexpr std::string_view kGroupLogFile = "strata-groups.strata-log";
inline constexpr std::string_view kProducerIdsFile = "strata-producer-ids";
// Parses "<20 digits>.log"; false for anything else.
bool parse_segment_file_name(std::string_view name, std::uint64_t* base_offset);
// The segment files of strata's format 1 ("<20 digits>.seg"), to refuse them by name.
bool is_format1_segment_name(std::string_view name);

}  // namespace strata::format
