#include "ring/backpressure.h"

#include <gtest/gtest.h>

#include <thread>

#include "ring/mpsc_ring.h"
#include "ring/spsc_ring.h"
#include "tests/ring/ring_test_util.h"

namespace strata::ring {
namespace {

using namespace std::chrono_literals;

void fill(SpscRing& ring) {
  while (testing::push(ring, std::string(24, 'x')) == ClaimStatus::kOk) {
  }
}

TEST(Backpressure, FailAnswersFullAtOnce) {
  SpscRing ring(256);
  fill(ring);
  Claim claim;
  EXPECT_EQ(claim_with_backpressure(ring, 24, &claim, Backpressure::kFail, 1h), ClaimStatus::kFull);
}

TEST(Backpressure, EveryPolicyGivesUpAtTheDeadline) {
  for (const Backpressure policy : {Backpressure::kSpin, Backpressure::kYield, Backpressure::kBlock}) {
    SpscRing ring(256);
    fill(ring);
    Claim claim;
    const auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(claim_with_backpressure(ring, 24, &claim, policy, 20ms), ClaimStatus::kFull);
    EXPECT_GE(std::chrono::steady_clock::now() - start, 20ms);
  }
}

TEST(Backpressure, TooLargeIsAnsweredAtOnceNeverWaitedFor) {
  MpscRing ring(256);
  Claim claim;
  EXPECT_EQ(claim_with_backpressure(ring, 1000, &claim, Backpressure::kBlock, 1h), ClaimStatus::kTooLarge);
}

TEST(Backpressure, BlockedProducerProceedsOnceTheConsumerReleases) {
  SpscRing ring(256);
  fill(ring);
  std::thread consumer([&] {
    std::this_thread::sleep_for(10ms);
    testing::drain(ring, 1);
  });
  Claim claim;
  EXPECT_EQ(claim_with_backpressure(ring, 24, &claim, Backpressure::kBlock, 10s), ClaimStatus::kOk);
  ring.commit(claim);
  consumer.join();
}

}  // namespace
}  // namespace strata::ring
