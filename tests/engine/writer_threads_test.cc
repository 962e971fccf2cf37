// More than one writer thread (LogOptions::writer_threads): partitions spread over the writers, every
// producer's records routed to the ring of the writer that owns their partition. (The whole engine suite also
// runs with three writers: ctest's Engine.three_writer_threads.)
#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "engine/partitioner.h"
#include "strata/log.h"
#include "tests/engine/read_all.h"
#include "tests/engine/small_options.h"
#include "tests/engine/test_dir.h"

namespace strata {
namespace {

using testing::read_all;
using testing::small_options;
using testing::TestDir;

constexpr std::uint32_t kPartitions = 16;

std::span<const std::byte> bytes_of(const std::string& s) {
  return std::as_bytes(std::span(s.data(), s.size()));
}

// Producer threads append "<thread>:<i>" with every way of choosing a partition (by key through try_append,
// by key through a zero-copy claim — moved to another writer's ring at commit when need be — explicitly, and
// round-robin) on their own producers and on the shared one, with a flush in the middle. Then every event is
// in its partition exactly once, offsets are dense, and each (thread, producer)'s events keep their order.
void every_event_once_in_order(unsigned writers, Durability durability) {
  TestDir dir;
  LogOptions options = small_options(dir.path(), durability);
  options.writer_threads = writers;
  options.producer_ring_bytes = 4096;  // small: moved claims often wait for room in the other ring
  auto log = Log::open(options).value();
  const TopicId first = log->topic("first").value();  // one partition: shifts the next topic's ids
  const TopicId topic = log->topic("t", {.partitions = kPartitions}).value();
  constexpr int kThreads = 4;
  constexpr int kEvents = 3000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto own = log->producer();
      Producer& shared = log->shared_producer();
      for (int i = 0; i < kEvents; ++i) {
        const std::string key = std::to_string(t) + ":" + std::to_string(i);
        Producer& producer = i % 5 == 4 ? shared : *own;
        const std::string value = &producer == &shared ? "shared" : "own";
        switch (i % 4) {
          case 0:
            ASSERT_TRUE(producer.append(topic, key, value).is_ok());
            break;
          case 1: {
            AppendClaim claim;
            AppendStatus status;
            while ((status = producer.try_claim(topic, key.size(), value.size(), &claim)) == AppendStatus::kFull) {
              std::this_thread::yield();
            }
            ASSERT_EQ(status, AppendStatus::kOk);
            std::memcpy(claim.key.data(), key.data(), key.size());
            std::memcpy(claim.value.data(), value.data(), value.size());
            const Ticket ticket = producer.commit(claim);
            EXPECT_EQ(ticket.partition, format::partition_for_key(bytes_of(key), kPartitions)) << key;
            break;
          }
          case 2:
            ASSERT_TRUE(producer.append(topic, static_cast<std::uint32_t>(i % kPartitions), bytes_of(key),
                                        bytes_of(value)).is_ok());
            break;
          default:
            ASSERT_TRUE(producer.append(first, key, value).is_ok());
        }
        if (t == 0 && i == kEvents / 2) {
          ASSERT_TRUE(log->flush().is_ok());
        }
      }
      ASSERT_TRUE(own->wait_all().is_ok());
    });
  }
  for (auto& thread : threads) thread.join();
  ASSERT_TRUE(log->close().is_ok());

  std::map<std::string, int> seen;  // "<key>/<value>" -> count
  std::vector<std::string> dirs{"first-0"};
  for (std::uint32_t p = 0; p < kPartitions; ++p) dirs.push_back("t-" + std::to_string(p));
  for (const std::string& partition : dirs) {
    std::map<std::string, int> last;  // "<thread>/<producer>" -> last i
    const auto events = read_all(dir.sub(partition));
    for (std::size_t n = 0; n < events.size(); ++n) {
      const auto& e = events[n];
      ASSERT_EQ(e.offset, n) << partition;
      const std::size_t colon = e.key.find(':');
      const std::string stream = e.key.substr(0, colon) + "/" + e.value;
      const int i = std::stoi(e.key.substr(colon + 1));
      if (auto it = last.find(stream); it != last.end()) {
        EXPECT_LT(it->second, i) << partition << ": " << stream << " out of order";
      }
      last[stream] = i;
      ++seen[e.key + "/" + e.value];
    }
  }
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kEvents; ++i) {
      const std::string key = std::to_string(t) + ":" + std::to_string(i);
      EXPECT_EQ(seen[key + (i % 5 == 4 ? "/shared" : "/own")], 1) << key;
    }
  }
  EXPECT_EQ(seen.size(), std::size_t{kThreads} * kEvents);
}

TEST(WriterThreads, FourWritersEveryEventOnceInOrderSync) { every_event_once_in_order(4, Durability::kSync); }
TEST(WriterThreads, ThreeWritersEveryEventOnceInOrderNone) { every_event_once_in_order(3, Durability::kNone); }

TEST(WriterThreads, ReopeningWithAnotherCountContinuesEveryPartition) {
  TestDir dir;
  for (unsigned writers : {4u, 1u, 3u}) {
    LogOptions options = small_options(dir.path());
    options.writer_threads = writers;
    auto log = Log::open(options).value();
    const TopicId topic = log->topic("t", {.partitions = 5}).value();
    auto producer = log->producer();
    for (std::uint32_t p = 0; p < 5; ++p) {
      const std::string key = std::to_string(writers);
      auto offset = producer->wait(producer->append(topic, p, bytes_of(key), bytes_of(key)).value());
      ASSERT_TRUE(offset) << offset.status().to_string();
      EXPECT_EQ(*offset, writers == 4 ? 0u : writers == 1 ? 1u : 2u) << "partition " << p;
    }
  }
}

TEST(WriterThreads, ShortLivedProducersOverSeveralWritersAreAllAcknowledged) {
  // A closed producer's state is dropped by whichever writer sees all its appends acknowledged; the others
  // must not lose a record still in their ring of it (each producer here uses all three writers in turn).
  TestDir dir;
  LogOptions options = small_options(dir.path());
  options.writer_threads = 3;
  auto log = Log::open(options).value();
  const TopicId topic = log->topic("t", {.partitions = 3}).value();
  for (int round = 0; round < 50; ++round) {
    auto producer = log->producer();
    for (std::uint32_t p = 0; p < 3; ++p) {
      ASSERT_TRUE(producer->append(topic, (p + static_cast<std::uint32_t>(round)) % 3, {}, bytes_of("x")).is_ok());
    }
    if (round % 2 == 0) {  // else the handle goes with appends in flight
      ASSERT_TRUE(producer->wait_all().is_ok());
    }
  }
  ASSERT_TRUE(log->flush().is_ok());
  std::uint64_t total = 0;
  for (const auto& stats : log->stats().topics) total += stats.durable_offset;
  EXPECT_EQ(total, 150u);
}

}  // namespace
}  // namespace strata
