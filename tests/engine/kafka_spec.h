// Kafka's RecordBatch v2 written down from the Kafka protocol guide ("Record Batch", "Record", "Record
// Header") alone, for tests that check strata's segments and client-batch path against the spec rather than
// against strata's own codecs. Deliberately does NOT include engine/format.h: its own big-endian fields,
// zig-zag varints and a bitwise-table CRC-32C (Castagnoli, reflected polynomial 0x82F63B78).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace strata::kafka_spec {

// ---- CRC-32C -----------------------------------------------------------------------------------------------

inline const std::array<std::uint32_t, 256>& crc32c_table() {
  static const std::array<std::uint32_t, 256> table = [] {
    std::array<std::uint32_t, 256> t{};
    for (std::uint32_t n = 0; n < 256; ++n) {
      std::uint32_t c = n;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0x82F63B78u ^ (c >> 1) : c >> 1;
      t[n] = c;
    }
    return t;
  }();
  return table;
}

inline std::uint32_t crc32c(const std::uint8_t* data, std::size_t size) {
  std::uint32_t crc = 0xFFFFFFFFu;
  for (std::size_t i = 0; i < size; ++i) crc = crc32c_table()[(crc ^ data[i]) & 0xFF] ^ (crc >> 8);
  return crc ^ 0xFFFFFFFFu;
}

// ---- writing ------------------------------------------------------------------------------------------------

struct Writer {
  std::vector<std::uint8_t> out;
  void u8(std::uint8_t v) { out.push_back(v); }
  void be(std::uint64_t v, int bytes) {
    for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  }
  void i16(std::int16_t v) { be(static_cast<std::uint16_t>(v), 2); }
  void i32(std::int32_t v) { be(static_cast<std::uint32_t>(v), 4); }
  void i64(std::int64_t v) { be(static_cast<std::uint64_t>(v), 8); }
  void varlong(std::int64_t v) {  // zig-zag, then unsigned LEB128
    std::uint64_t z = (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63);
    while (z >= 0x80) {
      out.push_back(static_cast<std::uint8_t>(z | 0x80));
      z >>= 7;
    }
    out.push_back(static_cast<std::uint8_t>(z));
  }
  void bytes(const std::string& s) { out.insert(out.end(), s.begin(), s.end()); }
};

struct Header {
  std::string key;
  std::optional<std::string> value;  // nullopt: null (length -1)
};

struct Record {
  std::int8_t attributes = 0;
  std::int64_t timestamp_delta = 0;
  std::int32_t offset_delta = 0;
  std::optional<std::string> key;  // nullopt: null
  std::optional<std::string> value;
  std::vector<Header> headers;
  std::int64_t length = 0;  // decoding: the record's length varint
};

struct Batch {
  std::int64_t base_offset = 0;
  std::int32_t batch_length = 0;  // decoding only: written from the bytes
  std::int32_t partition_leader_epoch = -1;
  std::int8_t magic = 2;
  std::uint32_t crc = 0;  // decoding only: written as computed
  std::int16_t attributes = 0;
  std::int32_t last_offset_delta = 0;
  std::int64_t base_timestamp = 0;
  std::int64_t max_timestamp = 0;
  std::int64_t producer_id = -1;
  std::int16_t producer_epoch = -1;
  std::int32_t base_sequence = -1;
  std::vector<Record> records;
  std::optional<std::int32_t> records_count_override;  // to build a lying batch
};

inline std::vector<std::uint8_t> encode_record(const Record& r) {
  Writer body;
  body.u8(static_cast<std::uint8_t>(r.attributes));
  body.varlong(r.timestamp_delta);
  body.varlong(r.offset_delta);
  body.varlong(r.key ? static_cast<std::int64_t>(r.key->size()) : -1);
  if (r.key) body.bytes(*r.key);
  body.varlong(r.value ? static_cast<std::int64_t>(r.value->size()) : -1);
  if (r.value) body.bytes(*r.value);
  body.varlong(static_cast<std::int64_t>(r.headers.size()));
  for (const Header& h : r.headers) {
    body.varlong(static_cast<std::int64_t>(h.key.size()));
    body.bytes(h.key);
    body.varlong(h.value ? static_cast<std::int64_t>(h.value->size()) : -1);
    if (h.value) body.bytes(*h.value);
  }
  Writer record;
  record.varlong(static_cast<std::int64_t>(body.out.size()));
  record.out.insert(record.out.end(), body.out.begin(), body.out.end());
  return record.out;
}

// baseOffset | batchLength | partitionLeaderEpoch | magic | crc | attributes | lastOffsetDelta |
// baseTimestamp | maxTimestamp | producerId | producerEpoch | baseSequence | records (count, then each).
inline std::vector<std::uint8_t> encode_batch(const Batch& b) {
  Writer tail;  // attributes..end: what the CRC covers
  tail.i16(b.attributes);
  tail.i32(b.last_offset_delta);
  tail.i64(b.base_timestamp);
  tail.i64(b.max_timestamp);
  tail.i64(b.producer_id);
  tail.i16(b.producer_epoch);
  tail.i32(b.base_sequence);
  tail.i32(b.records_count_override.value_or(static_cast<std::int32_t>(b.records.size())));
  for (const Record& r : b.records) {
    const auto bytes = encode_record(r);
    tail.out.insert(tail.out.end(), bytes.begin(), bytes.end());
  }
  Writer batch;
  batch.i64(b.base_offset);
  batch.i32(static_cast<std::int32_t>(4 + 1 + 4 + tail.out.size()));  // bytes after batchLength
  batch.i32(b.partition_leader_epoch);
  batch.u8(static_cast<std::uint8_t>(b.magic));
  batch.be(crc32c(tail.out.data(), tail.out.size()), 4);
  batch.out.insert(batch.out.end(), tail.out.begin(), tail.out.end());
  return batch.out;
}

