#include "ring/mpsc_ring.h"

#include <gtest/gtest.h>

#include "tests/ring/ring_test_util.h"

namespace strata::ring {
namespace {

using testing::drain;
using testing::push;

TEST(MpscRing, EmptyRingConsumesNothing) {
  MpscRing ring(1024);
  EXPECT_TRUE(ring.empty());
  EXPECT_TRUE(drain(ring).empty());
}

TEST(MpscRing, CommittedRecordsArriveInOrder) {
  MpscRing ring(1024);
  ASSERT_EQ(push(ring, "alpha"), ClaimStatus::kOk);
  ASSERT_EQ(push(ring, "beta"), ClaimStatus::kOk);
  EXPECT_EQ(drain(ring), (std::vector<std::string>{"alpha", "beta"}));
  EXPECT_TRUE(ring.empty());
}

TEST(MpscRing, InFlightClaimStopsTheConsumerAtItsPosition) {
  MpscRing ring(1024);
  ASSERT_EQ(push(ring, "before"), ClaimStatus::kOk);
  Claim open;
  ASSERT_EQ(ring.try_claim(4, &open), ClaimStatus::kOk);
  ASSERT_EQ(push(ring, "after"), ClaimStatus::kOk);  // committed, but behind the open claim
  EXPECT_EQ(drain(ring), std::vector<std::string>{"before"});
  EXPECT_TRUE(drain(ring).empty());
  std::memcpy(open.payload.data(), "open", 4);
  ring.commit(open);
  EXPECT_EQ(drain(ring), (std::vector<std::string>{"open", "after"}));
}

TEST(MpscRing, AbortedClaimBecomesPadding) {
  MpscRing ring(1024);
  Claim aborted;
  ASSERT_EQ(ring.try_claim(16, &aborted), ClaimStatus::kOk);
  ASSERT_EQ(push(ring, "kept"), ClaimStatus::kOk);
  ring.abort(aborted);
  EXPECT_EQ(drain(ring), std::vector<std::string>{"kept"});
}

TEST(MpscRing, FullRingAnswersFullUntilReleased) {
  MpscRing ring(256);
  const std::string record(24, 'x');
  for (int i = 0; i < 8; ++i) ASSERT_EQ(push(ring, record), ClaimStatus::kOk) << i;
  EXPECT_EQ(push(ring, record), ClaimStatus::kFull);
  EXPECT_EQ(push(ring, ""), ClaimStatus::kFull);
  EXPECT_EQ(drain(ring, 1).size(), 1u);
  // Space goes back to producers a whole cache line (two 32-byte slots) at a time.
  EXPECT_EQ(push(ring, record), ClaimStatus::kFull);
  EXPECT_EQ(drain(ring, 1).size(), 1u);
  EXPECT_EQ(push(ring, record), ClaimStatus::kOk);
  EXPECT_EQ(push(ring, record), ClaimStatus::kOk);
  EXPECT_EQ(push(ring, record), ClaimStatus::kFull);
}

TEST(MpscRing, WrapInsertsPaddingAndKeepsOrder) {
  MpscRing ring(256);
  for (int i = 0; i < 6; ++i) ASSERT_EQ(push(ring, std::string(32, 'a')), ClaimStatus::kOk);
  ASSERT_EQ(drain(ring).size(), 6u);
  ASSERT_EQ(push(ring, std::string(32, 'b')), ClaimStatus::kOk);
  ASSERT_EQ(push(ring, std::string(5, 'c')), ClaimStatus::kOk);
  EXPECT_EQ(drain(ring), (std::vector<std::string>{std::string(32, 'b'), "ccccc"}));
}

TEST(MpscRing, MaximumRecordFitsAndLargerIsTooLarge) {
  MpscRing ring(256);
  const std::size_t max = ring.max_payload_bytes();
  EXPECT_EQ(max, 56u);  // half the ring, less a cache line of lag and the header
  Claim claim;
  EXPECT_EQ(ring.try_claim(max + 1, &claim), ClaimStatus::kTooLarge);
  // A maximal record fits at every position once the ring is drained, even when padding must precede it;
  // records of other sizes in between move the position around the buffer.
  for (int i = 0; i < 40; ++i) {
    const std::string maximal(max, static_cast<char>('a' + i % 26));
    ASSERT_EQ(push(ring, maximal), ClaimStatus::kOk) << i;
    EXPECT_EQ(drain(ring), std::vector<std::string>{maximal}) << i;
    ASSERT_EQ(push(ring, std::string(i % 13, 'z')), ClaimStatus::kOk) << i;
    EXPECT_EQ(drain(ring), std::vector<std::string>{std::string(i % 13, 'z')}) << i;
  }
}

TEST(MpscRing, ZeroLengthRecordsArrive) {
  MpscRing ring(256);
  for (int lap = 0; lap < 20; ++lap) {
    ASSERT_EQ(push(ring, ""), ClaimStatus::kOk);
    ASSERT_EQ(push(ring, ""), ClaimStatus::kOk);
    EXPECT_EQ(drain(ring), (std::vector<std::string>{"", ""}));
  }
}

TEST(MpscRing, ReleasedBytesAreZeroedSoOldRecordsNeverReappear) {
  MpscRing ring(256);
  // Fill and drain many laps with records of varied sizes: a stale header from an earlier lap would show up
  // as an extra or wrong record.
  for (int lap = 0; lap < 100; ++lap) {
    const std::string record(static_cast<std::size_t>(lap % 40), static_cast<char>('a' + lap % 26));
    ASSERT_EQ(push(ring, record), ClaimStatus::kOk);
    EXPECT_EQ(drain(ring), std::vector<std::string>{record}) << lap;
    EXPECT_TRUE(drain(ring).empty());
  }
}

TEST(MpscRing, FullLapBehindALaggingHeadDoesNotReplayConsumedRecords) {
  MpscRing ring(256);
  ASSERT_EQ(push(ring, std::string(24, 'a')), ClaimStatus::kOk);
  ASSERT_EQ(drain(ring), std::vector<std::string>{std::string(24, 'a')});
  // The consumed slot shares a cache line with unread space, so it is not zeroed or handed back yet;
  // producers fill up to exactly one lap past the published head, which ends where that stale record begins.
  for (int i = 0; i < 7; ++i)
    ASSERT_EQ(push(ring, std::string(24, static_cast<char>('b' + i))), ClaimStatus::kOk);
  EXPECT_EQ(push(ring, ""), ClaimStatus::kFull);
  EXPECT_EQ(drain(ring).size(), 7u);
  EXPECT_TRUE(drain(ring).empty());
}

TEST(MpscRing, ConsumeStopsAtRecordsMax) {
  MpscRing ring(1024);
  for (int i = 0; i < 10; ++i) ASSERT_EQ(push(ring, std::to_string(i)), ClaimStatus::kOk);
  EXPECT_EQ(drain(ring, 3), (std::vector<std::string>{"0", "1", "2"}));
  EXPECT_EQ(drain(ring).size(), 7u);
}

}  // namespace
}  // namespace strata::ring
