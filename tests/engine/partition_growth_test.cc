// A topic's partition count grows (Log::increase_partitions, Kafka's CreatePartitions) while producers
// append to it by key, round robin and to explicit partitions: every acknowledged event is in the partition
// and at the offset its acknowledgement named, once; the count is durable; it never shrinks.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "strata/log.h"
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

bool contains(const Status& status, const std::string& text) {
  return status.message().find(text) != std::string::npos;
}

TEST(PartitionGrowth, OnlyGrowsAndIsRefusedWithAMessageOtherwise) {
  TestDir dir;
  auto log = Log::open(small_options(dir.path())).value();
  ASSERT_TRUE(log->topic("t", {.partitions = 2}));
  Status same = log->increase_partitions("t", 2);
  EXPECT_EQ(same.code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(contains(same, "can only grow")) << same.to_string();
  EXPECT_EQ(log->increase_partitions("t", 1).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(log->increase_partitions("t", kPartitionsMax + 1).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(log->increase_partitions("missing", 4).code(), StatusCode::kNotFound);
  EXPECT_EQ(log->increase_partitions("bad/name", 4).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(log->topic_info(log->find_topic("t").value()).partitions, 2u);
}

// The new partitions survive a reopen with their events, and a topic created after the growth (whose ids
// in the log follow the added partitions') keeps its own.
TEST(PartitionGrowth, IsDurableAndNewPartitionsKeepTheirEventsAcrossReopen) {
  TestDir dir;
  {
    auto log = Log::open(small_options(dir.path())).value();
    const TopicId t = log->topic("t", {.partitions = 1}).value();
    ASSERT_TRUE(log->increase_partitions("t", 3).is_ok());
    const TopicId after = log->topic("after", {.partitions = 2}).value();
    ASSERT_TRUE(log->increase_partitions("t", 5).is_ok());
    auto producer = log->producer();
    for (std::uint32_t p = 0; p < 5; ++p) {
      const std::string value = "t" + std::to_string(p);
      ASSERT_EQ(producer->wait(producer->append(t, p, {}, bytes_of(value)).value()).value(), 0u);
    }
    for (std::uint32_t p = 0; p < 2; ++p) {
      const std::string value = "after" + std::to_string(p);
      ASSERT_EQ(producer->wait(producer->append(after, p, {}, bytes_of(value)).value()).value(), 0u);
    }
    ASSERT_TRUE(log->close().is_ok());
  }
  auto log = Log::open(small_options(dir.path())).value();
  EXPECT_EQ(log->topic_info(log->find_topic("t").value()).partitions, 5u);
  for (std::uint32_t p = 0; p < 5; ++p) {
    const auto events = read_all(dir.sub("t-" + std::to_string(p)));
    ASSERT_EQ(events.size(), 1u) << p;
    EXPECT_EQ(events[0].value, "t" + std::to_string(p));
  }
  for (std::uint32_t p = 0; p < 2; ++p) {
    const auto events = read_all(dir.sub("after-" + std::to_string(p)));
    ASSERT_EQ(events.size(), 1u) << p;
    EXPECT_EQ(events[0].value, "after" + std::to_string(p));
  }
}

// Producers append while the count goes 1 -> 12: each acknowledgement names (partition, offset); afterwards
// every partition holds exactly the events acknowledged in it, at those offsets.
TEST(PartitionGrowth, WhileProducersAppendEveryEventIsWhereItsAcknowledgementSays) {
  TestDir dir;
  auto log = Log::open(small_options(dir.path())).value();
  const TopicId topic = log->topic("grow", {.partitions = 1}).value();
  constexpr int kProducers = 3;
  constexpr int kPerProducer = 3000;
  constexpr std::uint32_t kFinalPartitions = 12;
  std::atomic<bool> go{false};
  std::vector<std::map<std::pair<std::uint32_t, std::uint64_t>, std::string>> acknowledged(kProducers);
  std::vector<std::thread> producers;
  for (int id = 0; id < kProducers; ++id) {
    producers.emplace_back([&, id] {
      auto producer = log->producer();
      while (!go.load()) std::this_thread::yield();
      for (int i = 0; i < kPerProducer; ++i) {
        const std::string key = "k" + std::to_string(i % 97);
        const std::string value = std::to_string(id) + ":" + std::to_string(i);
        // Explicit partitions only below the count this producer last saw grow to; the rest by key or any.
        const std::uint32_t known = log->topic_info(topic).partitions;
        Result<Ticket> ticket = i % 3 == 0   ? producer->append(topic, static_cast<std::uint32_t>(i) % known, {},
                                                                bytes_of(value))
                                : i % 3 == 1 ? producer->append(topic, bytes_of(key), bytes_of(value))
                                             : producer->append(topic, kAnyPartition, {}, bytes_of(value));
        ASSERT_TRUE(ticket) << ticket.status().to_string();
        auto offset = producer->wait(*ticket);
        ASSERT_TRUE(offset) << offset.status().to_string();
        acknowledged[id][{ticket->partition, *offset}] = value;
      }
    });
  }
  go = true;
  for (std::uint32_t count = 2; count <= kFinalPartitions; ++count) {
    ASSERT_TRUE(log->increase_partitions("grow", count).is_ok());
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  for (auto& thread : producers) thread.join();
  ASSERT_TRUE(log->flush().is_ok());
  std::map<std::pair<std::uint32_t, std::uint64_t>, std::string> expected;
  for (const auto& one : acknowledged) expected.insert(one.begin(), one.end());
  ASSERT_EQ(expected.size(), static_cast<std::size_t>(kProducers * kPerProducer)) << "two events at one offset";
  std::size_t stored = 0;
  for (std::uint32_t p = 0; p < kFinalPartitions; ++p) {
    const auto events = read_all(dir.sub("grow-" + std::to_string(p)));
    for (std::size_t i = 0; i < events.size(); ++i) {
      ASSERT_EQ(events[i].offset, i) << "partition " << p;
      const auto found = expected.find({p, events[i].offset});
      ASSERT_NE(found, expected.end()) << "partition " << p << " offset " << i << " was never acknowledged";
      EXPECT_EQ(found->second, events[i].value);
    }
    stored += events.size();
  }
  EXPECT_EQ(stored, expected.size());
}

}  // namespace
}  // namespace strata
