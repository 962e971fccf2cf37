// strata's on-disk format. Every byte offset, magic number and size lives here; the writer, recovery,
// readers, `strata verify` and the fuzz target all include this header and nothing else defines layout.
// All integers are little-endian (x86-64 and arm64 hosts; asserted below).
//
// A topic is a directory of segment files named by their first offset, 20 digits: 00000000000000000000.seg.
//
// Segment file:
//   [SegmentHeader, padded to kSegmentHeaderBytes] [batch] [batch] ... [seal batch, once sealed] [zeros]
// The file is preallocated (fallocate) to the segment size, so unwritten space reads as zeros; a zero
// batch_bytes field therefore marks the end of data. Batches are 8-byte aligned and follow each other with
// no gaps.
//
// Batch (Kafka v2 in spirit: one header and one checksum for many events):
//   [BatchHeader 40 bytes] [record] [record] ... [zero pad to 8]
//   record = zigzag varint timestamp_delta_us, varint key_bytes, varint value_bytes, key bytes, value bytes
// The checksum is xxh3-64 over every byte of the batch after the checksum field (header rest + records).
// Record i of a batch has offset base_offset + i and timestamp base_timestamp_us + its delta.
//
// A seal batch (kind kSeal, no records, base_offset = the segment's next offset) ends a sealed segment; a
// sealed segment also has an index file, <base>.index (IndexHeader, then IndexEntry[entry_count]), written
// after the seal and synced before the next segment is used. Recovery trusts a sealed segment whose index
// checks out and scans only the active (last, unsealed) segment.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "strata/status.h"

