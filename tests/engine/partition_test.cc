// Topics with partitions: where appends land, dense offsets per partition, and the topic metadata file.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>

#include "engine/partitioner.h"
#include "strata/log.h"
#include "strata/topics.h"
#include "tests/engine/read_all.h"
#include "tests/engine/small_options.h"
#include "tests/engine/test_dir.h"

namespace strata {
namespace {

using testing::read_all;
using testing::small_options;
using testing::TestDir;

std::span<const std::byte> bytes_of(const std::string& s) {
  return std::as_bytes(std::span(s.data(), s.size()));
}

TEST(Partitions, KeyedAppendsFollowThePartitionerKeylessOnesRoundRobinOffsetsAreDensePerPartition) {
  TestDir dir;
  auto log = Log::open(small_options(dir.path(), Durability::kNone)).value();
  const TopicId topic = log->topic("p", {.partitions = 4}).value();
  EXPECT_EQ(log->topic_info(topic).partitions, 4u);
  auto producer = log->producer();
  std::map<std::uint32_t, std::vector<std::string>> expected;  // partition -> values in offset order
  std::map<std::uint32_t, std::uint64_t> next_offset;
  std::uint32_t previous_keyless = UINT32_MAX;
  for (int i = 0; i < 400; ++i) {
    const bool keyless = i % 3 == 0;
    const std::string key = keyless ? std::string() : "key-" + std::string(static_cast<std::size_t>(i % 11), 'k') + std::to_string(i);
    const std::string value = "v" + std::to_string(i);
    Ticket ticket;
    if (i % 2 == 0) {
      ASSERT_EQ(producer->try_append(topic, bytes_of(key), bytes_of(value), &ticket), AppendStatus::kOk);
    } else {  // the zero-copy form chooses the partition at commit, from the key as written
      AppendClaim claim;
      ASSERT_EQ(producer->try_claim(topic, key.size(), value.size(), &claim), AppendStatus::kOk);
      std::memcpy(claim.key.data(), key.data(), key.size());
      std::memcpy(claim.value.data(), value.data(), value.size());
      ticket = producer->commit(claim);
    }
    if (keyless) {
      if (previous_keyless != UINT32_MAX) {
        EXPECT_EQ(ticket.partition, (previous_keyless + 1) % 4) << "keyless appends go round-robin";
      }
      previous_keyless = ticket.partition;
    } else {
      EXPECT_EQ(ticket.partition, format::partition_for_key(bytes_of(key), 4)) << key;
    }
    ASSERT_LT(ticket.partition, 4u);
    EXPECT_EQ(producer->wait(ticket).value(), next_offset[ticket.partition]++) << "partition " << ticket.partition;
    expected[ticket.partition].push_back(value);
  }
  // An explicit partition, and one the topic does not have.
  const std::string v = "explicit";
  Ticket ticket;
  ASSERT_EQ(producer->try_append(topic, 2, bytes_of(v), bytes_of(v), {}, &ticket), AppendStatus::kOk);
  EXPECT_EQ(ticket.partition, 2u);
  EXPECT_EQ(producer->wait(ticket).value(), next_offset[2]++);
  expected[2].push_back(v);
  EXPECT_EQ(producer->try_append(topic, 4, bytes_of(v), bytes_of(v), {}, &ticket), AppendStatus::kBadTopic);
  EXPECT_FALSE(log->reader("p", 4));
  ASSERT_TRUE(log->flush().is_ok());

  for (std::uint32_t p = 0; p < 4; ++p) {
    auto reader = log->reader("p", p).value();
    std::vector<std::string> values;
    std::uint64_t offset = 0;
    reader->poll(1000, [&](const Event& e) {
      EXPECT_EQ(e.offset, offset++);
      EXPECT_EQ(e.partition, p);
      if (!e.key.empty()) {
        EXPECT_EQ(format::partition_for_key(e.key, 4), p);
      }
      values.emplace_back(reinterpret_cast<const char*>(e.value.data()), e.value.size());
    }).value();
    EXPECT_EQ(values, expected[p]) << "partition " << p;
    EXPECT_EQ(log->offsets(topic, p).value().durable, expected[p].size());
  }
  ASSERT_TRUE(log->close().is_ok());
  std::size_t total = 0;
  for (std::uint32_t p = 0; p < 4; ++p) {
    const auto events = read_all(dir.sub("p-" + std::to_string(p)));
    for (std::size_t i = 0; i < events.size(); ++i) ASSERT_EQ(events[i].offset, i);
    total += events.size();
  }
  EXPECT_EQ(total, 401u);
  EXPECT_FALSE(std::filesystem::exists(dir.sub("p-4")));
}

TEST(Partitions, TopicMetadataSurvivesReopenAndTheCountIsFixed) {
  TestDir dir;
  std::string log_id;
  {
    auto log = Log::open(small_options(dir.path())).value();
    const TopicId topic = log->topic("p", {.partitions = 4}).value();
    log_id = log->topic_info(topic).log_id;
    EXPECT_EQ(log_id.size(), 32u);
    EXPECT_GT(log->topic_info(topic).created_time_us, 0);
    auto producer = log->producer();
    ASSERT_TRUE(producer->wait(producer->append(topic, 3, bytes_of("k"), bytes_of("v")).value()).is_ok());
  }
  EXPECT_TRUE(std::filesystem::exists(dir.sub("p.strata-topic")));
  auto info = read_topic_info(dir.path(), "p");
  ASSERT_TRUE(info) << info.status().to_string();
  EXPECT_EQ(info->partitions, 4u);
  EXPECT_EQ(info->log_id, log_id);
  EXPECT_EQ(read_topic_info(dir.path(), "missing").status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(Reader::open(dir.path(), "p", 3));
  EXPECT_EQ(Reader::open(dir.path(), "p", 4).status().code(), StatusCode::kInvalidArgument);
  {
    auto log = Log::open(small_options(dir.path())).value();
    ASSERT_EQ(log->topics().size(), 1u);
    EXPECT_EQ(log->topics()[0].partitions, 4u);
    EXPECT_EQ(log->topics()[0].log_id, log_id);
    const TopicId topic = log->topic("p").value();
    EXPECT_EQ(log->topic_info(topic).log_id, log_id);
    EXPECT_TRUE(log->topic("p", {.partitions = 4}));
    auto other = log->topic("p", {.partitions = 3});
    ASSERT_FALSE(other);
    EXPECT_EQ(other.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(log->offsets(topic, 3).value().durable, 1u);
    EXPECT_EQ(log->offsets(topic, 0).value().durable, 0u);
  }
  // Deleted (its files removed while closed) and created again: another history, another log id.
  std::filesystem::remove(dir.sub("p.strata-topic"));
  for (int p = 0; p < 4; ++p) std::filesystem::remove_all(dir.sub("p-" + std::to_string(p)));
  auto log = Log::open(small_options(dir.path())).value();
  EXPECT_TRUE(log->topics().empty());
  const TopicId topic = log->topic("p", {.partitions = 2}).value();
  EXPECT_EQ(log->topic_info(topic).partitions, 2u);
  EXPECT_NE(log->topic_info(topic).log_id, log_id);
  EXPECT_EQ(log->offsets(topic, 1).value().durable, 0u);
}

TEST(Partitions, OpeningWithATooLargeCountIsInvalid) {
  TestDir dir;
  auto log = Log::open(small_options(dir.path())).value();
  auto topic = log->topic("p", {.partitions = kPartitionsMax + 1});
  ASSERT_FALSE(topic);
  EXPECT_EQ(topic.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace strata

namespace strata {
namespace {

TEST(Partitions, FindTopicNeverCreates) {
  testing::TestDir dir;
  auto log = Log::open(testing::small_options(dir.path(), Durability::kNone)).value();
  EXPECT_EQ(log->find_topic("missing").status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(log->topics().empty()) << "find_topic created a topic";
  const TopicId id = log->topic("orders", {.partitions = 2}).value();
  EXPECT_EQ(log->find_topic("orders").value(), id);
}

}  // namespace
}  // namespace strata
