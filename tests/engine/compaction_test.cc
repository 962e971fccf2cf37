// Compacted topics (cleanup.policy=compact): each key's latest event kept in the sealed segments, offsets
// unchanged, tombstones dropped once older than delete.retention.ms, the active segment untouched; what
// readers, key readers, recovery and `verify` make of compacted segments; readers holding the old segment;
// idempotent producers' state; the background cleaner and the dirty ratio.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <thread>

#include "engine/compactor.h"
#include "engine/crc32c.h"
#include "engine/format.h"
#include "strata/inspect.h"
#include "strata/key_reader.h"
#include "strata/log.h"
#include "strata/record_batch.h"
#include "tests/engine/compaction_fixture.h"
#include "tests/engine/kafka_spec.h"
#include "tests/engine/small_options.h"
#include "tests/engine/test_dir.h"

namespace strata {
namespace {

using testing::bytes_of;
using testing::CompactedTopic;
using testing::text;
using testing::TestDir;

TEST(Compaction, KeepsEachKeysLatestEventAndEveryOffset) {
  TestDir dir;
  CompactedTopic fixture(dir.path(), /*key_index=*/false);
  fixture.append_events(20000, 100);
  const std::uint64_t active_base = fixture.active_base();
  ASSERT_GT(active_base, 0u) << "no sealed segment to compact";
  const auto before = fixture.read_all();
  ASSERT_EQ(before.size(), 20000u);
  auto stats = fixture.log().compact("t");
  ASSERT_TRUE(stats.is_ok()) << stats.status().to_string();
  EXPECT_GT(stats->segments_rewritten, 0u);
  EXPECT_GT(stats->bytes_reclaimed, stats->bytes_read / 2);
  const auto after = fixture.read_all();
  // Expected: below the active segment each key's latest offset there, from it on every offset.
  std::map<std::string, std::uint64_t> latest_sealed;
  for (const auto& [offset, event] : before) {
    if (offset < active_base) latest_sealed[event.key] = offset;
  }
  std::set<std::uint64_t> expected;
  for (const auto& [key, offset] : latest_sealed) expected.insert(offset);
  for (const auto& [offset, event] : before) {
    if (offset >= active_base) expected.insert(offset);
  }
  std::set<std::uint64_t> got;
  for (const auto& [offset, event] : after) {
    got.insert(offset);
    EXPECT_EQ(event.value, before.at(offset).value) << "offset " << offset << " changed";
  }
  EXPECT_EQ(got, expected);
  EXPECT_EQ(stats->events_removed, before.size() - after.size());
  auto verified = verify_log(dir.path(), "t");
  ASSERT_TRUE(verified.is_ok()) << verified.status().to_string();
  EXPECT_TRUE(verified->problems.empty()) << verified->problems.front().reason;
  // A second pass finds nothing more to drop.
  auto again = fixture.log().compact("t");
  ASSERT_TRUE(again.is_ok());
  EXPECT_EQ(again->segments_rewritten, 0u);
}

// A compacted segment decoded by the decoder written from the Kafka protocol guide alone: every batch's CRC,
// offsets covered densely by the batches, records at offsets inside their batch's range, in order, each the
// event appended at its offset; nothing after the data.
TEST(Compaction, CompactedSegmentsDecodeWithTheKafkaSpecDecoder) {
  TestDir dir;
  CompactedTopic fixture(dir.path(), /*key_index=*/false);
  fixture.append_events(20000, 100);
  const auto before = fixture.read_all();
  ASSERT_TRUE(fixture.log().compact("t").is_ok());
  // The last sealed segment: it keeps each key's latest event of the range compacted.
  std::vector<std::string> segments;
  for (const auto& entry : std::filesystem::directory_iterator(dir.sub("t-0"))) {
    if (entry.path().extension() == ".log") segments.push_back(entry.path().string());
  }
  std::sort(segments.begin(), segments.end());
  ASSERT_GE(segments.size(), 2u);
  const std::string path = segments[segments.size() - 2];
  std::ifstream in(path, std::ios::binary);
  const std::vector<std::uint8_t> file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::size_t data_end = 0;
  const auto batches = kafka_spec::decode_segment(file, &data_end);
  EXPECT_EQ(data_end, file.size());
  std::int64_t next_offset = std::stoll(std::filesystem::path(path).stem().string());
  std::size_t records = 0;
  for (const auto& d : batches) {
    SCOPED_TRACE("batch at position " + std::to_string(d.position));
    ASSERT_EQ(d.problem, "");
    EXPECT_TRUE(d.crc_ok);
    EXPECT_EQ(d.batch.base_offset, next_offset);
    EXPECT_LE(d.records_count, d.batch.last_offset_delta + 1);
    std::int32_t previous_delta = -1;
    for (const kafka_spec::Record& r : d.batch.records) {
      EXPECT_GT(r.offset_delta, previous_delta);
      EXPECT_LE(r.offset_delta, d.batch.last_offset_delta);
      previous_delta = r.offset_delta;
      const auto offset = static_cast<std::uint64_t>(d.batch.base_offset + r.offset_delta);
      ASSERT_TRUE(before.contains(offset));
      EXPECT_EQ(r.key.value_or(""), before.at(offset).key);
      EXPECT_EQ(r.value.value_or(""), before.at(offset).value);
      ++records;
    }
    next_offset = d.batch.base_offset + d.batch.last_offset_delta + 1;
  }
  EXPECT_GT(records, 0u);
  EXPECT_LE(records, 100u);  // at most each key's latest event
}

TEST(Compaction, ReadersSeekIntoGapsAndSurviveRecovery) {
  TestDir dir;
  {
    CompactedTopic fixture(dir.path(), /*key_index=*/false);
    fixture.append_events(20000, 100);
    ASSERT_TRUE(fixture.log().compact("t").is_ok());
    // A seek to an offset compaction removed lands on the next event kept.
    auto reader = fixture.log().reader("t", 0).value();
    ASSERT_TRUE(reader->seek(1).is_ok());
    std::uint64_t first = UINT64_MAX;
    ASSERT_TRUE(reader->poll(1, [&](const Event& event) { first = event.offset; }).is_ok());
    EXPECT_GT(first, 1u);
  }
  const auto before = CompactedTopic::read_directory(dir.path());
  // Reopened with every index removed: recovery rebuilds them from the compacted segments.
  for (const auto& entry : std::filesystem::directory_iterator(dir.sub("t-0"))) {
    if (entry.path().extension() == ".strata-index") std::filesystem::remove(entry.path());
  }
  CompactedTopic reopened(dir.path(), /*key_index=*/false);
  EXPECT_EQ(reopened.read_all(), before);
}

TEST(Compaction, KeyReadsAndConditionalAppendsAfterCompactionAndRebuild) {
  TestDir dir;
  {
    CompactedTopic fixture(dir.path(), /*key_index=*/true);
    fixture.append_events(20000, 100);
    auto keys = fixture.log().key_reader("t", 0, ReadLevel::kDurable).value();
    const auto offsets_before = keys->offsets(bytes_of("key-7"), 0).value();
    ASSERT_TRUE(fixture.log().compact("t").is_ok());
    const auto offsets_after = keys->offsets(bytes_of("key-7"), 0).value();
    ASSERT_FALSE(offsets_after.empty());
    EXPECT_EQ(offsets_after.back(), offsets_before.back());
    EXPECT_LT(offsets_after.size(), offsets_before.size());
    for (const std::uint64_t offset : offsets_after) {
      EXPECT_TRUE(offset >= fixture.active_base() || offset == fixture.latest_sealed_offset_of("key-7"));
    }
    std::size_t read = 0;
    ASSERT_TRUE(keys->read(bytes_of("key-7"), 0, SIZE_MAX, [&](const Event&) { ++read; }).is_ok());
    EXPECT_EQ(read, offsets_after.size());
  }
  // The key files removed: the log rebuilds them from the compacted segments (offset gaps inside batches).
  for (const auto& entry : std::filesystem::directory_iterator(dir.sub("t-0"))) {
    if (entry.path().extension() == ".strata-keys") std::filesystem::remove(entry.path());
  }
  CompactedTopic reopened(dir.path(), /*key_index=*/true);
  auto keys = reopened.log().key_reader("t", 0, ReadLevel::kDurable).value();
  const auto offsets = keys->offsets(bytes_of("key-7"), 0).value();
  ASSERT_FALSE(offsets.empty());
  auto producer = reopened.log().producer();
  const TopicId topic = reopened.log().find_topic("t").value();
  auto appended = producer->append(topic, 0, bytes_of("key-7"), bytes_of("next"), {},
                                   {.expected = Expected::offset(offsets.back())});
  ASSERT_TRUE(appended.is_ok());
  EXPECT_TRUE(producer->wait(*appended).is_ok());
}

TEST(Compaction, TombstonesStayUntilDeleteRetentionThenGo) {
  TestDir dir;
  CompactedTopic fixture(dir.path(), /*key_index=*/true, {{"delete.retention.ms", "1000"}});
  fixture.append_events(2000, 100);
  const std::int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                  std::chrono::system_clock::now().time_since_epoch()).count();
  // key-3 deleted a minute ago (expired), key-4 just now (kept).
  const std::uint64_t old_tombstone = fixture.append_tombstone("key-3", now_ms - 60'000);
  const std::uint64_t new_tombstone = fixture.append_tombstone("key-4", now_ms);
  fixture.append_events(12000, 100, /*skip_keys=*/{"key-3", "key-4"});
  ASSERT_LT(new_tombstone, fixture.active_base());
  auto keys = fixture.log().key_reader("t", 0, ReadLevel::kDurable).value();
  ASSERT_TRUE(fixture.log().compact("t").is_ok());
  const auto after = fixture.read_all();
  EXPECT_FALSE(after.contains(old_tombstone));
  ASSERT_TRUE(after.contains(new_tombstone));
  EXPECT_TRUE(after.at(new_tombstone).value.empty());
  for (const auto& [offset, event] : after) EXPECT_NE(event.key, "key-3") << "offset " << offset;
  EXPECT_TRUE(keys->offsets(bytes_of("key-3"), 0).value().empty());
  // The key has no event any more: an append expecting none is taken, by this log and after a restart.
  auto producer = fixture.log().producer();
  const TopicId topic = fixture.log().find_topic("t").value();
  auto ticket = producer->append(topic, 0, bytes_of("key-3"), bytes_of("reborn"), {},
                                 {.expected = Expected::no_event()});
  ASSERT_TRUE(ticket.is_ok());
  auto stored = producer->wait(*ticket);
  EXPECT_TRUE(stored.is_ok()) << stored.status().to_string();
}

TEST(Compaction, TheActiveSegmentAndYoungSegmentsStay) {
  TestDir dir;
  CompactedTopic fixture(dir.path(), /*key_index=*/false, {{"min.compaction.lag.ms", "3600000"}});
  fixture.append_events(20000, 100);
  auto stats = fixture.log().compact("t");
  ASSERT_TRUE(stats.is_ok());
  EXPECT_EQ(stats->segments_cleaned, 0u);  // every sealed segment is younger than an hour
  EXPECT_EQ(fixture.read_all().size(), 20000u);
}

TEST(Compaction, AReaderHoldingTheOldSegmentKeepsReadingIt) {
  TestDir dir;
  CompactedTopic fixture(dir.path(), /*key_index=*/false);
  fixture.append_events(20000, 100);
  auto reader = fixture.log().reader("t", 0).value();
  std::vector<std::uint64_t> offsets;
  ASSERT_TRUE(reader->poll(10, [&](const Event& event) { offsets.push_back(event.offset); }).is_ok());
  ASSERT_TRUE(fixture.log().compact("t").is_ok());
  while (true) {
    auto polled = reader->poll(4096, [&](const Event& event) { offsets.push_back(event.offset); });
    ASSERT_TRUE(polled.is_ok()) << polled.status().to_string();
    if (*polled == 0) break;
  }
  // The first segment was mapped before the pass: all of its events; every offset in order.
  ASSERT_GE(offsets.size(), 10u);
  EXPECT_TRUE(std::is_sorted(offsets.begin(), offsets.end()));
  EXPECT_EQ(std::set<std::uint64_t>(offsets.begin(), offsets.end()).size(), offsets.size());
  EXPECT_EQ(offsets.back(), 19999u);
}

TEST(Compaction, CompactIsRefusedForTopicsWithoutTheCompactPolicy) {
  TestDir dir;
  LogOptions options = testing::small_options(dir.path());
  auto log = Log::open(options).value();
  ASSERT_TRUE(log->topic("plain").is_ok());
  auto refused = log->compact("plain");
  EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(refused.status().message().find("cleanup.policy=compact"), std::string::npos);
  EXPECT_EQ(log->compact("missing").status().code(), StatusCode::kNotFound);
}

TEST(Compaction, TheCleanerCompactsDirtyPartitionsOnItsOwn) {
  TestDir dir;
  CompactedTopic fixture(dir.path(), /*key_index=*/false, {}, std::chrono::milliseconds(50));
  fixture.append_events(20000, 100);
  auto dirty = [&] { return describe_log(dir.path(), "t").value()[0].partitions[0]; };
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (dirty().dirty_ratio() > 0.5 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_LE(dirty().dirty_ratio(), 0.5);
  EXPECT_GT(dirty().clean_bytes, 0u);
  EXPECT_LT(fixture.read_all().size(), 20000u);
}

TEST(Compaction, DeletingATopicWaitsForTheCleanersPass) {
  TestDir dir;
  CompactedTopic fixture(dir.path(), /*key_index=*/true, {}, std::chrono::milliseconds(1));
  fixture.append_events(20000, 100);
  Status deleted = fixture.log().delete_topic("t");
  EXPECT_TRUE(deleted.is_ok()) << deleted.to_string();
  EXPECT_FALSE(std::filesystem::exists(dir.sub("t-0")));
}

TEST(Compaction, AnIdempotentProducersLastSequenceSurvives) {
  TestDir dir;
  std::vector<std::byte> batch;
  std::uint64_t stored_at = 0;
  {
    CompactedTopic fixture(dir.path(), /*key_index=*/false);
    fixture.append_events(1000, 100);
    const ProducerIdentity identity = fixture.log().allocate_producer_id().value();
    batch = fixture.idempotent_batch(identity, 0, "key-1", "first");
    stored_at = fixture.append_client_batch(batch);
    // key-1 again right after (the producer's batch keeps no record), then its segment sealed: the last
    // sealed one, whose batch headers recovery reads producer state from.
    fixture.append_one("key-1");
    fixture.append_until_sealed(stored_at, 100);
    ASSERT_TRUE(fixture.log().compact("t").is_ok());
    EXPECT_FALSE(fixture.read_all().contains(stored_at));
  }
  CompactedTopic reopened(dir.path(), /*key_index=*/false);
  // The retry of sequence 0 is still known: answered with its offset, not stored twice.
  EXPECT_EQ(reopened.append_client_batch(batch), stored_at);
}

}  // namespace
}  // namespace strata
