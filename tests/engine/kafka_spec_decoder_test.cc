// A segment strata wrote, decoded by a decoder written from the Kafka protocol guide alone
// (tests/engine/kafka_spec.h, which does not include engine/format.h): every field of every batch and record
// is what the spec says it must be for what was appended.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>

#include "strata/log.h"
#include "tests/engine/compaction_fixture.h"
#include "tests/engine/kafka_spec.h"
#include "tests/engine/small_options.h"
#include "tests/engine/test_dir.h"

namespace strata {
namespace {

using testing::small_options;
using testing::TestDir;

struct Appended {
  std::string key;  // empty: appended without a key (stored as null)
  std::string value;
  std::vector<std::pair<std::string, std::string>> headers;
};

std::span<const std::byte> bytes_of(const std::string& s) {
  return std::as_bytes(std::span(s.data(), s.size()));
}

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

TEST(KafkaSpec, SegmentDecodesFieldByFieldWithADecoderWrittenFromTheProtocolGuide) {
  TestDir dir;
  std::vector<Appended> appended;
  std::vector<std::int64_t> reader_stamps_us;
  const std::int64_t before_ms = now_ms();
  {
    auto log = Log::open(small_options(dir.path(), Durability::kSync)).value();
    const TopicId topic = log->topic("spec").value();
    auto producer = log->producer();
    for (int i = 0; i < 200; ++i) {
      Appended a;
      a.key = i % 5 == 0 ? std::string() : "key-" + std::to_string(i);
      a.value = i % 7 == 0 ? std::string() : std::string(static_cast<std::size_t>(i * 13 % 500), static_cast<char>('a' + i % 26));
      for (int h = 0; h < i % 3; ++h) a.headers.emplace_back("h" + std::to_string(h), std::string(static_cast<std::size_t>(h * 3), 'x'));
      std::vector<EventHeader> headers;
      for (const auto& [k, v] : a.headers) headers.push_back({k, bytes_of(v)});
      auto ticket = producer->append(topic, 0, bytes_of(a.key), bytes_of(a.value), headers);
      ASSERT_TRUE(ticket) << ticket.status().to_string();
      if (i % 17 == 0) {  // several batches
        ASSERT_EQ(producer->wait(*ticket).value(), static_cast<std::uint64_t>(i));
      }
      appended.push_back(std::move(a));
    }
    ASSERT_TRUE(producer->wait_all().is_ok());
    auto reader = log->reader("spec").value();
    reader->poll(1000, [&](const Event& e) { reader_stamps_us.push_back(e.timestamp_us); }).value();
    ASSERT_TRUE(log->close().is_ok());
  }
  const std::int64_t after_ms = now_ms();

  const std::string path = dir.sub("spec-0") + "/00000000000000000000.log";
  std::ifstream in(path, std::ios::binary);
  ASSERT_TRUE(in) << path;
  const std::vector<std::uint8_t> file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::size_t data_end = 0;
  const auto batches = kafka_spec::decode_segment(file, &data_end);
  ASSERT_GE(batches.size(), 2u);
  for (std::size_t at = data_end; at < file.size(); ++at) ASSERT_EQ(file[at], 0) << "non-zero byte after the data at " << at;

  std::int64_t next_offset = 0;
  std::size_t next_position = 0;
  std::size_t event = 0;
  for (const auto& d : batches) {
    const kafka_spec::Batch& b = d.batch;
    SCOPED_TRACE("batch at position " + std::to_string(d.position));
    ASSERT_EQ(d.problem, "");
    EXPECT_EQ(d.position, next_position) << "batches follow each other with no padding";
    EXPECT_EQ(b.base_offset, next_offset);
    EXPECT_EQ(b.magic, 2);
    EXPECT_TRUE(d.crc_ok) << "CRC-32C over attributes..end";
    EXPECT_EQ(b.attributes & 0x07, 0) << "no compression";
    EXPECT_NE(b.attributes & 0x08, 0) << "timestampType bit 3: LogAppendTime";
    EXPECT_EQ(b.attributes & 0x30, 0) << "neither transactional nor control";
    EXPECT_EQ(b.producer_id, -1);
    EXPECT_EQ(b.producer_epoch, -1);
    EXPECT_EQ(b.base_sequence, -1);
    ASSERT_GT(d.records_count, 0);
    EXPECT_EQ(b.last_offset_delta, d.records_count - 1);
    ASSERT_EQ(b.records.size(), static_cast<std::size_t>(d.records_count));
    EXPECT_GE(b.max_timestamp, before_ms);
    EXPECT_LE(b.max_timestamp, after_ms);
    EXPECT_GE(b.max_timestamp, b.base_timestamp);
    for (std::size_t i = 0; i < b.records.size(); ++i, ++event) {
      const kafka_spec::Record& r = b.records[i];
      ASSERT_LT(event, appended.size());
      const Appended& a = appended[event];
      SCOPED_TRACE("offset " + std::to_string(event));
      EXPECT_EQ(r.offset_delta, static_cast<std::int32_t>(i));
      EXPECT_EQ(r.attributes, 0);
      if (a.key.empty()) {
        EXPECT_FALSE(r.key.has_value()) << "an empty key is stored as a null key (length -1)";
      } else {
        ASSERT_TRUE(r.key.has_value());
        EXPECT_EQ(*r.key, a.key);
      }
      ASSERT_TRUE(r.value.has_value());
      EXPECT_EQ(*r.value, a.value);
      ASSERT_EQ(r.headers.size(), a.headers.size());
      for (std::size_t h = 0; h < r.headers.size(); ++h) {
        EXPECT_EQ(r.headers[h].key, a.headers[h].first);
        ASSERT_TRUE(r.headers[h].value.has_value());
        EXPECT_EQ(*r.headers[h].value, a.headers[h].second);
      }
      // LogAppendTime: every record's timestamp is the batch's maxTimestamp, whatever its delta says.
      ASSERT_LT(event, reader_stamps_us.size());
      EXPECT_EQ(reader_stamps_us[event], b.max_timestamp * 1000);
    }
    next_offset = b.base_offset + b.last_offset_delta + 1;
    next_position = d.position + d.total_bytes;
  }
  EXPECT_EQ(event, appended.size());
  EXPECT_EQ(next_position, data_end);
}

// Compacted segments as the guide allows them: batches keep their base offset and lastOffsetDelta while records
// inside them are gone, so a batch's records' offsets (baseOffset + offsetDelta) have gaps and the next batch
// starts after baseOffset + lastOffsetDelta. Every batch still decodes field by field with its CRC right, and
// every record kept is the one appended at its offset: each key's latest event below the active segment.
TEST(KafkaSpec, CompactedSegmentsDecodeWithTheGapsTheGuideAllows) {
  TestDir dir;
  testing::Partition before;
  std::uint64_t active_base = 0;
  {
    testing::CompactedTopic fixture(dir.path(), /*key_index=*/false);
    fixture.append_events(20000, 100);
    before = fixture.read_all();
    active_base = fixture.active_base();
    ASSERT_TRUE(fixture.log().compact("t").is_ok());
  }
  std::set<std::uint64_t> expected = testing::compacted_offsets(before, active_base);
  std::erase_if(expected, [&](std::uint64_t offset) { return offset >= active_base; });
  std::set<std::uint64_t> kept;
  std::vector<std::filesystem::path> segments;
  for (const auto& entry : std::filesystem::directory_iterator(dir.sub("t-0"))) {
    if (entry.path().extension() == ".log") segments.push_back(entry.path());
  }
  std::sort(segments.begin(), segments.end());
  std::int64_t next_offset = 0;
  for (const auto& path : segments) {
    if (std::stoull(path.stem().string()) >= active_base) continue;  // the active segment is never compacted
    std::ifstream in(path, std::ios::binary);
    const std::vector<std::uint8_t> file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::size_t data_end = 0;
    for (const auto& d : kafka_spec::decode_segment(file, &data_end)) {
      const kafka_spec::Batch& b = d.batch;
      SCOPED_TRACE(path.filename().string() + ": batch at position " + std::to_string(d.position));
      ASSERT_EQ(d.problem, "");
      EXPECT_TRUE(d.crc_ok) << "CRC-32C over attributes..end, recomputed for the records kept";
      EXPECT_EQ(b.magic, 2);
      EXPECT_GE(b.base_offset, next_offset) << "batches ascend and never overlap";
      ASSERT_EQ(b.records.size(), static_cast<std::size_t>(d.records_count));
      std::int32_t last_delta = -1;
      for (const kafka_spec::Record& r : b.records) {
        EXPECT_GT(r.offset_delta, last_delta) << "offset deltas ascend (with gaps)";
        EXPECT_LE(r.offset_delta, b.last_offset_delta) << "lastOffsetDelta still covers the batch's range";
        last_delta = r.offset_delta;
        const std::uint64_t offset = static_cast<std::uint64_t>(b.base_offset + r.offset_delta);
        ASSERT_TRUE(before.contains(offset)) << "offset " << offset << " was never appended";
        ASSERT_TRUE(r.key.has_value());
        EXPECT_EQ(*r.key, before.at(offset).key) << "offset " << offset;
        ASSERT_TRUE(r.value.has_value());
        EXPECT_EQ(*r.value, before.at(offset).value) << "offset " << offset;
        kept.insert(offset);
      }
      next_offset = b.base_offset + b.last_offset_delta + 1;
    }
    EXPECT_EQ(data_end, file.size()) << "a rewritten segment holds exactly its batches";
  }
  EXPECT_EQ(kept, expected) << "each key's latest event below the active segment, and nothing else";
  EXPECT_LT(kept.size(), static_cast<std::size_t>(active_base)) << "the pass removed nothing";
}

// The spec's CRC-32C is the one Kafka documents (Castagnoli); check the table against its known vector.
TEST(KafkaSpec, Crc32cOfTheStandardCheckString) {
  const std::string check = "123456789";
  EXPECT_EQ(kafka_spec::crc32c(reinterpret_cast<const std::uint8_t*>(check.data()), check.size()), 0xE3069283u);
}

}  // namespace
}  // namespace strata
