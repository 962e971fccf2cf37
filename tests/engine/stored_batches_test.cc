// strata/stored_batches.h and strata/inspect.h's describe_log: the public, read-only view of the storage
// that `strata dump` and `strata stat` print.
#include "strata/stored_batches.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <string>

#include "strata/inspect.h"
#include "strata/log.h"
#include "tests/engine/small_options.h"
#include "tests/engine/test_dir.h"

namespace strata {
namespace {

constexpr int kEvents = 3000;

void fill(const std::string& dir) {
  auto log = Log::open(testing::small_options(dir, Durability::kNone)).value();
  const TopicId topic = log->topic("t").value();
  auto producer = log->producer();
  const std::string trace = "trace-value";
  const EventHeader header{"trace", std::as_bytes(std::span(trace))};
  for (int i = 0; i < kEvents; ++i) {
    const std::string key = std::to_string(i);
    const std::string value(1000, 'x');
    ASSERT_TRUE(producer
                    ->append(topic, 0, std::as_bytes(std::span(key)), std::as_bytes(std::span(value)),
                             std::span(&header, 1))
                    .is_ok());
  }
  ASSERT_TRUE(producer->wait_all().is_ok());
}

TEST(StoredBatches, EverySegmentGivesItsBatchesAndRecordsInOffsetOrder) {
  testing::TestDir dir;
  fill(dir.path());
  auto topics = describe_log(dir.path(), "t").value();
  ASSERT_EQ(topics.size(), 1u);
  ASSERT_EQ(topics[0].partitions.size(), 1u);
  const PartitionDescription& partition = topics[0].partitions[0];
  ASSERT_GE(partition.segments.size(), 3u);
  EXPECT_EQ(partition.next_offset, static_cast<std::uint64_t>(kEvents));

  std::uint64_t next_batch_offset = 0;
  std::uint64_t next_record_offset = 0;
  for (const SegmentDescription& segment : partition.segments) {
    EXPECT_EQ(segment.base_offset, next_batch_offset) << segment.path;
    std::uint64_t position = 0;
    BatchProblem problem;
    ASSERT_TRUE(read_stored_batches(
                    segment.path,
                    [&](const StoredBatch& batch) {
                      EXPECT_EQ(batch.position, position);
                      EXPECT_EQ(batch.base_offset, next_batch_offset);
                      EXPECT_EQ(batch.last_offset - batch.base_offset + 1,
                                static_cast<std::uint64_t>(batch.records_count));
                      EXPECT_EQ(batch.producer_id, -1);  // framed by the engine
                      EXPECT_TRUE(batch.log_append_time);
                      position += batch.bytes.size();
                      next_batch_offset = batch.last_offset + 1;
                      ASSERT_TRUE(read_stored_records(batch, [&](const StoredRecord& record) {
                                    EXPECT_EQ(record.offset, next_record_offset);
                                    const std::string key(reinterpret_cast<const char*>(record.key.data()),
                                                          record.key.size());
                                    EXPECT_EQ(key, std::to_string(record.offset));
                                    EXPECT_EQ(record.value.size(), 1000u);
                                    ASSERT_EQ(record.headers.size(), 1u);
                                    EXPECT_EQ(record.headers[0].key, "trace");
                                    EXPECT_EQ(record.sequence, -1);
                                    ++next_record_offset;
                                  }).is_ok());
                    },
                    &problem)
                    .is_ok());
    EXPECT_TRUE(problem.reason.empty()) << problem.reason;
    EXPECT_EQ(position, segment.data_bytes) << segment.path;
  }
  EXPECT_EQ(next_record_offset, static_cast<std::uint64_t>(kEvents));
}

TEST(StoredBatches, StopsAtTheFirstCorruptBatchAndSaysWhere) {
  testing::TestDir dir;
  fill(dir.path());
  const SegmentDescription segment = describe_log(dir.path(), "t").value()[0].partitions[0].segments[0];
  std::vector<std::uint64_t> starts;
  BatchProblem problem;
  ASSERT_TRUE(read_stored_batches(segment.path, [&](const StoredBatch& b) { starts.push_back(b.position); }, &problem)
                  .is_ok());
  ASSERT_GE(starts.size(), 3u);
  // A byte of the second batch's records (covered by its CRC) flipped.
  const off_t flipped = static_cast<off_t>(starts[2] - 10);
  ::chmod(segment.path.c_str(), 0644);  // sealed segments are read-only
  const int fd = ::open(segment.path.c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  unsigned char byte = 0;
  ASSERT_EQ(::pread(fd, &byte, 1, flipped), 1);
  byte ^= 0x40;
  ASSERT_EQ(::pwrite(fd, &byte, 1, flipped), 1);
  ::close(fd);

  int batches = 0;
  ASSERT_TRUE(read_stored_batches(segment.path, [&](const StoredBatch&) { ++batches; }, &problem).is_ok());
  EXPECT_EQ(batches, 1);
  EXPECT_EQ(problem.position, starts[1]);
  EXPECT_FALSE(problem.reason.empty());
}

TEST(StoredBatches, AMissingFileIsAnErrorNamingIt) {
  testing::TestDir dir;
  BatchProblem problem;
  const Status status = read_stored_batches(dir.sub("nothing.log"), [](const StoredBatch&) {}, &problem);
  EXPECT_FALSE(status.is_ok());
  EXPECT_NE(status.message().find("nothing.log"), std::string::npos) << status.to_string();
}

TEST(DescribeLog, AMissingTopicIsNotFound) {
  testing::TestDir dir;
  fill(dir.path());
  EXPECT_EQ(describe_log(dir.path(), "other").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(describe_log(dir.path()).value().size(), 1u);
}

}  // namespace
}  // namespace strata
