#include "ring/spsc_ring.h"

#include <gtest/gtest.h>

#include "tests/ring/ring_test_util.h"

namespace strata::ring {
namespace {

using testing::drain;
using testing::push;

TEST(SpscRing, EmptyRingConsumesNothing) {
  SpscRing ring(1024);
  EXPECT_TRUE(ring.empty());
  EXPECT_TRUE(drain(ring).empty());
}

TEST(SpscRing, CommittedRecordsArriveInOrder) {
  SpscRing ring(1024);
  ASSERT_EQ(push(ring, "alpha"), ClaimStatus::kOk);
  ASSERT_EQ(push(ring, "beta"), ClaimStatus::kOk);
  EXPECT_FALSE(ring.empty());
  EXPECT_EQ(drain(ring), (std::vector<std::string>{"alpha", "beta"}));
  EXPECT_TRUE(ring.empty());
}

// The consumer stays out of the cache line the producer is filling while the producer keeps committing, and
// reads it once the tail stays put; a record that starts in an earlier line is never held back.
TEST(SpscRing, RecordsInTheProducersCacheLineWaitOneCall) {
  SpscRing ring(1024);
  std::vector<std::string> seen;
  auto consume = [&] {
    return ring.consume(SIZE_MAX, [&](std::span<const std::byte> bytes) {
      seen.emplace_back(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    });
  };
  ASSERT_EQ(push(ring, "a"), ClaimStatus::kOk);  // 16-byte slots: bytes 0-15 of line 0
  EXPECT_EQ(consume(), 0u) << "the tail moved within line 0: the producer may still be writing it";
  EXPECT_TRUE(ring.holding_back());
  EXPECT_FALSE(ring.empty());
  EXPECT_EQ(consume(), 1u) << "the tail stayed put: the record is delivered";
  EXPECT_FALSE(ring.holding_back());
  ASSERT_EQ(push(ring, std::string(100, 'b')), ClaimStatus::kOk);  // bytes 16-127: into line 1
  EXPECT_EQ(consume(), 1u) << "it starts in line 0, before the producer's line: delivered at once";
  ASSERT_EQ(push(ring, "c"), ClaimStatus::kOk);  // bytes 128-143 of line 2
  ASSERT_EQ(push(ring, "d"), ClaimStatus::kOk);
  EXPECT_EQ(consume(), 0u);
  ASSERT_EQ(push(ring, std::string(120, 'e')), ClaimStatus::kOk);  // the producer moves on to line 4
  EXPECT_EQ(consume(), 3u) << "lines 2 and 3 are complete: c, d and e (which starts in line 2)";
  EXPECT_EQ(seen, (std::vector<std::string>{"a", std::string(100, 'b'), "c", "d", std::string(120, 'e')}));
  EXPECT_TRUE(ring.empty());
}

TEST(SpscRing, ClaimedButUncommittedRecordIsInvisible) {
  SpscRing ring(1024);
  Claim claim;
  ASSERT_EQ(ring.try_claim(4, &claim), ClaimStatus::kOk);
  std::memcpy(claim.payload.data(), "open", 4);
  EXPECT_TRUE(drain(ring).empty());
  ring.commit(claim);
  EXPECT_EQ(drain(ring), std::vector<std::string>{"open"});
}

TEST(SpscRing, FullRingAnswersFullUntilReleased) {
  SpscRing ring(256);
  const std::string record(24, 'x');  // 32-byte slots: 8 fit
  for (int i = 0; i < 8; ++i) ASSERT_EQ(push(ring, record), ClaimStatus::kOk) << i;
  EXPECT_EQ(push(ring, record), ClaimStatus::kFull);
  EXPECT_EQ(push(ring, ""), ClaimStatus::kFull);
  EXPECT_EQ(drain(ring, 1).size(), 1u);
  EXPECT_EQ(push(ring, record), ClaimStatus::kOk);
}

TEST(SpscRing, WrapInsertsPaddingAndKeepsOrder) {
  SpscRing ring(256);
  // 40-byte slots: six take 240 bytes, leaving 16 at the end, too few for the seventh.
  const std::string record(32, 'a');
  for (int i = 0; i < 6; ++i) ASSERT_EQ(push(ring, record), ClaimStatus::kOk);
  ASSERT_EQ(drain(ring).size(), 6u);
  ASSERT_EQ(push(ring, std::string(32, 'b')), ClaimStatus::kOk);  // padding 16 bytes, then offset 0
  ASSERT_EQ(push(ring, std::string(5, 'c')), ClaimStatus::kOk);
  EXPECT_EQ(drain(ring), (std::vector<std::string>{std::string(32, 'b'), "ccccc"}));
}

TEST(SpscRing, WrapNeedsRoomForPaddingAndRecord) {
  SpscRing ring(256);
  for (int i = 0; i < 6; ++i) ASSERT_EQ(push(ring, std::string(32, 'a')), ClaimStatus::kOk);
  ASSERT_EQ(drain(ring, 1).size(), 1u);  // frees offsets 0..40; the tail sits at 240 with 16 bytes to the end
  EXPECT_EQ(push(ring, std::string(40, 'b')), ClaimStatus::kFull);  // 48-byte slot + 16 padding > 56 free
  EXPECT_EQ(push(ring, std::string(24, 'b')), ClaimStatus::kOk);    // 32-byte slot + 16 padding fit
}

TEST(SpscRing, AbortPublishesNothing) {
  SpscRing ring(256);
  Claim claim;
  ASSERT_EQ(ring.try_claim(16, &claim), ClaimStatus::kOk);
  ring.abort(claim);
  EXPECT_TRUE(drain(ring).empty());
  ASSERT_EQ(push(ring, "after"), ClaimStatus::kOk);
  EXPECT_EQ(drain(ring), std::vector<std::string>{"after"});
}

TEST(SpscRing, MaximumRecordFitsAndLargerIsTooLarge) {
  SpscRing ring(256);
  EXPECT_EQ(ring.max_payload_bytes(), 120u);
  Claim claim;
  EXPECT_EQ(ring.try_claim(121, &claim), ClaimStatus::kTooLarge);
  EXPECT_EQ(ring.try_claim(SIZE_MAX, &claim), ClaimStatus::kTooLarge);
  // A maximal record fits at every position once the ring is drained, even when padding must precede it;
  // records of other sizes in between move the position around the buffer.
  for (int i = 0; i < 40; ++i) {
    const std::string maximal(120, static_cast<char>('a' + i % 26));
    ASSERT_EQ(push(ring, maximal), ClaimStatus::kOk) << i;
    EXPECT_EQ(drain(ring), std::vector<std::string>{maximal}) << i;
    ASSERT_EQ(push(ring, std::string(i % 13, 'z')), ClaimStatus::kOk) << i;
    EXPECT_EQ(drain(ring), std::vector<std::string>{std::string(i % 13, 'z')}) << i;
  }
}

TEST(SpscRing, ZeroLengthRecordsArrive) {
  SpscRing ring(256);
  for (int lap = 0; lap < 20; ++lap) {
    ASSERT_EQ(push(ring, ""), ClaimStatus::kOk);
    ASSERT_EQ(push(ring, ""), ClaimStatus::kOk);
    EXPECT_EQ(drain(ring), (std::vector<std::string>{"", ""}));
  }
}

TEST(SpscRing, BatchIsReleasedOnlyAfterConsume) {
  SpscRing ring(256);
  for (int i = 0; i < 8; ++i) ASSERT_EQ(push(ring, std::string(24, 'x')), ClaimStatus::kOk);
  ASSERT_EQ(push(ring, "y"), ClaimStatus::kFull);
  std::size_t seen = 0;
  ring.consume(SIZE_MAX, [&](std::span<const std::byte>) {
    ++seen;
    // Inside the callback nothing is released yet: the producer still sees a full ring.
    EXPECT_EQ(push(ring, "y"), ClaimStatus::kFull);
  });
  EXPECT_EQ(seen, 8u);
  EXPECT_EQ(push(ring, "y"), ClaimStatus::kOk);
}

TEST(SpscRing, ConsumeStopsAtRecordsMax) {
  SpscRing ring(1024);
  for (int i = 0; i < 10; ++i) ASSERT_EQ(push(ring, std::to_string(i)), ClaimStatus::kOk);
  EXPECT_EQ(drain(ring, 3), (std::vector<std::string>{"0", "1", "2"}));
  EXPECT_EQ(drain(ring).size(), 7u);
}

TEST(SpscRingDeathTest, CapacityMustBeAPowerOfTwo) {
  EXPECT_DEATH(SpscRing(100), "not a power of two");
}

}  // namespace
}  // namespace strata::ring
