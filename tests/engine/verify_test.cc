#include "engine/verify.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <random>

#include "engine/format.h"
#include "engine/inspect.h"
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

TEST(Verify, FindsAByteFlippedAtARandomPositionAndNamesFileAndPosition) {
  std::mt19937_64 rng(5);
  for (int trial = 0; trial < 5; ++trial) {
    testing::TestDir dir;
    fill(dir.path());
    const std::string segment = dir.sub("t") + "/" + format::segment_file_name(0);
    struct stat info {};
    ASSERT_EQ(::stat(segment.c_str(), &info), 0);
    auto sealed = read_index(dir.sub("t") + "/" + format::index_file_name(0), 0, nullptr).value();
    const auto position = static_cast<off_t>(format::kSegmentHeaderBytes +
                                             rng() % (sealed.data_end - format::kSegmentHeaderBytes));
    ::chmod(segment.c_str(), 0644);
    const int fd = ::open(segment.c_str(), O_RDWR);
    ASSERT_GE(fd, 0);
    unsigned char byte = 0;
    ASSERT_EQ(::pread(fd, &byte, 1, position), 1);
    byte ^= static_cast<unsigned char>(1u << (rng() % 8));
    ASSERT_EQ(::pwrite(fd, &byte, 1, position), 1);
    ::close(fd);

    auto report = verify_log(dir.path(), "t", nullptr).value();
    ASSERT_EQ(report.problems.size(), 1u) << "flip at " << position;
    EXPECT_EQ(report.problems[0].file, segment);
    // The problem is reported at the start of the batch that holds the flipped byte.
    EXPECT_LE(report.problems[0].position, static_cast<std::uint64_t>(position));
    EXPECT_GT(report.problems[0].position + format::kBatchBytesMax, static_cast<std::uint64_t>(position));
    EXPECT_FALSE(report.problems[0].reason.empty());
  }
}

TEST(Stat, ShowsConsumerGroupsAndTheirLag) {
  testing::TestDir dir;
  fill(dir.path());
  ASSERT_TRUE(commit_group_offset(dir.path(), "t", "projection", 1000).is_ok());
  auto topics = describe_log(dir.path(), "").value();
  ASSERT_EQ(topics.size(), 1u);
  ASSERT_EQ(topics[0].groups.size(), 1u);
  EXPECT_EQ(topics[0].groups[0].name, "projection");
  EXPECT_EQ(topics[0].next_offset - topics[0].groups[0].committed_offset, 2000u);
}

}  // namespace
}  // namespace strata::detail
