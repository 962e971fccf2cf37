// The writer's error paths, driven by FaultInjectingQueue at the io/ boundary.
#include <gtest/gtest.h>

#include "io/testing/fault_injecting_queue.h"
#include "strata/log.h"
#include "tests/engine/read_all.h"
#include "tests/engine/small_options.h"
#include "tests/engine/test_dir.h"

namespace strata {
namespace {

using testing::read_all;
using testing::small_options;
using testing::TestDir;

class FaultInjection : public ::testing::Test {
 protected:
  void inject(io::FaultPlan plan) {
    io::set_io_queue_wrapper_for_testing([plan](std::unique_ptr<io::IoQueue> queue) {
      return std::unique_ptr<io::IoQueue>(std::make_unique<io::FaultInjectingQueue>(std::move(queue), plan));
    });
  }
  void TearDown() override { io::set_io_queue_wrapper_for_testing(nullptr); }

  // Appends one event at a time and waits for each; returns the values acknowledged before the first error.
  std::vector<std::string> append_until_error(Log& log, Status* error, int events_max = 20000) {
    const TopicId topic = log.topic("t").value();
    auto producer = log.producer();
    std::vector<std::string> acknowledged;
    for (int i = 0; i < events_max; ++i) {
      const std::string value =
          "event " + std::to_string(i) + std::string(static_cast<std::size_t>(i % 300), '.');
      auto ticket = producer->append(topic, "", value);
      if (!ticket) {
        *error = ticket.status();
        break;
      }
      auto offset = producer->wait(*ticket);
      if (!offset) {
        *error = offset.status();
        break;
      }
      EXPECT_EQ(*offset, acknowledged.size());
      acknowledged.push_back(value);
    }
    return acknowledged;
  }

  static void expect_prefix_on_disk(const std::string& topic_dir,
                                    const std::vector<std::string>& acknowledged) {
    const auto events = read_all(topic_dir);
    ASSERT_GE(events.size(), acknowledged.size());
    for (std::size_t i = 0; i < acknowledged.size(); ++i) {
      ASSERT_EQ(events[i].offset, i);
      ASSERT_EQ(events[i].value, acknowledged[i]) << "offset " << i;
    }
  }
};

TEST_F(FaultInjection, ShortWritesAndEagainAreResubmitted) {
  inject({.short_write_every = 3, .eagain_every = 7});
  TestDir dir;
  auto log = Log::open(small_options(dir.path(), Durability::kNone)).value();
  const TopicId topic = log->topic("t").value();
  auto producer = log->producer();
  std::vector<std::string> values;
  for (int i = 0; i < 20000; ++i) {
    values.push_back(std::to_string(i) + std::string(static_cast<std::size_t>(i % 500), 'v'));
    ASSERT_TRUE(producer->append(topic, "", values.back()).is_ok());
  }
  ASSERT_TRUE(producer->wait_all().is_ok());
  ASSERT_TRUE(log->close().is_ok());
  expect_prefix_on_disk(dir.sub("t-0"), values);
  EXPECT_EQ(read_all(dir.sub("t-0")).size(), values.size());
}

// With `sync` durability a lone write carries a linked fdatasync; when the write reports short or -EAGAIN
// the sync is cancelled, and the rest of the write and a later sync must still cover every event.
TEST_F(FaultInjection, ShortWritesUnderSyncDurabilityCancelTheirLinkedSyncs) {
  inject({.short_write_every = 2, .eagain_every = 5});
  TestDir dir;
  auto log = Log::open(small_options(dir.path(), Durability::kSync)).value();
  const TopicId topic = log->topic("t").value();
  auto producer = log->producer();
  std::vector<std::string> values;
  for (int i = 0; i < 300; ++i) {
    values.push_back(std::to_string(i) + std::string(static_cast<std::size_t>(8000 + i * 7 % 9000), 's'));
    auto offset = producer->wait(producer->append(topic, "", values.back()).value());
    ASSERT_TRUE(offset) << offset.status().to_string();
    ASSERT_EQ(*offset, static_cast<std::uint64_t>(i));
  }
  const LogStats stats = log->stats();
  ASSERT_TRUE(log->close().is_ok());
  expect_prefix_on_disk(dir.sub("t-0"), values);
  EXPECT_GT(stats.syncs, 0u);
}

TEST_F(FaultInjection, WriteErrorFailsTheLogAndKeepsAcknowledgedData) {
  inject({.fail_write_at = 40, .write_error = EIO});
  TestDir dir;
  std::vector<std::string> acknowledged;
  {
    auto log = Log::open(small_options(dir.path())).value();
    Status error;
    acknowledged = append_until_error(*log, &error);
    ASSERT_FALSE(error.is_ok()) << "the injected EIO never surfaced";
    EXPECT_EQ(error.code(), StatusCode::kIoError) << error.to_string();
    EXPECT_NE(error.message().find("write"), std::string::npos) << error.to_string();
    // The log stays failed: later appends say why, and close reports it.
    auto producer = log->producer();
    auto again = producer->append(log->topic("t").value(), "", "after");
    ASSERT_FALSE(again);
    EXPECT_EQ(again.status().code(), StatusCode::kIoError);
    EXPECT_FALSE(log->close().is_ok());
  }
  io::set_io_queue_wrapper_for_testing(nullptr);
  auto reopened = Log::open(small_options(dir.path()));
  ASSERT_TRUE(reopened) << reopened.status().to_string();
  ASSERT_TRUE(reopened.value()->close().is_ok());
  expect_prefix_on_disk(dir.sub("t-0"), acknowledged);
}

TEST_F(FaultInjection, NoSpaceIsAClearError) {
  inject({.fail_write_at = 10, .write_error = ENOSPC});
  TestDir dir;
  auto log = Log::open(small_options(dir.path())).value();
  Status error;
  const auto acknowledged = append_until_error(*log, &error);
  EXPECT_EQ(error.code(), StatusCode::kNoSpace) << error.to_string();
  EXPECT_NE(error.to_string().find("No space left"), std::string::npos) << error.to_string();
  EXPECT_FALSE(log->close().is_ok());
  expect_prefix_on_disk(dir.sub("t-0"), acknowledged);
}

TEST_F(FaultInjection, FailedSyncIsNeverAcknowledged) {
  inject({.fail_sync_at = 5});
  TestDir dir;
  auto log = Log::open(small_options(dir.path())).value();
  Status error;
  const auto acknowledged = append_until_error(*log, &error);
  // Each acknowledged event needed its own successful sync: exactly four got through.
  EXPECT_EQ(acknowledged.size(), 4u);
  EXPECT_EQ(error.code(), StatusCode::kIoError) << error.to_string();
  EXPECT_NE(error.message().find("fdatasync"), std::string::npos) << error.to_string();
  EXPECT_FALSE(log->close().is_ok());
}

}  // namespace
}  // namespace strata
