// The format header's codecs: varints, records, engine-framed batches and their checks, client-batch rules,
// and strata's own files (index, topic metadata, group checkpoints, producer ids). Kafka's own description of
// the batch is checked independently in kafka_spec_decoder_test.cc.
#include "engine/format.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <vector>

namespace strata::format {
namespace {

std::span<const std::byte> bytes_of(const std::string& text) {
  return std::as_bytes(std::span(text.data(), text.size()));
}
std::string text(std::span<const std::byte> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

// Builds an engine batch of the given records (key "key", no headers) in `out`; returns its size.
std::size_t build(std::vector<std::byte>& out, std::uint64_t base_offset, const std::vector<std::string>& values,
                  std::int64_t timestamp_ms = 1000) {
  out.assign(kBatchHeaderBytes + values.size() * 64 + 4096, std::byte{0});
  std::size_t end = kBatchHeaderBytes;
  const std::byte no_headers[1] = {std::byte{0}};
  for (std::size_t i = 0; i < values.size(); ++i) {
    end += put_record(out.data() + end, static_cast<std::int32_t>(i), bytes_of("key"), bytes_of(values[i]),
                      no_headers);
  }
  const std::size_t total = finish_batch(
      out.data(), end - kBatchHeaderBytes,
      {base_offset, static_cast<std::int32_t>(values.size()), timestamp_ms, Compression::kNone});
  EXPECT_EQ(total, end);
  return total;
}

TEST(Format, ZigZagVarintsRoundTripAndRejectTruncation) {
  std::byte buffer[kVarintBytesMax];
  // Each side of the one-, two- and three-byte boundaries (zig-zag 0x7f, 0x80, 0x3fff, 0x4000), where the
  // inline writer switches paths.
  for (const std::int64_t value : std::initializer_list<std::int64_t>{0, 1, -1, 63, -64, 64, 300, -300, 8191, -8192, 8192, -8193, std::int64_t{1} << 35, INT64_MAX, INT64_MIN}) {
    const std::size_t n = put_varint(buffer, value);
    EXPECT_EQ(n, varint_bytes(value)) << value;
    const std::byte* in = buffer;
    std::int64_t decoded = 0;
    ASSERT_TRUE(get_varint(&in, buffer + n, &decoded));
    EXPECT_EQ(decoded, value);
    EXPECT_EQ(in, buffer + n);
    in = buffer;
    if (n > 1) {
      EXPECT_FALSE(get_varint(&in, buffer + n - 1, &decoded)) << "truncated varint accepted";
    }
  }
  // Kafka's examples: zig-zag maps 0, -1, 1, -2 to 0, 1, 2, 3; -1 is the one byte 0x01.
  EXPECT_EQ(put_varint(buffer, -1), 1u);
  EXPECT_EQ(buffer[0], std::byte{0x01});
  // Eleven continuation bytes are not a varint.
  std::byte endless[11];
  std::memset(endless, 0x80, sizeof endless);
  const std::byte* in = endless;
  std::int64_t decoded = 0;
  EXPECT_FALSE(get_varint(&in, endless + sizeof endless, &decoded));
}

TEST(Format, BatchRoundTripsWithOffsetsAndTimestamps) {
  std::vector<std::byte> batch;
  const std::vector<std::string> values = {"a", "", std::string(1000, 'z')};
  const std::size_t total = build(batch, 42, values, 1'700'000'000'123);
  BatchHeader header;
  std::string reason;
  ASSERT_EQ(check_batch(batch, 42, &header, &reason), BatchCheck::kValid) << reason;
  EXPECT_EQ(header.total_bytes(), total);
  EXPECT_EQ(header.base_offset, 42u);
  EXPECT_EQ(header.next_offset(), 45u);
  EXPECT_EQ(header.records_count, 3);
  EXPECT_TRUE(header.log_append_time());
  EXPECT_EQ(header.producer_id, -1);
  std::vector<std::byte> scratch;
  std::vector<std::pair<std::uint64_t, std::string>> records;
  std::vector<std::int64_t> stamps;
  ASSERT_TRUE(for_each_record(std::span(batch).first(total), header, &scratch,
                              [&](const RecordFields& r, std::uint64_t offset, std::int64_t timestamp_ms) {
                                records.emplace_back(offset, text(r.value));
                                stamps.push_back(timestamp_ms);
                                EXPECT_EQ(text(r.key), "key");
                                EXPECT_EQ(r.header_count, 0);
                              })
                  .is_ok());
  ASSERT_EQ(records.size(), 3u);
  using Record = std::pair<std::uint64_t, std::string>;
  EXPECT_EQ(records[0], Record(42, "a"));
  EXPECT_EQ(records[1], Record(43, ""));
  EXPECT_EQ(records[2], Record(44, values[2]));
  for (const std::int64_t stamp : stamps) EXPECT_EQ(stamp, 1'700'000'000'123);
}

TEST(Format, HeadersEncodeAndDecode) {
  const std::string value = "v";
  const std::vector<EventHeader> headers = {{"trace", bytes_of(value)}, {"", {}}, {std::string_view("k2"), bytes_of(value)}};
  std::vector<std::byte> encoded(encoded_headers_bytes(headers));
  encode_headers(encoded.data(), headers);
  std::vector<EventHeader> decoded;
  ASSERT_TRUE(decode_headers(encoded, 3, &decoded));
  ASSERT_EQ(decoded.size(), 3u);
  EXPECT_EQ(decoded[0].key, "trace");
  EXPECT_EQ(text(decoded[0].value), "v");
  EXPECT_EQ(decoded[1].key, "");
  EXPECT_TRUE(decoded[1].value.empty());
  EXPECT_FALSE(decode_headers(encoded, 2, &decoded)) << "a count that disagrees with the encoding";
  EXPECT_FALSE(decode_headers(std::span(encoded).first(encoded.size() - 1), 3, &decoded)) << "truncated";
}

TEST(Format, OverheadPerEventAt100ByteValuesIsAtMost16Bytes) {
  std::vector<std::byte> batch(kBatchHeaderBytes + 1000 * 200);
  std::size_t end = kBatchHeaderBytes;
  const std::string value(100, 'v');
  const std::byte no_headers[1] = {std::byte{0}};
  for (int i = 0; i < 1000; ++i) end += put_record(batch.data() + end, i, bytes_of("12345678"), bytes_of(value), no_headers);
  const std::size_t total = finish_batch(batch.data(), end - kBatchHeaderBytes, {0, 1000, 0, Compression::kNone});
  const double overhead = static_cast<double>(total) / 1000.0 - 108.0;
  EXPECT_LE(overhead, 16.0);
}

// Every bit of a batch is covered by something: baseOffset by the expected offset, batchLength and magic by
// their checks, attributes..end by the CRC-32C. Only partitionLeaderEpoch (bytes 12-15) is outside the CRC
// in Kafka's format (a broker rewrites it), so flips there are not corruption.
TEST(Format, EveryFlippedBitOutsideTheLeaderEpochIsCaught) {
  std::vector<std::byte> batch;
  const std::size_t total = build(batch, 7, {"hello", "world", "again"});
  std::mt19937_64 rng(1);
  int caught = 0;
  for (int trial = 0; trial < 4000; ++trial) {
    std::vector<std::byte> copy = batch;
    const std::size_t position = rng() % total;
    copy[position] ^= static_cast<std::byte>(1u << (rng() % 8));
    BatchHeader header;
    std::string reason;
    const BatchCheck check = check_batch(copy, 7, &header, &reason);
    if (position >= kLeaderEpochAt && position < kMagicAt) {
      EXPECT_EQ(check, BatchCheck::kValid) << "partitionLeaderEpoch is not covered by the CRC";
      continue;
    }
    EXPECT_NE(check, BatchCheck::kValid) << "flip at " << position << " accepted";
    ++caught;
  }
  EXPECT_GT(caught, 3000);
}

TEST(Format, WrongBaseOffsetIsInvalid) {
  std::vector<std::byte> batch;
  build(batch, 10, {"x"});
  BatchHeader header;
  std::string reason;
  EXPECT_EQ(check_batch(batch, 11, &header, &reason), BatchCheck::kInvalid);
  EXPECT_NE(reason.find("expected 11"), std::string::npos) << reason;
  EXPECT_EQ(check_batch(batch, kAnyOffset, &header, &reason), BatchCheck::kValid);
}

TEST(Format, ZerosAreEndOfDataAndAShortTailIsNot) {
  std::vector<std::byte> zeros(4096, std::byte{0});
  BatchHeader header;
  std::string reason;
  EXPECT_EQ(check_batch(zeros, 0, &header, &reason), BatchCheck::kEndOfData);
  EXPECT_EQ(check_batch(std::span(zeros).first(5), 0, &header, &reason), BatchCheck::kEndOfData);
  // A batch cut anywhere after its first non-zero byte is invalid (before it, the zeros read as the end).
  std::vector<std::byte> batch;
  const std::size_t total = build(batch, 5, {"abc"});
  for (const std::size_t cut : {std::size_t{8}, std::size_t{20}, kBatchHeaderBytes - 1, kBatchHeaderBytes + 2, total - 1}) {
    EXPECT_EQ(check_batch(std::span(batch).first(cut), 5, &header, &reason), BatchCheck::kInvalid) << "cut at " << cut;
  }
}

TEST(Format, RecordCountMustMatchLastOffsetDelta) {
  std::vector<std::byte> batch;
  const std::size_t total = build(batch, 0, {"a", "b"});
  store_be<std::int32_t>(batch.data() + kRecordsCountAt, 3);
  store_be<std::uint32_t>(batch.data() + kCrcAt, crc32c(std::span(batch).subspan(kAttributesAt, total - kAttributesAt)));
  BatchHeader header;
  std::string reason;
  EXPECT_EQ(check_batch(batch, 0, &header, &reason), BatchCheck::kInvalid);
  EXPECT_NE(reason.find("recordsCount"), std::string::npos) << reason;
}

TEST(Format, ClientBatchRules) {
  std::vector<std::byte> batch;
  const std::size_t total = build(batch, 0, {"a", "b"});
  batch.resize(total);
  BatchHeader header;
  EXPECT_TRUE(validate_client_batch(batch, 1u << 20, &header).is_ok());
  EXPECT_EQ(validate_client_batch(batch, total - 1, &header).code(), StatusCode::kTooLarge);
  EXPECT_EQ(validate_client_batch(std::span(batch).first(60), 1u << 20, &header).code(), StatusCode::kInvalidArgument);
  auto refresh_crc = [&](std::vector<std::byte>& b) {
    store_be<std::uint32_t>(b.data() + kCrcAt, crc32c(std::span(b).subspan(kAttributesAt)));
  };
  {
    auto bad = batch;
    bad.back() ^= std::byte{1};
    EXPECT_EQ(validate_client_batch(bad, 1u << 20, &header).code(), StatusCode::kCorruption);
  }
  for (const std::uint16_t flag : {kControlFlag, kTransactionalFlag}) {
    auto bad = batch;
    store_be<std::uint16_t>(bad.data() + kAttributesAt, static_cast<std::uint16_t>(load_be<std::uint16_t>(bad.data() + kAttributesAt) | flag));
    refresh_crc(bad);
    EXPECT_EQ(validate_client_batch(bad, 1u << 20, &header).code(), StatusCode::kInvalidArgument) << flag;
  }
  {
    auto bad = batch;
    bad[kMagicAt] = std::byte{1};
    EXPECT_EQ(validate_client_batch(bad, 1u << 20, &header).code(), StatusCode::kInvalidArgument);
  }
  {
    auto bad = batch;  // an idempotent producer id without a sequence
    store_be<std::int64_t>(bad.data() + kProducerIdAt, 5);
    refresh_crc(bad);
    EXPECT_EQ(validate_client_batch(bad, 1u << 20, &header).code(), StatusCode::kInvalidArgument);
  }
  {
    auto bad = batch;  // codec 7 does not exist
    store_be<std::uint16_t>(bad.data() + kAttributesAt, 7);
    refresh_crc(bad);
    EXPECT_EQ(validate_client_batch(bad, 1u << 20, &header).code(), StatusCode::kInvalidArgument);
  }
  {
    auto longer = batch;  // batchLength disagrees with the bytes sent
    longer.push_back(std::byte{0});
    EXPECT_EQ(validate_client_batch(longer, 1u << 20, &header).code(), StatusCode::kInvalidArgument);
  }
}

TEST(Format, IndexRoundTripsAndRejectsDamage) {
  const SegmentSummary summary{100, 250, 123456, 1'700'000'000'000'000};
  const std::vector<IndexEntry> entries = {{0, 0, 1}, {50, 4096, 2}, {120, 9000, 3}};
  auto bytes = encode_index(summary, entries);
  std::vector<IndexEntry> decoded_entries;
  auto decoded = decode_index(bytes, 100, "idx", &decoded_entries);
  ASSERT_TRUE(decoded) << decoded.status().to_string();
  EXPECT_EQ(decoded->next_offset, 250u);
  EXPECT_EQ(decoded->data_end, 123456u);
  EXPECT_EQ(decoded->max_timestamp_us, summary.max_timestamp_us);
  ASSERT_EQ(decoded_entries.size(), 3u);
  EXPECT_EQ(decoded_entries[2].position, 9000u);
  EXPECT_EQ(decode_index(bytes, 101, "idx", nullptr).status().code(), StatusCode::kCorruption);
  for (std::size_t at = 0; at < bytes.size(); at += 7) {
    auto damaged = bytes;
    damaged[at] ^= std::byte{0x10};
    EXPECT_FALSE(decode_index(damaged, 100, "idx", nullptr)) << "flip at " << at;
  }
  bytes.pop_back();
  EXPECT_FALSE(decode_index(bytes, 100, "idx", nullptr));
}

TEST(Format, TopicMetadataRoundTripsAndRejectsDamage) {
  TopicInfo info{"orders", 12, Compression::kZstd, 1234567, "00112233445566778899aabbccddeeff"};
  const auto bytes = encode_topic(info);
  auto decoded = decode_topic(bytes, "orders", "p");
  ASSERT_TRUE(decoded) << decoded.status().to_string();
  EXPECT_EQ(decoded->partitions, 12u);
  EXPECT_EQ(decoded->compression, Compression::kZstd);
  EXPECT_EQ(decoded->created_time_us, 1234567);
  EXPECT_EQ(decoded->log_id, info.log_id);
  for (std::size_t at = 0; at < bytes.size(); ++at) {
    auto damaged = bytes;
    damaged[at] ^= std::byte{0x01};
    EXPECT_EQ(decode_topic(damaged, "orders", "p").status().code(), StatusCode::kCorruption) << at;
  }
}

TEST(Format, GroupCheckpointAndProducerIdsRoundTripAndRejectDamage) {
  const GroupOffset committed{987654321, "client metadata"};
  const auto bytes = encode_group_checkpoint(committed);
  auto decoded = decode_group_checkpoint(bytes, "g");
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->offset, committed.offset);
  EXPECT_EQ(decoded->metadata, committed.metadata);
  for (std::size_t at = 0; at < bytes.size(); ++at) {
    auto damaged = bytes;
    damaged[at] ^= std::byte{0x01};
    EXPECT_FALSE(decode_group_checkpoint(damaged, "g")) << at;
  }
  const auto ids = encode_producer_ids(5000);
  EXPECT_EQ(decode_producer_ids(ids, "p").value(), 5000);
  auto damaged = ids;
  damaged[20] ^= std::byte{1};
  EXPECT_FALSE(decode_producer_ids(damaged, "p"));
}

TEST(Format, FileNames) {
  EXPECT_EQ(segment_file_name(1048576), "00000000000001048576.log");
  EXPECT_EQ(index_file_name(1048576), "00000000000001048576.strata-index");
  EXPECT_EQ(partition_directory_name("orders", 3), "orders-3");
  EXPECT_EQ(topic_file_name("orders"), "orders.strata-topic");
  std::uint64_t base = 0;
  EXPECT_TRUE(parse_segment_file_name("00000000000001048576.log", &base));
  EXPECT_EQ(base, 1048576u);
  EXPECT_FALSE(parse_segment_file_name("0000000000000104857x.log", &base));
  EXPECT_FALSE(parse_segment_file_name("00000000000001048576.seg", &base));
  EXPECT_FALSE(parse_segment_file_name("00000000000001048576.strata-index", &base));
  EXPECT_FALSE(parse_segment_file_name("1.log", &base));
  EXPECT_TRUE(is_format1_segment_name("00000000000000000000.seg"));
  EXPECT_FALSE(is_format1_segment_name("00000000000000000000.log"));
}

}  // namespace
}  // namespace strata::format
