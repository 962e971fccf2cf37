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

// Builds a batch of the given records in `out`; returns its padded size.
std::size_t build(std::vector<std::byte>& out, std::uint64_t base_offset,
                  const std::vector<std::string>& values) {
  out.assign(kBatchHeaderBytes + values.size() * 64 + 4096, std::byte{0});
  std::size_t end = kBatchHeaderBytes;
  for (std::size_t i = 0; i < values.size(); ++i) {
    end +=
        put_record(out.data() + end, static_cast<std::int64_t>(i) - 1, bytes_of("key"), bytes_of(values[i]));
  }
  return seal_batch_header(out.data(), end, BatchKind::kRecords, static_cast<std::uint32_t>(values.size()),
                           base_offset, 1000);
}

TEST(Format, VarintsRoundTrip) {
  std::byte buffer[kVarintBytesMax];
  for (const std::uint64_t value : {0ull, 1ull, 127ull, 128ull, 300ull, 1ull << 35, ~0ull}) {
    const std::size_t n = put_varint(buffer, value);
    const std::byte* in = buffer;
    std::uint64_t decoded = 0;
    ASSERT_TRUE(get_varint(&in, buffer + n, &decoded));
    EXPECT_EQ(decoded, value);
    EXPECT_EQ(in, buffer + n);
    in = buffer;
    if (n > 1) {
      EXPECT_FALSE(get_varint(&in, buffer + n - 1, &decoded)) << "truncated varint accepted";
    }
  }
}

TEST(Format, BatchRoundTripsWithOffsetsAndTimestamps) {
  std::vector<std::byte> batch;
  const std::vector<std::string> values = {"a", "", std::string(1000, 'z')};
  const std::size_t padded = build(batch, 42, values);
  EXPECT_EQ(padded % kBatchAlignment, 0u);
  BatchInfo info{};
  std::string reason;
  ASSERT_EQ(check_batch(batch, 42, &info, &reason), BatchCheck::kValid) << reason;
  EXPECT_EQ(info.padded_bytes, padded);
  std::vector<RecordView> records;
  for_each_record(batch, info.header, [&](const RecordView& r) { records.push_back(r); });
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0].offset, 42u);
  EXPECT_EQ(records[0].timestamp_us, 999);  // negative deltas survive (zigzag)
  EXPECT_EQ(records[2].offset, 44u);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(records[2].value.data()), records[2].value.size()),
            values[2]);
}

TEST(Format, OverheadPerEventAt100ByteValuesIsAtMost16Bytes) {
  std::vector<std::string> values(1000, std::string(100, 'v'));
  std::vector<std::byte> batch(kBatchHeaderBytes + 1000 * 200);
  std::size_t end = kBatchHeaderBytes;
  for (const auto& value : values)
    end += put_record(batch.data() + end, 5, bytes_of("12345678"), bytes_of(value));
  const std::size_t padded = seal_batch_header(batch.data(), end, BatchKind::kRecords, 1000, 0, 0);
  const double overhead = static_cast<double>(padded) / 1000.0 - 108.0;
  EXPECT_LE(overhead, 16.0);
}

TEST(Format, EveryFlippedBitIsCaught) {
  std::vector<std::byte> batch;
  const std::size_t padded = build(batch, 7, {"hello", "world", "again"});
  const std::size_t batch_bytes = padded;  // pad bytes are covered too when they fall inside batch_bytes
  std::mt19937_64 rng(1);
  for (int trial = 0; trial < 2000; ++trial) {
    std::vector<std::byte> copy = batch;
    const std::size_t position = rng() % batch_bytes;
    copy[position] ^= static_cast<std::byte>(1u << (rng() % 8));
    BatchInfo info{};
    std::string reason;
    const BatchCheck check = check_batch(copy, 7, &info, &reason);
    // A flip in the alignment pad after batch_bytes is outside the batch: nothing to catch.
    BatchHeader header;
    std::memcpy(&header, batch.data(), sizeof header);
    if (position >= header.batch_bytes) continue;
    EXPECT_NE(check, BatchCheck::kValid) << "flip at " << position << " accepted";
  }
}

TEST(Format, WrongBaseOffsetIsInvalid) {
  std::vector<std::byte> batch;
  build(batch, 10, {"x"});
  BatchInfo info{};
  std::string reason;
  EXPECT_EQ(check_batch(batch, 11, &info, &reason), BatchCheck::kInvalid);
  EXPECT_NE(reason.find("expected 11"), std::string::npos) << reason;
}

TEST(Format, ZerosAreEndOfData) {
  std::vector<std::byte> zeros(4096, std::byte{0});
  BatchInfo info{};
  std::string reason;
  EXPECT_EQ(check_batch(zeros, 0, &info, &reason), BatchCheck::kEndOfData);
}

TEST(Format, SegmentHeaderRoundTripsAndRejectsDamage) {
  std::vector<std::byte> header(kSegmentHeaderBytes);
  encode_segment_header(header.data(), 1234, 99);
  std::uint64_t base = 0;
  ASSERT_TRUE(decode_segment_header(header, &base).is_ok());
  EXPECT_EQ(base, 1234u);
  header[20] ^= std::byte{1};
  EXPECT_EQ(decode_segment_header(header, &base).code(), StatusCode::kCorruption);
}

TEST(Format, SegmentFileNames) {
  EXPECT_EQ(segment_file_name(1048576), "00000000000001048576.seg");
  std::uint64_t base = 0;
  EXPECT_TRUE(parse_segment_file_name("00000000000001048576.seg", &base));
  EXPECT_EQ(base, 1048576u);
  EXPECT_FALSE(parse_segment_file_name("0000000000000104857x.seg", &base));
  EXPECT_FALSE(parse_segment_file_name("00000000000001048576.index", &base));
  EXPECT_FALSE(parse_segment_file_name("1.seg", &base));
}

}  // namespace
}  // namespace strata::format