// ---- reading ------------------------------------------------------------------------------------------------

struct Reader {
  const std::uint8_t* p;
  const std::uint8_t* end;
  bool ok = true;
  bool need(std::size_t n) {
    if (static_cast<std::size_t>(end - p) < n) ok = false;
    return ok;
  }
  std::uint64_t be(int bytes) {
    if (!need(static_cast<std::size_t>(bytes))) return 0;
    std::uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) v = (v << 8) | *p++;
    return v;
  }
  std::int64_t varlong() {
    std::uint64_t z = 0;
    for (int shift = 0; shift < 70; shift += 7) {
      if (!need(1)) return 0;
      const std::uint8_t byte = *p++;
      z |= static_cast<std::uint64_t>(byte & 0x7F) << shift;
      if ((byte & 0x80) == 0) return static_cast<std::int64_t>(z >> 1) ^ -static_cast<std::int64_t>(z & 1);
    }
    ok = false;
    return 0;
  }
  std::optional<std::string> nullable_bytes(std::int64_t length) {
    if (length < 0) return std::nullopt;
    if (!need(static_cast<std::size_t>(length))) return std::string();
    std::string s(reinterpret_cast<const char*>(p), static_cast<std::size_t>(length));
    p += length;
    return s;
  }
};

struct DecodedBatch {
  Batch batch;
  std::size_t position = 0;  // in the file
  std::size_t total_bytes = 0;
  bool crc_ok = false;
  std::int32_t records_count = 0;
  std::string problem;  // empty when every field decoded and every length agreed
};

// Decodes batches back to back from byte 0 until a batchLength of 0 (a preallocated file's zeros).
inline std::vector<DecodedBatch> decode_segment(const std::vector<std::uint8_t>& file, std::size_t* data_end) {
  std::vector<DecodedBatch> batches;
  std::size_t position = 0;
  while (file.size() - position >= 12) {
    Reader r{file.data() + position, file.data() + file.size()};
    DecodedBatch d;
    d.position = position;
    d.batch.base_offset = static_cast<std::int64_t>(r.be(8));
    d.batch.batch_length = static_cast<std::int32_t>(r.be(4));
    if (d.batch.batch_length == 0) break;
    d.total_bytes = 12 + static_cast<std::size_t>(d.batch.batch_length);
    if (d.batch.batch_length < 49 || position + d.total_bytes > file.size()) {
      d.problem = "batchLength out of range";
      batches.push_back(d);
      break;
    }
    r.end = file.data() + position + d.total_bytes;
    d.batch.partition_leader_epoch = static_cast<std::int32_t>(r.be(4));
    d.batch.magic = static_cast<std::int8_t>(r.be(1));
    d.batch.crc = static_cast<std::uint32_t>(r.be(4));
    d.crc_ok = crc32c(r.p, static_cast<std::size_t>(r.end - r.p)) == d.batch.crc;
    d.batch.attributes = static_cast<std::int16_t>(r.be(2));
    d.batch.last_offset_delta = static_cast<std::int32_t>(r.be(4));
    d.batch.base_timestamp = static_cast<std::int64_t>(r.be(8));
    d.batch.max_timestamp = static_cast<std::int64_t>(r.be(8));
    d.batch.producer_id = static_cast<std::int64_t>(r.be(8));
    d.batch.producer_epoch = static_cast<std::int16_t>(r.be(2));
    d.batch.base_sequence = static_cast<std::int32_t>(r.be(4));
    d.records_count = static_cast<std::int32_t>(r.be(4));
    for (std::int32_t i = 0; i < d.records_count && r.ok; ++i) {
      Record rec;
      rec.length = r.varlong();
      const std::uint8_t* record_start = r.p;
      rec.attributes = static_cast<std::int8_t>(r.be(1));
      rec.timestamp_delta = r.varlong();
      rec.offset_delta = static_cast<std::int32_t>(r.varlong());
      rec.key = r.nullable_bytes(r.varlong());
      rec.value = r.nullable_bytes(r.varlong());
      const std::int64_t header_count = r.varlong();
      for (std::int64_t h = 0; h < header_count && r.ok; ++h) {
        Header header;
        header.key = r.nullable_bytes(r.varlong()).value_or("<null key>");
        header.value = r.nullable_bytes(r.varlong());
        rec.headers.push_back(std::move(header));
      }
      if (r.ok && r.p - record_start != rec.length) {
        d.problem = "record " + std::to_string(i) + ": length varint " + std::to_string(rec.length) + ", body " +
                    std::to_string(r.p - record_start) + " bytes";
      }
      d.batch.records.push_back(std::move(rec));
    }
    if (!r.ok) d.problem = "a field runs past the batch";
    if (d.problem.empty() && r.p != r.end) d.problem = std::to_string(r.end - r.p) + " bytes after the last record";
    batches.push_back(d);
    if (!d.problem.empty()) break;
    position += d.total_bytes;
  }
  *data_end = position;
  return batches;
}

}  // namespace strata::kafka_spec
