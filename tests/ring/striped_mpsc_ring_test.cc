#include "ring/striped_mpsc_ring.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <optional>
#include <thread>

#include "tests/ring/ring_test_util.h"

namespace strata::ring {
namespace {

using testing::drain;
using testing::push;

// Each thread claims in one lane for its whole life; returns the records it pushed, in order.
std::vector<std::string> push_from_new_thread(StripedMpscRing& ring, const std::string& name, int count) {
  std::vector<std::string> pushed;
  std::thread([&] {
    for (int i = 0; i < count; ++i) {
      pushed.push_back(name + std::to_string(i));
      EXPECT_EQ(push(ring, pushed.back()), ClaimStatus::kOk);
    }
  }).join();
  return pushed;
}

TEST(StripedMpscRing, EmptyUntilAnyLaneHasARecord) {
  StripedMpscRing ring(1024, 4);
  EXPECT_EQ(ring.exclusive_lanes(), 4u);
  EXPECT_TRUE(ring.empty());
  push_from_new_thread(ring, "a", 1);
  EXPECT_FALSE(ring.empty());
  EXPECT_EQ(drain(ring).size(), 1u);
  EXPECT_TRUE(ring.empty());
}

TEST(StripedMpscRing, EachThreadsRecordsStayInOrderAcrossLanes) {
  StripedMpscRing ring(4096, 2);
  std::vector<std::vector<std::string>> pushed;
  for (const char* name : {"a", "b", "c"}) pushed.push_back(push_from_new_thread(ring, name, 20));
  const std::vector<std::string> all = drain(ring);
  ASSERT_EQ(all.size(), 60u);
  for (const auto& thread_records : pushed) {
    std::vector<std::string> seen;
    std::copy_if(all.begin(), all.end(), std::back_inserter(seen),
                 [&](const std::string& r) { return r[0] == thread_records[0][0]; });
    EXPECT_EQ(seen, thread_records);
  }
}

TEST(StripedMpscRing, RefusalStopsTheWholeConsumeAndKeepsTheRecord) {
  StripedMpscRing ring(1024, 2);
  push_from_new_thread(ring, "a", 3);
  push_from_new_thread(ring, "b", 3);
  std::size_t accepted = 0;
  const std::size_t consumed = ring.consume(100, [&](std::span<const std::byte>) { return ++accepted <= 2; });
  EXPECT_EQ(consumed, 2u);
  EXPECT_EQ(drain(ring).size(), 4u);  // the refused record and the rest are still there
}

TEST(StripedMpscRing, ConsumeStartsAtTheNextLaneEachCall) {
  StripedMpscRing ring(1024, 2);
  // This thread keeps the first lane while b's takes the second (a thread that exited would have given its
  // lane back for b's to take).
  for (int i = 0; i < 4; ++i) ASSERT_EQ(push(ring, "a" + std::to_string(i)), ClaimStatus::kOk);
  push_from_new_thread(ring, "b", 4);
  // One record per call: successive calls alternate lanes, so neither lane waits for the other to drain.
  const std::string first = drain(ring, 1).at(0);
  const std::string second = drain(ring, 1).at(0);
  EXPECT_NE(first[0], second[0]);
}

TEST(StripedMpscRing, AThreadTakesTheLowestFreeLaneSoTheConsumerPollsOnlyTheLanesInUse) {
  StripedMpscRing ring(1024, 4, 2);
  EXPECT_EQ(ring.lanes_in_use(), 0u);
  // Threads one after the other: each gives its lane back on exit and the next takes it again.
  for (const char* name : {"a", "b", "c"}) push_from_new_thread(ring, name, 1);
  EXPECT_EQ(ring.lanes_in_use(), 1u);
  // This thread holds the first lane: the next thread takes the second.
  ASSERT_EQ(push(ring, "m"), ClaimStatus::kOk);
  push_from_new_thread(ring, "d", 1);
  EXPECT_EQ(ring.lanes_in_use(), 2u);
  EXPECT_EQ(drain(ring).size(), 5u);
}

TEST(StripedMpscRing, EveryThreadProducingAtOnceGetsAnExclusiveLaneUpToTheLimit) {
  constexpr std::size_t kExclusive = 6;
  StripedMpscRing ring(1024, kExclusive, 1);
  std::mutex mutex;
  std::condition_variable changed;
  std::size_t holding = 0;
  bool release = false;
  std::vector<std::thread> threads;
  // One thread more than there are exclusive lanes, all alive at once: the last one overflows.
  for (std::size_t t = 0; t <= kExclusive; ++t) {
    threads.emplace_back([&, t] {
      EXPECT_EQ(push(ring, std::to_string(t)), ClaimStatus::kOk);
      std::unique_lock lock(mutex);
      ++holding;
      changed.notify_all();
      changed.wait(lock, [&] { return release; });
    });
    std::unique_lock lock(mutex);
    changed.wait(lock, [&] { return holding == t + 1; });
  }
  EXPECT_EQ(ring.lanes_in_use(), kExclusive + 1);  // every exclusive lane and the overflow lane
  std::vector<std::string> all = drain(ring);
  std::sort(all.begin(), all.end());
  EXPECT_EQ(all, (std::vector<std::string>{"0", "1", "2", "3", "4", "5", "6"}));
  {
    std::lock_guard lock(mutex);
    release = true;
  }
  changed.notify_all();
  for (auto& thread : threads) thread.join();
}

TEST(StripedMpscRing, OpenClaimStopsOnlyItsLane) {
  StripedMpscRing ring(1024, 2);
  Claim open;
  ASSERT_EQ(ring.try_claim(4, &open), ClaimStatus::kOk);  // this thread's exclusive lane
  // x takes the other exclusive lane and gives it back when it exits; y takes it again. Both are delivered
  // while this thread's claim is open.
  push_from_new_thread(ring, "x", 1);
  push_from_new_thread(ring, "y", 1);
  EXPECT_EQ(drain(ring), (std::vector<std::string>{"x0", "y0"}));
  std::memcpy(open.payload.data(), "open", 4);
  ring.commit(open);
  EXPECT_EQ(drain(ring), (std::vector<std::string>{"open"}));
}

TEST(StripedMpscRing, ThreadsBeyondTheExclusiveLanesShareAnOverflowLane) {
  StripedMpscRing ring(1024, 1, 1);
  Claim open;
  ASSERT_EQ(ring.try_claim(4, &open), ClaimStatus::kOk);  // the only exclusive lane, held by this thread
  std::vector<std::string> all;
  for (const char* name : {"a", "b"}) {
    std::vector<std::string> pushed = push_from_new_thread(ring, name, 3);
    all.insert(all.end(), pushed.begin(), pushed.end());
  }
  EXPECT_EQ(drain(ring), all);  // the overflow lane, in claim order, not held up by the open claim
  ring.abort(open);
  EXPECT_TRUE(drain(ring).empty());
  EXPECT_TRUE(ring.empty());
}

TEST(StripedMpscRing, ALaneOfADestroyedRingIsNeverTouchedWhenItsThreadExits) {
  std::optional<StripedMpscRing> ring(std::in_place, 1024, 2);
  std::mutex mutex;
  std::condition_variable changed;
  bool pushed = false;
  bool destroyed = false;
  std::thread owner([&] {
    EXPECT_EQ(push(*ring, "r"), ClaimStatus::kOk);  // takes an exclusive lane
    std::unique_lock lock(mutex);
    pushed = true;
    changed.notify_all();
    changed.wait(lock, [&] { return destroyed; });
  });  // exits after the ring is gone: giving the lane back must skip it (ASan would see the use after free)
  {
    std::unique_lock lock(mutex);
    changed.wait(lock, [&] { return pushed; });
    EXPECT_EQ(drain(*ring), (std::vector<std::string>{"r"}));
    ring.reset();
    destroyed = true;
    changed.notify_all();
  }
  owner.join();
}

}  // namespace
}  // namespace strata::ring
