// Sealed-segment mappings kept after their last reader (engine/segment_mappings.h): reused by the next
// reader, and let go when the file goes (retention, topic deletion, a removal by another process) or the log
// closes, so that no removed file's space stays held.
#include "engine/segment_mappings.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "engine/recovery.h"
#include "strata/log.h"
#include "tests/engine/small_options.h"
#include "tests/engine/test_dir.h"

namespace strata {
namespace {

using detail::kept_segment_mappings;
using detail::map_sealed_segment;
using testing::small_options;
using testing::TestDir;

// Appends ~3 MiB to t-0 (1 MiB segments: two or more sealed) and reads it all with a reader.
void fill_and_read(Log& log) {
  const TopicId topic = log.topic("t").value();
  auto producer = log.producer();
  const std::string value(1000, 'v');
  for (int i = 0; i < 3000; ++i) ASSERT_TRUE(producer->append(topic, "", value).is_ok());
  ASSERT_TRUE(producer->wait_all().is_ok());
  auto reader = log.reader("t", 0).value();
  std::uint64_t read = 0;
  while (true) {
    auto polled = reader->poll(4096, [&](const Event&) { ++read; });
    ASSERT_TRUE(polled.is_ok()) << polled.status().to_string();
    if (*polled == 0) break;
  }
  ASSERT_EQ(read, 3000u);
}

std::string first_segment(const TestDir& dir) {
  return detail::segment_path(dir.sub("t-0"), 0);
}

// The sealed segment after the first.
std::string second_segment(const TestDir& dir) {
  std::vector<std::string> segments;
  for (const auto& entry : std::filesystem::directory_iterator(dir.sub("t-0"))) {
    if (entry.path().extension() == ".log") segments.push_back(entry.path().string());
  }
  std::sort(segments.begin(), segments.end());
  return segments.size() >= 3 ? segments[1] : std::string();
}

TEST(SegmentMappings, TheNextReaderReusesAMappingItsLastReaderLetGo) {
  TestDir dir;
  auto log = Log::open(small_options(dir.path(), Durability::kNone)).value();
  fill_and_read(*log);
  EXPECT_GE(kept_segment_mappings(dir.sub("t-0")).count, 2u) << "the sealed segments the reader mapped";
  const std::string path = first_segment(dir);
  auto first = map_sealed_segment(path, 4096).value();
  const void* mapped = first->bytes().data();
  first.reset();
  auto again = map_sealed_segment(path, 4096).value();
  EXPECT_EQ(again->bytes().data(), mapped) << "mapped again instead of reused";
}

TEST(SegmentMappings, ClosingTheLogLetsGoOfItsKeptMappings) {
  TestDir dir;
  auto log = Log::open(small_options(dir.path(), Durability::kNone)).value();
  fill_and_read(*log);
  ASSERT_GE(kept_segment_mappings(dir.path()).count, 2u);
  ASSERT_TRUE(log->close().is_ok());
  EXPECT_EQ(kept_segment_mappings(dir.path()).count, 0u);
}

TEST(SegmentMappings, DeletingTheTopicLetsGoOfItsKeptMappings) {
  TestDir dir;
  auto log = Log::open(small_options(dir.path(), Durability::kNone)).value();
  fill_and_read(*log);
  ASSERT_GE(kept_segment_mappings(dir.sub("t-0")).count, 2u);
  ASSERT_TRUE(log->delete_topic("t").is_ok());
  EXPECT_EQ(kept_segment_mappings(dir.sub("t-0")).count, 0u);
}

TEST(SegmentMappings, RetentionLetsGoOfTheSegmentsItRemoves) {
  TestDir dir;
  LogOptions options = small_options(dir.path(), Durability::kNone);
  options.retention_bytes = 2u << 20;
  auto log = Log::open(options).value();
  fill_and_read(*log);  // retention keeps ~2 MiB: the first segment goes once more is sealed
  const TopicId topic = log->topic("t").value();
  auto producer = log->producer();
  const std::string value(1000, 'w');
  for (int i = 0; i < 3000; ++i) ASSERT_TRUE(producer->append(topic, "", value).is_ok());
  ASSERT_TRUE(producer->wait_all().is_ok());
  ASSERT_GT(log->offsets(topic, 0).value().log_start, 0u) << "retention removed nothing";
  EXPECT_EQ(kept_segment_mappings(first_segment(dir)).count, 0u);
}

TEST(SegmentMappings, AFileRemovedByAnotherProcessIsLetGoAtTheNextLookup) {
  TestDir dir;
  auto log = Log::open(small_options(dir.path(), Durability::kNone)).value();
  fill_and_read(*log);
  ASSERT_EQ(kept_segment_mappings(first_segment(dir)).count, 1u);
  const std::string second = second_segment(dir);
  ASSERT_EQ(::unlink(first_segment(dir).c_str()), 0);  // as another process's retention would
  auto lookup = map_sealed_segment(second, 4096);  // any lookup
  ASSERT_TRUE(lookup.is_ok()) << lookup.status().to_string();
  EXPECT_EQ(kept_segment_mappings(first_segment(dir)).count, 0u);
}

}  // namespace
}  // namespace strata
