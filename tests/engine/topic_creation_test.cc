// Topics created while other threads append: a new topic's partitions must be known to their writer thread
// before the first record for them reaches its ring (strata serve aborted with "record for partition N of M
// in the ring of writer ..." when four Kafka clients auto-created topics at once). Creator threads create
// topics and append to them at once, through their own producers and the shared one, while appender threads
// keep every writer busy on an existing topic; then every event is in its partition once and in order.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
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

constexpr std::uint32_t kBusyPartitions = 8;
constexpr int kCreators = 4;
constexpr int kTopicsPerCreator = 15;
constexpr int kEventsPerPartition = 3;
constexpr int kAppenders = 2;

std::span<const std::byte> bytes_of(const std::string& s) {
  return std::as_bytes(std::span(s.data(), s.size()));
}

std::string new_topic_name(int creator, int i) {
  return "new-" + std::to_string(creator) + "-" + std::to_string(i);
}
std::uint32_t new_topic_partitions(int i) {
  return 1 + static_cast<std::uint32_t>(i % 4);
}
std::string new_topic_event(int creator, int i, std::uint32_t partition, int n) {
  return std::to_string(creator) + ":" + std::to_string(i) + ":" + std::to_string(partition) + ":" +
         std::to_string(n);
}

// Creates its topics one after another and appends to each partition of each at once.
void create_and_append(Log& log, int creator) {
  auto own = log.producer();
  Producer& shared = log.shared_producer();
  for (int i = 0; i < kTopicsPerCreator; ++i) {
    const std::uint32_t partitions = new_topic_partitions(i);
    auto topic = log.topic(new_topic_name(creator, i), {.partitions = partitions});
    ASSERT_TRUE(topic) << topic.status().to_string();
    for (int n = 0; n < kEventsPerPartition; ++n) {
      // Round n=1 goes through the shared producer (as the Kafka server appends). Two producers' appends
      // are ordered only by acknowledgement: each round is waited for before the next.
      Producer& producer = n == 1 ? shared : *own;
      std::vector<Ticket> tickets;
      for (std::uint32_t p = 0; p < partitions; ++p) {
        auto ticket = producer.append(*topic, p, {}, bytes_of(new_topic_event(creator, i, p, n)));
        ASSERT_TRUE(ticket) << ticket.status().to_string();
        tickets.push_back(*ticket);
      }
      for (const Ticket& ticket : tickets) ASSERT_TRUE(producer.wait(ticket)) << new_topic_name(creator, i);
    }
  }
}

// Appends "<appender>:<i>" round-robin over the busy topic's partitions until told to stop (or a bound, at
// about 64 events a millisecond, so that the writers keep looping without filling the disk); returns the
// count.
int append_until(Log& log, TopicId busy, int appender, const std::atomic<bool>& stop) {
  constexpr int kAppendsMax = 200'000;
  auto producer = log.producer();
  int i = 0;
  for (; !stop.load(std::memory_order_relaxed) && i < kAppendsMax; ++i) {
    const std::string value = std::to_string(appender) + ":" + std::to_string(i);
    const auto partition = static_cast<std::uint32_t>(i) % kBusyPartitions;
    EXPECT_TRUE(producer->append(busy, partition, {}, bytes_of(value)).is_ok());
    if (i % 64 == 63) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_TRUE(producer->wait_all().is_ok());
  return i;
}

void check_new_topics(const TestDir& dir) {
  for (int creator = 0; creator < kCreators; ++creator) {
    for (int i = 0; i < kTopicsPerCreator; ++i) {
      for (std::uint32_t p = 0; p < new_topic_partitions(i); ++p) {
        const std::string partition = new_topic_name(creator, i) + "-" + std::to_string(p);
        const auto events = read_all(dir.sub(partition));
        ASSERT_EQ(events.size(), std::size_t{kEventsPerPartition}) << partition;
        for (int n = 0; n < kEventsPerPartition; ++n) {
          EXPECT_EQ(events[n].offset, static_cast<std::uint64_t>(n)) << partition;
          EXPECT_EQ(events[n].value, new_topic_event(creator, i, p, n)) << partition;
        }
      }
    }
  }
}

void check_busy_topic(const TestDir& dir, const std::vector<int>& appended) {
  std::vector<int> seen(kAppenders, 0);
  for (std::uint32_t p = 0; p < kBusyPartitions; ++p) {
    std::vector<int> last(kAppenders, -1);
    const auto events = read_all(dir.sub("busy-" + std::to_string(p)));
    for (std::size_t n = 0; n < events.size(); ++n) {
      ASSERT_EQ(events[n].offset, n);
      const std::size_t colon = events[n].value.find(':');
      const int appender = std::stoi(events[n].value.substr(0, colon));
      const int i = std::stoi(events[n].value.substr(colon + 1));
      ASSERT_TRUE(appender >= 0 && appender < kAppenders) << events[n].value;
      EXPECT_EQ(static_cast<std::uint32_t>(i) % kBusyPartitions, p) << events[n].value;
      EXPECT_GT(i, last[appender]) << "busy-" << p << ": " << events[n].value << " out of order or twice";
      last[appender] = i;
      ++seen[appender];
    }
  }
  for (int a = 0; a < kAppenders; ++a) EXPECT_EQ(seen[a], appended[a]) << "appender " << a;
}

void topics_created_while_others_append(unsigned writers, Durability durability) {
  TestDir dir;
  LogOptions options = small_options(dir.path(), durability);
  options.writer_threads = writers;
  auto log = Log::open(options).value();
  const TopicId busy = log->topic("busy", {.partitions = kBusyPartitions}).value();
  std::atomic<bool> stop{false};
  std::vector<int> appended(kAppenders, 0);
  std::vector<std::thread> appenders;
  for (int a = 0; a < kAppenders; ++a) {
    appenders.emplace_back([&, a] { appended[a] = append_until(*log, busy, a, stop); });
  }
  std::vector<std::thread> creators;
  for (int c = 0; c < kCreators; ++c) creators.emplace_back([&, c] { create_and_append(*log, c); });
  for (auto& thread : creators) thread.join();
  stop.store(true);
  for (auto& thread : appenders) thread.join();
  ASSERT_TRUE(log->close().is_ok());
  check_new_topics(dir);
  check_busy_topic(dir, appended);
}

TEST(TopicCreation, WhileOthersAppendOneWriterSync) {
  topics_created_while_others_append(1, Durability::kSync);
}
TEST(TopicCreation, WhileOthersAppendThreeWritersNone) {
  topics_created_while_others_append(3, Durability::kNone);
}

}  // namespace
}  // namespace strata
