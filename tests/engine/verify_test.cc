#include "strata/inspect.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <random>

#include "engine/format.h"
#include "engine/recovery.h"
#include "strata/log.h"
#include "strata/reader.h"
#include "tests/engine/small_options.h"
#include "tests/engine/test_dir.h"

namespace strata::detail {
namespace {

void fill(const std::string& dir) {
  auto log = Log::open(testing::small_options(dir, Durability::kNone)).value();
  const TopicId topic = log->topic("t").value();
  auto producer = log->producer();
  for (int i = 0; i < 3000; ++i)
    ASSERT_TRUE(producer->append(topic, std::to_string(i), std::string(1000, 'x')).is_ok());
  ASSERT_TRUE(producer->wait_all().is_ok());
}

TEST(Verify, CleanLogHasNoProblems) {
  testing::TestDir dir;
  fill(dir.path());
  auto report = verify_log(dir.path(), "", nullptr).value();
  EXPECT_TRUE(report.problems.empty());
  EXPECT_EQ(report.events, 3000u);
  EXPECT_GE(report.segments, 3u);
}

// The batch starts of a segment, from its bytes.
std::vector<std::uint64_t> batch_starts(const std::vector<std::byte>& bytes, std::uint64_t data_end) {
  std::vector<std::uint64_t> starts;
  for (std::uint64_t position = 0; position < data_end;) {
    starts.push_back(position);
    position += format::decode_batch_header(std::span(bytes).subspan(position)).total_bytes();
  }
  return starts;
}

TEST(Verify, FindsAByteFlippedAtARandomPositionAndNamesFileAndTheBatchStart) {
  std::mt19937_64 rng(5);
  for (int trial = 0; trial < 6; ++trial) {
    testing::TestDir dir;
    fill(dir.path());
    const std::string segment = dir.sub("t-0") + "/" + format::segment_file_name(0);
    auto sealed = read_index(dir.sub("t-0"), 0, nullptr).value();
    std::vector<std::byte> original(sealed.data_end);
    {
      const int fd = ::open(segment.c_str(), O_RDONLY);
      ASSERT_GE(fd, 0);
      ASSERT_EQ(::pread(fd, original.data(), original.size(), 0), static_cast<ssize_t>(original.size()));
      ::close(fd);
    }
    const auto starts = batch_starts(original, sealed.data_end);
    ASSERT_GT(starts.size(), 10u);
    // A position anywhere but a partitionLeaderEpoch (bytes 12-15 of a batch: outside Kafka's CRC).
    std::uint64_t position = 0;
    std::uint64_t holder = 0;
    do {
      position = rng() % sealed.data_end;
      holder = *(std::upper_bound(starts.begin(), starts.end(), position) - 1);
    } while (position - holder >= format::kLeaderEpochAt && position - holder < format::kMagicAt);
    ::chmod(segment.c_str(), 0644);
    const int fd = ::open(segment.c_str(), O_RDWR);
    ASSERT_GE(fd, 0);
    unsigned char byte = 0;
    ASSERT_EQ(::pread(fd, &byte, 1, static_cast<off_t>(position)), 1);
    byte ^= static_cast<unsigned char>(1u << (rng() % 8));
    ASSERT_EQ(::pwrite(fd, &byte, 1, static_cast<off_t>(position)), 1);
    ::close(fd);

    auto report = verify_log(dir.path(), "t", nullptr).value();
    ASSERT_EQ(report.problems.size(), 1u) << "flip at " << position;
    EXPECT_EQ(report.problems[0].file, segment);
    // Reported at the start of the very batch that holds the flipped byte.
    EXPECT_EQ(report.problems[0].position, holder) << "flip at " << position << ": " << report.problems[0].reason;
    EXPECT_FALSE(report.problems[0].reason.empty());
  }
}

// Two damaged batches apart in one sealed segment: both are reported, each at its own start, and the events
// counted are the segment's but theirs (verify once stopped at the first and counted nothing after it).
TEST(Verify, ReportsEveryDamagedBatchOfASealedSegment) {
  testing::TestDir dir;
  fill(dir.path());
  const std::string segment = dir.sub("t-0") + "/" + format::segment_file_name(0);
  auto sealed = read_index(dir.sub("t-0"), 0, nullptr).value();
  std::vector<std::byte> original(sealed.data_end);
  const int fd = ::open(segment.c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::pread(fd, original.data(), original.size(), 0), static_cast<ssize_t>(original.size()));
  const auto starts = batch_starts(original, sealed.data_end);
  ASSERT_GT(starts.size(), 10u);
  std::uint64_t damaged_events = 0;
  for (const std::size_t batch : {std::size_t{2}, std::size_t{7}}) {
    const std::uint64_t position = starts[batch] + format::kBatchHeaderBytes + 10;  // inside its records
    std::byte byte = original[position] ^ std::byte{0x40};
    ASSERT_EQ(::pwrite(fd, &byte, 1, static_cast<off_t>(position)), 1);
    damaged_events += format::decode_batch_header(std::span(original).subspan(starts[batch])).records_count;
  }
  ::close(fd);

  auto report = verify_log(dir.path(), "t", nullptr).value();
  ASSERT_EQ(report.problems.size(), 2u);
  EXPECT_EQ(report.problems[0].position, starts[2]) << report.problems[0].reason;
  EXPECT_EQ(report.problems[1].position, starts[7]) << report.problems[1].reason;
  EXPECT_EQ(report.events, 3000u - damaged_events);
}

TEST(Stat, ShowsConsumerGroupsAndTheirLag) {
  testing::TestDir dir;
  fill(dir.path());
  ASSERT_TRUE(commit_group_offset(dir.path(), "projection", "t", 0, {1000, "m"}).is_ok());
  auto topics = describe_log(dir.path(), "").value();
  ASSERT_EQ(topics.size(), 1u);
  ASSERT_EQ(topics[0].partitions.size(), 1u);
  EXPECT_EQ(topics[0].partitions[0].next_offset, 3000u);
  ASSERT_EQ(topics[0].groups.size(), 1u);
  EXPECT_EQ(topics[0].groups[0].name, "projection");
  ASSERT_EQ(topics[0].groups[0].offsets.size(), 1u);
  EXPECT_EQ(topics[0].groups[0].offsets[0].partition, 0u);
  EXPECT_EQ(topics[0].groups[0].offsets[0].committed.metadata, "m");
  EXPECT_EQ(topics[0].partitions[0].next_offset - topics[0].groups[0].offsets[0].committed.offset, 2000u);
}

}  // namespace
}  // namespace strata::detail
