// Error paths a user meets without any fault injection: every branch of option validation, a damaged group
// checkpoint, an expired ticket, retention by age.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <string>
#include <thread>

#include "strata/consumer_group.h"
#include "strata/log.h"
#include "strata/reader.h"
#include "tests/engine/small_options.h"
#include "tests/engine/test_dir.h"

namespace strata {
namespace {

using testing::small_options;
using testing::TestDir;

struct InvalidOptionCase {
  const char* what;                   // the option named in the error
  std::function<void(LogOptions&)> break_it;
};

TEST(OptionValidation, EveryInvalidOptionIsRefusedNamingTheOption) {
  const InvalidOptionCase cases[] = {
      {"directory", [](LogOptions& o) { o.directory.clear(); }},
      {"segment_bytes", [](LogOptions& o) { o.segment_bytes = (1u << 20) - 1; }},
      {"segment_bytes", [](LogOptions& o) { o.segment_bytes = (4ull << 30) + 4096; }},
      {"producer_ring_bytes", [](LogOptions& o) { o.producer_ring_bytes = 3000; }},
      {"shared_ring_bytes", [](LogOptions& o) { o.shared_ring_bytes = 128; }},
      {"staging_bytes", [](LogOptions& o) { o.staging_bytes = (1u << 20) + 100; }},
      {"staging_bytes", [](LogOptions& o) { o.staging_bytes = 512u << 10; }},
      {"write_bytes_max", [](LogOptions& o) { o.write_bytes_max = 1024; }},
      {"write_bytes_max", [](LogOptions& o) { o.write_bytes_max = o.staging_bytes; }},
      {"appends_in_flight_max", [](LogOptions& o) { o.appends_in_flight_max = 1000; }},
      {"writer_threads", [](LogOptions& o) { o.writer_threads = 0; }},
      {"writer_threads", [](LogOptions& o) { o.writer_threads = kWriterThreadsMax + 1; }},
  };
  for (const auto& c : cases) {
    TestDir dir;
    LogOptions options = small_options(dir.path());
    c.break_it(options);
    auto log = Log::open(options);
    ASSERT_FALSE(log) << c.what << " was accepted";
    EXPECT_EQ(log.status().code(), StatusCode::kInvalidArgument) << log.status().to_string();
    EXPECT_NE(log.status().message().find(c.what), std::string::npos) << log.status().to_string();
  }
}

TEST(OptionValidation, TheLimitsThemselvesAreAccepted) {
  TestDir dir;
  LogOptions options = small_options(dir.path());
  options.segment_bytes = 1u << 20;
  options.staging_bytes = 1u << 20;
  options.write_bytes_max = options.staging_bytes / 2;
  options.producer_ring_bytes = 256;
  options.appends_in_flight_max = 1;
  options.writer_threads = kWriterThreadsMax;
  auto log = Log::open(options);
  ASSERT_TRUE(log) << log.status().to_string();
  const TopicId topic = (*log)->topic("t").value();
  auto producer = (*log)->producer();
  EXPECT_EQ(producer->wait(producer->append(topic, "k", "v").value()).value(), 0u);
}

// Damage to the group log itself: tests/engine/group_log_test.cc.

TEST(ConsumerGroup, CommitOfBadNamesAndOversizedMetadataIsInvalid) {
  TestDir dir;
  EXPECT_EQ(commit_group_offset(dir.path(), "", "t", 0, {}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(commit_group_offset(dir.path(), std::string(32768, 'g'), "t", 0, {}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(commit_group_offset(dir.path() + "/missing", "g", "t", 0, {}).code(), StatusCode::kNotFound);
  EXPECT_EQ(commit_group_offset(dir.path(), "g", "..", 0, {}).code(), StatusCode::kInvalidArgument);
  const Status big = commit_group_offset(dir.path(), "g", "t", 0, {.offset = 1, .metadata = std::string(5000, 'm')});
  EXPECT_EQ(big.code(), StatusCode::kInvalidArgument) << big.to_string();
  EXPECT_EQ(read_group_offset(dir.path(), "g", "t", 0).status().code(), StatusCode::kNotFound);
}

// A ticket more than appends_in_flight_max appends old is no longer tracked: wait() says it expired rather
// than answering with another append's offset.
TEST(Tickets, ATicketOlderThanTheInFlightWindowExpires) {
  TestDir dir;
  LogOptions options = small_options(dir.path(), Durability::kNone);
  options.appends_in_flight_max = 4;
  auto log = Log::open(options).value();
  const TopicId topic = log->topic("t").value();
  auto producer = log->producer();
  const Ticket first = producer->append(topic, "", "first").value();
  ASSERT_EQ(producer->wait(first).value(), 0u);
  Ticket last{};
  for (int i = 0; i < 20; ++i) {
    last = producer->append(topic, "", "later").value();
    ASSERT_TRUE(producer->wait(last).is_ok());
  }
  auto expired = producer->wait(first);
  ASSERT_FALSE(expired);
  EXPECT_EQ(expired.status().code(), StatusCode::kNotFound) << expired.status().to_string();
  EXPECT_NE(expired.status().message().find("expired"), std::string::npos) << expired.status().to_string();
  EXPECT_EQ(producer->wait(last).value(), 20u);
}

// Sealed segments whose newest event is older than retention_age are deleted when a later segment seals;
// readers are told where the log starts now, and the newer events are all there.
TEST(Retention, SegmentsOlderThanTheAgeAreDeletedAndReadersToldWhereTheLogStarts) {
  TestDir dir;
  LogOptions options = small_options(dir.path(), Durability::kNone);
  options.retention_age = std::chrono::milliseconds(1000);
  auto log = Log::open(options).value();
  const TopicId topic = log->topic("t").value();
  auto producer = log->producer();
  const std::string value(1000, 'o');
  // The checks that nothing young was deleted hold only when the appends took less than the age (a loaded
  // machine, or a sanitizer build, can take longer).
  auto began = std::chrono::steady_clock::now();
  for (int i = 0; i < 3000; ++i) ASSERT_TRUE(producer->append(topic, "", value).is_ok());  // ~3 segments
  ASSERT_TRUE(producer->wait_all().is_ok());
  if (std::chrono::steady_clock::now() - began < options.retention_age) {
    EXPECT_EQ(log->offsets(topic, 0).value().log_start, 0u) << "deleted before they were old";
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  const std::string fresh(1000, 'n');
  began = std::chrono::steady_clock::now();
  for (int i = 0; i < 2000; ++i) ASSERT_TRUE(producer->append(topic, "", fresh).is_ok());  // seals more
  ASSERT_TRUE(producer->wait_all().is_ok());
  const bool fresh_quick = std::chrono::steady_clock::now() - began < options.retention_age;
  const std::uint64_t start = log->offsets(topic, 0).value().log_start;
  EXPECT_GT(start, 2000u) << "old segments were kept";
  if (fresh_quick) {
    EXPECT_LE(start, 3000u) << "young events were deleted";
  }
  auto reader = log->reader("t").value();
  EXPECT_EQ(reader->seek(0).code(), StatusCode::kNotFound);
  ASSERT_TRUE(reader->seek(start).is_ok());
  std::uint64_t next = start;
  while (next < 5000) {
    const auto polled = reader->poll(1000, [&](const Event& e) { EXPECT_EQ(e.offset, next++); }).value();
    if (polled == 0) break;
  }
  EXPECT_EQ(next, 5000u);
}

}  // namespace
}  // namespace strata
