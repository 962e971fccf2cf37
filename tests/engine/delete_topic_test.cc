// Log::delete_topic: what is removed, what users of the deleted topic see, and a crash in the middle.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "engine/format.h"
#include "io/file.h"
#include "strata/consumer_group.h"
#include "strata/log.h"
#include "tests/engine/kafka_spec.h"
#include "tests/engine/small_options.h"
#include "tests/engine/test_dir.h"

namespace strata {
namespace {

using testing::small_options;
using testing::TestDir;

void append_events(Log& log, TopicId topic, std::uint32_t partition, int count) {
  auto producer = log.producer();
  for (int i = 0; i < count; ++i) {
    auto ticket = producer->append(topic, partition, {}, std::as_bytes(std::span("event", 5)));
    ASSERT_TRUE(ticket) << ticket.status().to_string();
  }
  ASSERT_TRUE(producer->wait_all().is_ok());
}

bool exists(const std::string& path) {
  return std::filesystem::exists(path);
}

TEST(DeleteTopic, RemovesPartitionsMetadataAndGroupCheckpointsOfThatTopicOnly) {
  TestDir dir;
  auto log = Log::open(small_options(dir.path())).value();
  const TopicId orders = log->topic("orders", {.partitions = 2}).value();
  const TopicId users = log->topic("users").value();
  append_events(*log, orders, 0, 10);
  append_events(*log, orders, 1, 10);
  append_events(*log, users, 0, 3);
  ASSERT_TRUE(commit_group_offset(dir.path(), "g", "orders", 1, {5, "m"}).is_ok());
  ASSERT_TRUE(commit_group_offset(dir.path(), "g", "users", 0, {2, ""}).is_ok());

  ASSERT_TRUE(log->delete_topic("orders").is_ok());

  EXPECT_FALSE(exists(dir.path() + "/orders-0"));
  EXPECT_FALSE(exists(dir.path() + "/orders-1"));
  EXPECT_FALSE(exists(dir.path() + "/" + format::topic_file_name("orders")));
  EXPECT_FALSE(exists(dir.path() + "/" + format::deleting_topic_file_name("orders")));
  EXPECT_EQ(read_group_offset(dir.path(), "g", "orders", 1).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(read_group_offset(dir.path(), "g", "users", 0).value().offset, 2u);
  EXPECT_EQ(log->find_topic("orders").status().code(), StatusCode::kNotFound);
  ASSERT_EQ(log->topics().size(), 1u);
  EXPECT_EQ(log->topics()[0].name, "users");
  EXPECT_EQ(log->offsets(users, 0).value().durable, 3u);
  for (const TopicStats& stats : log->stats().topics) EXPECT_EQ(stats.name, "users");
}

TEST(DeleteTopic, UnknownTopicIsNotFoundAndBadNameIsInvalid) {
  TestDir dir;
  auto log = Log::open(small_options(dir.path())).value();
  EXPECT_EQ(log->delete_topic("missing").code(), StatusCode::kNotFound);
  EXPECT_EQ(log->delete_topic("../x").code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(log->topic("once").is_ok());
  ASSERT_TRUE(log->delete_topic("once").is_ok());
  EXPECT_EQ(log->delete_topic("once").code(), StatusCode::kNotFound);
}

TEST(DeleteTopic, RecreatedTopicStartsAtOffsetZeroWithANewLogId) {
  TestDir dir;
  auto log = Log::open(small_options(dir.path())).value();
  const TopicId first = log->topic("orders").value();
  const std::string first_log_id = log->topic_info(first).log_id;
  append_events(*log, first, 0, 7);
  ASSERT_TRUE(log->delete_topic("orders").is_ok());

  const TopicId second = log->topic("orders", {.partitions = 3}).value();
  EXPECT_NE(second, first);
  EXPECT_NE(log->topic_info(second).log_id, first_log_id);
  EXPECT_EQ(log->topic_info(second).partitions, 3u);
  auto producer = log->producer();
  auto ticket = producer->append(second, 0, {}, std::as_bytes(std::span("new", 3)));
  ASSERT_TRUE(ticket);
  EXPECT_EQ(producer->wait(ticket.value()).value(), 0u);
  auto reader = log->reader("orders", 0).value();
  std::string seen;
  ASSERT_EQ(reader
                ->poll(10,
                       [&](const Event& event) {
                         seen.assign(reinterpret_cast<const char*>(event.value.data()), event.value.size());
                       })
                .value(),
            1u);
  EXPECT_EQ(seen, "new");
}

TEST(DeleteTopic, AppendsToTheDeletedIdAreRefused) {
  TestDir dir;
  auto log = Log::open(small_options(dir.path())).value();
  const TopicId topic = log->topic("orders").value();
  auto producer = log->producer();
  ASSERT_TRUE(log->delete_topic("orders").is_ok());
  Ticket ticket;
  EXPECT_EQ(producer->try_append(topic, {}, std::as_bytes(std::span("x", 1)), &ticket),
            AppendStatus::kBadTopic);
  kafka_spec::Batch batch;
  batch.records.push_back(kafka_spec::Record{});
  const std::vector<std::uint8_t> bytes = kafka_spec::encode_batch(batch);
  auto appended = producer->append_batch(topic, 0, std::as_bytes(std::span(bytes)));
  ASSERT_FALSE(appended.is_ok());
  EXPECT_NE(appended.status().message().find("not a topic"), std::string::npos)
      << appended.status().to_string();
  EXPECT_EQ(log->offsets(topic, 0).status().code(), StatusCode::kNotFound);
}

TEST(DeleteTopic, ReadersOfTheDeletedTopicAnswerNotFoundAndWaitingOnesReturn) {
  TestDir dir;
  auto log = Log::open(small_options(dir.path())).value();
  const TopicId topic = log->topic("orders").value();
  append_events(*log, topic, 0, 4);
  auto reader = log->reader("orders", 0).value();
  ASSERT_EQ(reader->poll(100, [](const Event&) {}).value(), 4u);
  bool woke = true;
  std::thread waiter([&] { woke = reader->wait(std::chrono::seconds(20)); });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // let it sleep: the test also passes if not
  ASSERT_TRUE(log->delete_topic("orders").is_ok());
  waiter.join();
  EXPECT_FALSE(woke);
  EXPECT_EQ(reader->poll(100, [](const Event&) {}).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(reader->seek(0).code(), StatusCode::kNotFound);
  EXPECT_EQ(reader->poll_batches(1 << 20, [](const BatchView&) { return true; }).status().code(),
            StatusCode::kNotFound);
}

TEST(DeleteTopic, DeletionInterruptedByACrashIsFinishedAtOpen) {
  TestDir dir;
  {
    auto log = Log::open(small_options(dir.path())).value();
    const TopicId topic = log->topic("orders", {.partitions = 2}).value();
    append_events(*log, topic, 1, 5);
    ASSERT_TRUE(commit_group_offset(dir.path(), "g", "orders", 0, {1, ""}).is_ok());
  }
  // What a crash right after the commit point leaves: the metadata renamed, everything else still there.
  ASSERT_TRUE(io::rename_durably(dir.path(), format::topic_file_name("orders"),
                                 format::deleting_topic_file_name("orders"))
                  .is_ok());
  auto log = Log::open(small_options(dir.path())).value();
  EXPECT_EQ(log->find_topic("orders").status().code(), StatusCode::kNotFound);
  EXPECT_FALSE(exists(dir.path() + "/orders-1"));
  EXPECT_FALSE(exists(dir.path() + "/" + format::deleting_topic_file_name("orders")));
  EXPECT_EQ(read_group_offset(dir.path(), "g", "orders", 0).status().code(), StatusCode::kNotFound);
  EXPECT_NE(log->stats().recovery_report.find("finished deleting topic orders"), std::string::npos);
  const TopicId again = log->topic("orders").value();
  EXPECT_EQ(log->offsets(again, 0).value().durable, 0u);
}

TEST(DeleteTopic, DeletedTopicStaysDeletedAfterReopen) {
  TestDir dir;
  {
    auto log = Log::open(small_options(dir.path())).value();
    append_events(*log, log->topic("orders").value(), 0, 3);
    ASSERT_TRUE(log->delete_topic("orders").is_ok());
  }
  auto log = Log::open(small_options(dir.path())).value();
  EXPECT_TRUE(log->topics().empty());
}

// Fills past one 1 MiB segment with 4 KiB values of `fill`, so that segment 0 is sealed (and mapped by
// readers).
void fill_past_one_segment(Log& log, TopicId topic, char fill) {
  auto producer = log.producer();
  const std::string value(4096, fill);
  for (int i = 0; i < 400; ++i) {
    ASSERT_TRUE(producer->append(topic, 0, {}, std::as_bytes(std::span(value))).is_ok());
  }
  ASSERT_TRUE(producer->wait_all().is_ok());
}

TEST(DeleteTopic, ARecreatedTopicNeverReadsTheOldTopicsMappingAtTheSamePath) {
  TestDir dir;
  auto log = Log::open(small_options(dir.path())).value();
  fill_past_one_segment(*log, log->topic("orders").value(), 'o');
  auto old_reader = log->reader("orders", 0).value();
  char seen = 0;
  ASSERT_EQ(
      old_reader->poll(1, [&](const Event& event) { seen = static_cast<char>(event.value[0]); }).value(), 1u);
  ASSERT_EQ(seen, 'o');  // old_reader now holds the mapping of the old orders-0/00000000000000000000.log

  ASSERT_TRUE(log->delete_topic("orders").is_ok());
  fill_past_one_segment(*log, log->topic("orders").value(), 'n');
  auto new_reader = log->reader("orders", 0).value();
  ASSERT_EQ(
      new_reader->poll(1, [&](const Event& event) { seen = static_cast<char>(event.value[0]); }).value(), 1u);
  EXPECT_EQ(seen, 'n');
}

}  // namespace
}  // namespace strata
