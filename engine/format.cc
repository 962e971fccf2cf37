#include "engine/format.h"

#include <xxhash.h>

#include <charconv>
#include <cstdio>
#include <cstring>

namespace strata::format {

std::uint64_t checksum(std::span<const std::byte> bytes) {
  return XXH3_64bits(bytes.data(), bytes.size());
}

std::size_t put_varint(std::byte* out, std::uint64_t value) {
  std::size_t n = 0;
  while (value >= 0x80) {
    out[n++] = static_cast<std::byte>((value & 0x7f) | 0x80);
    value >>= 7;
  }
  out[n++] = static_cast<std::byte>(value);
  return n;
}

bool get_varint(const std::byte** in, const std::byte* end, std::uint64_t* value) {
  std::uint64_t result = 0;
  const std::byte* p = *in;
  for (unsigned shift = 0; shift < 64 && p < end; shift += 7) {
    const auto byte = static_cast<std::uint64_t>(*p++);
    result |= (byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) {
      *in = p;
      *value = result;
      return true;
    }
  }
  return false;
}

std::size_t record_bytes_max(std::size_t key_bytes, std::size_t value_bytes) {
  return kRecordOverheadBytesMax + key_bytes + value_bytes;
}

std::size_t put_record(std::byte* out, std::int64_t timestamp_delta_us, std::span<const std::byte> key,
                       std::span<const std::byte> value) {
  std::size_t n = put_varint(out, zigzag(timestamp_delta_us));
  n += put_varint(out + n, key.size());
  n += put_varint(out + n, value.size());
  if (!key.empty()) std::memcpy(out + n, key.data(), key.size());
  n += key.size();
  if (!value.empty()) std::memcpy(out + n, value.data(), value.size());
  return n + value.size();
}

std::size_t seal_batch_header(std::byte* batch, std::size_t batch_bytes, BatchKind kind,
                              std::uint32_t record_count, std::uint64_t base_offset,
                              std::int64_t base_timestamp_us) {
  STRATA_ASSERT(batch_bytes >= kBatchHeaderBytes && batch_bytes <= kBatchBytesMax, "batch of %zu bytes",
                batch_bytes);
  const BatchHeader header{
      0, static_cast<std::uint32_t>(batch_bytes), kind, 0, record_count, 0, base_offset, base_timestamp_us};
  std::memcpy(batch, &header, sizeof header);
  const std::size_t padded = padded_batch_bytes(batch_bytes);
  std::memset(batch + batch_bytes, 0, padded - batch_bytes);
  const std::uint64_t sum = checksum({batch + sizeof(std::uint64_t), batch_bytes - sizeof(std::uint64_t)});
  std::memcpy(batch, &sum, sizeof sum);
  return padded;
}

void encode_segment_header(std::byte* out, std::uint64_t base_offset, std::int64_t created_time_us) {
  SegmentHeader header{};
  std::memcpy(header.magic, kSegmentMagic, sizeof header.magic);
  header.version = kFormatVersion;
  header.header_bytes = kSegmentHeaderBytes;
  header.base_offset = base_offset;
  header.created_time_us = created_time_us;
  header.checksum =
      checksum({reinterpret_cast<const std::byte*>(&header), offsetof(SegmentHeader, checksum)});
  std::memset(out, 0, kSegmentHeaderBytes);
  std::memcpy(out, &header, sizeof header);
}

Status decode_segment_header(std::span<const std::byte> bytes, std::uint64_t* base_offset) {
  if (bytes.size() < sizeof(SegmentHeader)) {
    return corruption("segment header truncated: " + std::to_string(bytes.size()) + " bytes");
  }
  SegmentHeader header;
  std::memcpy(&header, bytes.data(), sizeof header);
  if (std::memcmp(header.magic, kSegmentMagic, sizeof header.magic) != 0) {
    return corruption("not a strata segment (bad magic at position 0)");
  }
  if (header.version != kFormatVersion) {
    return corruption("segment format version " + std::to_string(header.version) + ", expected " +
                      std::to_string(kFormatVersion));
  }
  const std::uint64_t expected =
      checksum({reinterpret_cast<const std::byte*>(&header), offsetof(SegmentHeader, checksum)});
  if (header.checksum != expected || header.header_bytes != kSegmentHeaderBytes) {
    return corruption("segment header checksum mismatch at position 0");
  }
  *base_offset = header.base_offset;
  return Status::ok();
}

namespace {

bool records_parse(std::span<const std::byte> batch, const BatchHeader& header, std::string* reason) {
  const std::byte* in = batch.data() + kBatchHeaderBytes;
  const std::byte* end = batch.data() + header.batch_bytes;
  RecordFields record{};
  for (std::uint32_t i = 0; i < header.record_count; ++i) {
    if (!decode_record(&in, end, &record)) {
      *reason = "record " + std::to_string(i) + " of the batch overruns it";
      return false;
    }
  }
  if (in != end) {
    *reason = "batch has " + std::to_string(end - in) + " bytes after its last record";
    return false;
  }
  return true;
}

}  // namespace

BatchCheck check_batch(std::span<const std::byte> bytes, std::uint64_t expected_offset, BatchInfo* info,
                       std::string* reason, RecordCheck records) {
  if (bytes.size() < kBatchHeaderBytes) {
    if (bytes.empty()) return BatchCheck::kEndOfData;
    *reason = "batch header truncated";
    return BatchCheck::kInvalid;
  }
  BatchHeader header;
  std::memcpy(&header, bytes.data(), sizeof header);
  if (header.batch_bytes == 0) return BatchCheck::kEndOfData;
  if (header.batch_bytes < kBatchHeaderBytes || header.batch_bytes > bytes.size() ||
      header.batch_bytes > kBatchBytesMax) {
    *reason = "batch size " + std::to_string(header.batch_bytes) + " out of range";
    return BatchCheck::kInvalid;
  }
  const std::uint64_t sum =
      checksum({bytes.data() + sizeof(std::uint64_t), header.batch_bytes - sizeof(std::uint64_t)});
  if (sum != header.checksum) {
    *reason = "checksum mismatch";
    return BatchCheck::kInvalid;
  }
  if (header.kind != BatchKind::kRecords && header.kind != BatchKind::kSeal) {
    *reason = "unknown batch kind " + std::to_string(static_cast<unsigned>(header.kind));
    return BatchCheck::kInvalid;
  }
  if (header.base_offset != expected_offset) {
    *reason = "batch starts at offset " + std::to_string(header.base_offset) + ", expected " +
              std::to_string(expected_offset);
    return BatchCheck::kInvalid;
  }
  if (header.kind == BatchKind::kSeal && header.record_count != 0) {
    *reason = "seal batch with records";
    return BatchCheck::kInvalid;
  }
  if (records == RecordCheck::kParse && !records_parse(bytes, header, reason)) return BatchCheck::kInvalid;
  *info = {header, std::min(padded_batch_bytes(header.batch_bytes), bytes.size())};
  return BatchCheck::kValid;
}

std::string segment_file_name(std::uint64_t base_offset) {
  char name[32];
  std::snprintf(name, sizeof name, "%020llu.seg", static_cast<unsigned long long>(base_offset));
  return name;
}

std::string index_file_name(std::uint64_t base_offset) {
  char name[32];
  std::snprintf(name, sizeof name, "%020llu.index", static_cast<unsigned long long>(base_offset));
  return name;
}

bool parse_segment_file_name(std::string_view name, std::uint64_t* base_offset) {
  if (name.size() != 24 || name.substr(20) != ".seg") return false;
  const auto [end, error] = std::from_chars(name.data(), name.data() + 20, *base_offset);
  return error == std::errc() && end == name.data() + 20;
}

}  // namespace strata::format