namespace strata::format {

static_assert(std::endian::native == std::endian::little, "strata's format is little-endian");

// ---- segment header -------------------------------------------------------------------------------------

inline constexpr char kSegmentMagic[8] = {'S', 'T', 'R', 'A', 'T', 'S', 'E', 'G'};
inline constexpr std::uint32_t kFormatVersion = 1;
// One direct-IO block, so the first batch starts aligned.
inline constexpr std::size_t kSegmentHeaderBytes = 4096;

struct SegmentHeader {
  char magic[8];
  std::uint32_t version;
  std::uint32_t header_bytes;    // kSegmentHeaderBytes
  std::uint64_t base_offset;     // offset of the first event; also the file name
  std::int64_t created_time_us;  // wall clock at creation
  std::uint64_t reserved[3];     // zero
  std::uint64_t checksum;        // xxh3-64 of the 56 bytes before it
};
static_assert(sizeof(SegmentHeader) == 64);
static_assert(offsetof(SegmentHeader, checksum) == 56);

// ---- batches --------------------------------------------------------------------------------------------

enum class BatchKind : std::uint16_t {
  kRecords = 1,
  kSeal = 2,
};

struct BatchHeader {
  std::uint64_t checksum;     // xxh3-64 of bytes [8, batch_bytes) of the batch
  std::uint32_t batch_bytes;  // header + records, before the pad to 8; 0 marks the end of data
  BatchKind kind;
  std::uint16_t flags;  // zero
  std::uint32_t record_count;
  std::uint32_t reserved;          // zero
  std::uint64_t base_offset;       // offset of the first record (seal: the segment's next offset)
  std::int64_t base_timestamp_us;  // timestamp of the first record
};
static_assert(sizeof(BatchHeader) == 40);
static_assert(offsetof(BatchHeader, batch_bytes) == 8);
static_assert(offsetof(BatchHeader, base_offset) == 24);

inline constexpr std::size_t kBatchHeaderBytes = sizeof(BatchHeader);
inline constexpr std::size_t kBatchAlignment = 8;
inline constexpr std::size_t kVarintBytesMax = 10;
// The most a record's framing adds to its key and value.
inline constexpr std::size_t kRecordOverheadBytesMax = 3 * kVarintBytesMax;
// Limits that keep every size inside a uint32 batch.
inline constexpr std::size_t kBatchBytesMax = 64u << 20;
inline constexpr std::size_t kKeyBytesMax = 64u << 10;
inline constexpr std::size_t kValueBytesMax = 16u << 20;

constexpr std::size_t padded_batch_bytes(std::size_t batch_bytes) {
  return (batch_bytes + kBatchAlignment - 1) & ~(kBatchAlignment - 1);
}

// ---- index file -------------------------------------------------------------------------------------------

inline constexpr char kIndexMagic[8] = {'S', 'T', 'R', 'A', 'T', 'I', 'D', 'X'};

struct IndexHeader {
  char magic[8];
  std::uint32_t version;
  std::uint32_t entry_count;
  std::uint64_t base_offset;
  std::uint64_t next_offset;  // one past the last event of the segment
  std::uint64_t data_end;     // file position just past the seal batch
  std::int64_t max_timestamp_us;
  std::uint64_t checksum;  // xxh3-64 of the header before it and all entries
};
static_assert(sizeof(IndexHeader) == 56);

struct IndexEntry {
  std::uint32_t relative_offset;  // offset - base_offset of the first record of a batch
  std::uint32_t position;         // file position of that batch
  std::int64_t timestamp_us;      // the batch's base timestamp
};
static_assert(sizeof(IndexEntry) == 16);

// ---- encoding and decoding
// ---------------------------------------------------------------------------------

std::uint64_t checksum(std::span<const std::byte> bytes);

// Signed deltas as unsigned varints: 0, -1, 1, -2, ... become 0, 1, 2, 3, ...
constexpr std::uint64_t zigzag(std::int64_t value) {
  return (static_cast<std::uint64_t>(value) << 1) ^ static_cast<std::uint64_t>(value >> 63);
}
constexpr std::int64_t unzigzag(std::uint64_t value) {
  return static_cast<std::int64_t>(value >> 1) ^ -static_cast<std::int64_t>(value & 1);
}
static_assert(unzigzag(zigzag(-5)) == -5 && zigzag(-1) == 1 && zigzag(1) == 2);

// Writes a varint; returns the bytes written (at most kVarintBytesMax).
std::size_t put_varint(std::byte* out, std::uint64_t value);
// Reads a varint from [*in, end); advances *in. False when truncated or longer than 10 bytes.
bool get_varint(const std::byte** in, const std::byte* end, std::uint64_t* value);

std::size_t record_bytes_max(std::size_t key_bytes, std::size_t value_bytes);
// Appends one record at `out`; returns its size. REQUIRES: room for record_bytes_max().
std::size_t put_record(std::byte* out, std::int64_t timestamp_delta_us, std::span<const std::byte> key,
                       std::span<const std::byte> value);

// Finishes a batch whose records already sit after its header at `batch`: fills the header, zeroes the pad,
// and computes the checksum. Returns the padded size.
std::size_t seal_batch_header(std::byte* batch, std::size_t batch_bytes, BatchKind kind,
                              std::uint32_t record_count, std::uint64_t base_offset,
                              std::int64_t base_timestamp_us);

void encode_segment_header(std::byte* out, std::uint64_t base_offset, std::int64_t created_time_us);
// Checks magic, version and checksum; on success stores the base offset.
Status decode_segment_header(std::span<const std::byte> bytes, std::uint64_t* base_offset);

struct RecordView {
  std::uint64_t offset;
  std::int64_t timestamp_us;
  std::span<const std::byte> key;
  std::span<const std::byte> value;
};

// Outcome of looking at the bytes at one position of a segment.
enum class BatchCheck : std::uint8_t {
  kValid,
  kEndOfData,  // batch_bytes == 0: nothing was ever written here
  kInvalid,    // torn, corrupt, or not following its predecessor; `reason` says which
};

struct BatchInfo {
  BatchHeader header;
  std::size_t padded_bytes;  // distance to the next batch
};

// Validates the batch at the start of `bytes` (the rest of the segment's data): size, kind, checksum,
// base offset == expected_offset, and (unless the caller parses them itself, checking every bound as the
// reader does) that its records parse to exactly record_count.
enum class RecordCheck : std::uint8_t { kParse, kCallerParses };
BatchCheck check_batch(std::span<const std::byte> bytes, std::uint64_t expected_offset, BatchInfo* info,
                       std::string* reason, RecordCheck records = RecordCheck::kParse);

// One record's fields, decoded in place.
struct RecordFields {
  std::int64_t timestamp_delta_us;
  std::span<const std::byte> key;
  std::span<const std::byte> value;
};

// Decodes the record at *in, which must end by `end`, and advances *in past it. False when it overruns.
inline bool decode_record(const std::byte** in, const std::byte* end, RecordFields* record) {
  std::uint64_t delta = 0;
  std::uint64_t key_bytes = 0;
  std::uint64_t value_bytes = 0;
  if (!get_varint(in, end, &delta) || !get_varint(in, end, &key_bytes) ||
      !get_varint(in, end, &value_bytes)) {
    return false;
  }
  const auto left = static_cast<std::uint64_t>(end - *in);
  if (key_bytes > left || value_bytes > left - key_bytes) return false;
  *record = {unzigzag(delta), {*in, key_bytes}, {*in + key_bytes, value_bytes}};
  *in += key_bytes + value_bytes;
  return true;
}

// Calls fn(const RecordView&) for each record of a batch that check_batch() accepted (with kParse).
template <typename Fn>
void for_each_record(std::span<const std::byte> batch, const BatchHeader& header, Fn&& fn) {
  const std::byte* in = batch.data() + kBatchHeaderBytes;
  const std::byte* end = batch.data() + header.batch_bytes;
  RecordFields fields{};
  for (std::uint32_t i = 0; i < header.record_count && decode_record(&in, end, &fields); ++i) {
    fn(RecordView{header.base_offset + i, header.base_timestamp_us + fields.timestamp_delta_us, fields.key,
                  fields.value});
  }
}

std::string segment_file_name(std::uint64_t base_offset);  // 00000000000000001234.seg
std::string index_file_name(std::uint64_t base_offset);    // 00000000000000001234.index
// Parses "<20 digits>.seg"; false for anything else.
bool parse_segment_file_name(std::string_view name, std::uint64_t* base_offset);

}  // namespace strata::format
