// Fifo: the bounded queue behind a partition's pending acknowledgements.
#include "engine/fifo.h"

#include <gtest/gtest.h>

#include <thread>

#include "strata/log.h"
#include "tests/engine/small_options.h"
#include "tests/engine/test_dir.h"

namespace strata {
namespace {

TEST(Fifo, GrowsUpToItsBoundThenIsFull) {
  detail::Fifo<int> fifo(2, 8);
  for (int i = 0; i < 8; ++i) {
    ASSERT_FALSE(fifo.full()) << i;
    fifo.push(i);
  }
  EXPECT_TRUE(fifo.full());
  EXPECT_EQ(fifo.size(), 8u);
  fifo.pop();
  EXPECT_FALSE(fifo.full());
  fifo.push(8);
  for (int i = 1; i <= 8; ++i) {
    EXPECT_EQ(fifo.front(), i);
    fifo.pop();
  }
  EXPECT_TRUE(fifo.empty());
}

TEST(FifoDeathTest, PushOntoAFullFifoIsAProgrammerError) {
  detail::Fifo<int> fifo(1, 1);
  fifo.push(1);
  EXPECT_DEATH(fifo.push(2), "full Fifo");
}

// More appends in flight than a partition's acknowledgement queue holds (8 producers x 65536 > 2^18), under
// `batch` durability with syncs due by neither bytes nor time during the run: the writer stops framing at
// the bound, syncs because the queue is full, and the producers wait in their rings meanwhile. Every event
// arrives, in each producer's order.
TEST(AcknowledgementBound, ProducersBeyondTheBoundWaitAndLoseNothing) {
  testing::TestDir dir;
  LogOptions options = testing::small_options(dir.path(), Durability::kBatch);
  options.segment_bytes = 64u << 20;  // no roll (a roll syncs too)
  options.batch_sync_bytes = 1u << 30;
  options.batch_sync_interval = std::chrono::seconds(600);
  options.appends_in_flight_max = 65536;
  options.producer_ring_bytes = 4u << 20;
  auto log = Log::open(options).value();
  const TopicId topic = log->topic("t").value();
  constexpr int kProducers = 8;
  constexpr std::uint32_t kEvents = 65536;
  std::vector<std::thread> threads;
  for (int p = 0; p < kProducers; ++p) {
    threads.emplace_back([&, p] {
      auto producer = log->producer();
      for (std::uint32_t i = 0; i < kEvents; ++i) {
        const std::string value = std::to_string(p) + ":" + std::to_string(i);
        ASSERT_TRUE(producer->append(topic, "", value).is_ok());
      }
    });
  }
  for (auto& thread : threads) thread.join();
  // The writer frames everything (the events are in the rings now) only if full-queue syncs made room;
  // nothing else syncs during the run. Bounded wait: a stall fails the test instead of hanging it.
  const std::uint64_t total = std::uint64_t{kProducers} * kEvents;
  for (int i = 0; i < 3000 && log->stats().topics.at(0).next_offset < total; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(log->stats().topics.at(0).next_offset, total)
      << "the writer stalled at the acknowledgement bound";
  EXPECT_GT(log->stats().syncs, 0u);
  ASSERT_TRUE(log->flush().is_ok());
  auto reader = log->reader("t", 0).value();
  std::vector<std::uint32_t> next(kProducers, 0);
  std::size_t count = 0;
  while (true) {
    auto polled = reader->poll(65536, [&](const Event& event) {
      const std::string value(reinterpret_cast<const char*>(event.value.data()), event.value.size());
      const auto colon = value.find(':');
      const int p = std::stoi(value.substr(0, colon));
      EXPECT_EQ(std::stoul(value.substr(colon + 1)), next[static_cast<std::size_t>(p)]) << "producer " << p;
      ++next[static_cast<std::size_t>(p)];
      ++count;
    });
    ASSERT_TRUE(polled);
    if (*polled == 0) break;
  }
  EXPECT_EQ(count, std::size_t{kProducers} * kEvents);
  reader.reset();
  EXPECT_TRUE(log->close().is_ok());
}

}  // namespace
}  // namespace strata
