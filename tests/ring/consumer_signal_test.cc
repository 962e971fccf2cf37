#include "ring/consumer_signal.h"

#include <gtest/gtest.h>

#include <thread>

#include "ring/mpsc_ring.h"
#include "tests/ring/ring_test_util.h"

namespace strata::ring {
namespace {

using namespace std::chrono_literals;

TEST(ConsumerSignal, WaitReturnsAtOnceWhenNotEmpty) {
  ConsumerSignal signal;
  const auto start = std::chrono::steady_clock::now();
  signal.wait_for([] { return false; }, 10s);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

TEST(ConsumerSignal, WaitTimesOutWhenNobodyNotifies) {
  ConsumerSignal signal;
  const auto start = std::chrono::steady_clock::now();
  signal.wait_for([] { return true; }, 20ms);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 20ms);
}

TEST(ConsumerSignal, NotifyWakesASleepingConsumer) {
  MpscRing ring(1024);
  ConsumerSignal signal;
  std::atomic<bool> woke{false};
  std::thread consumer([&] {
    while (testing::drain(ring).empty()) signal.wait_for([&] { return ring.empty(); }, 60s);
    woke = true;
  });
  std::this_thread::sleep_for(20ms);  // let the consumer fall asleep (the test passes either way)
  ASSERT_EQ(testing::push(ring, "wake"), ClaimStatus::kOk);
  signal.notify();
  const auto start = std::chrono::steady_clock::now();
  consumer.join();
  EXPECT_TRUE(woke);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 30s)
      << "lost wake-up: the consumer slept to its timeout";
}

}  // namespace
}  // namespace strata::ring
