// Stress: producers push records of random sizes through a small ring while one consumer checks that every
// record arrives exactly once, in per-producer order, with its bytes intact.
//
// STRATA_STRESS_RECORDS sets the total record count (default 10 million; CI's sanitizer builds use fewer).
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <thread>
#include <vector>

#include "ring/backpressure.h"
#include "ring/consumer_signal.h"
#include "ring/mpsc_ring.h"
#include "ring/spsc_ring.h"
#include "ring/striped_mpsc_ring.h"

namespace strata::ring {
namespace {

using namespace std::chrono_literals;

std::uint64_t records_total() {
  const char* text = std::getenv("STRATA_STRESS_RECORDS");
  return text != nullptr ? std::strtoull(text, nullptr, 10) : 10'000'000;
}

// Each producer's sizes come from its own deterministic generator so the consumer can replay the sequence.
struct SplitMix {
  std::uint64_t state;
  std::uint64_t next() {
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
};

constexpr std::size_t kIdBytes = sizeof(std::uint32_t) + sizeof(std::uint64_t);
constexpr std::size_t kSizeMax = 600;

std::size_t next_size(SplitMix& rng) {
  return kIdBytes + rng.next() % (kSizeMax - kIdBytes);
}
std::byte pattern(std::uint32_t producer, std::uint64_t seq, std::size_t i) {
  return static_cast<std::byte>(seq * 31 + i * 7 + producer);
}

void fill(std::span<std::byte> payload, std::uint32_t producer, std::uint64_t seq) {
  std::memcpy(payload.data(), &producer, sizeof producer);
  std::memcpy(payload.data() + sizeof producer, &seq, sizeof seq);
  for (std::size_t i = kIdBytes; i < payload.size(); ++i) payload[i] = pattern(producer, seq, i);
}

// Checks records as they arrive; remembers the first problem (gtest assertions stay on the main thread).
class Checker {
 public:
  explicit Checker(std::uint32_t producers) {
    for (std::uint32_t p = 0; p < producers; ++p) rngs_.push_back(SplitMix{p});
    next_seq_.assign(producers, 0);
  }

  void check(std::span<const std::byte> payload) {
    ++received_;
    if (!error_.empty()) return;
    if (payload.size() < kIdBytes)
      return fail("record shorter than its id: " + std::to_string(payload.size()));
    std::uint32_t producer;
    std::uint64_t seq;
    std::memcpy(&producer, payload.data(), sizeof producer);
    std::memcpy(&seq, payload.data() + sizeof producer, sizeof seq);
    if (producer >= next_seq_.size()) return fail("unknown producer " + std::to_string(producer));
    if (seq != next_seq_[producer]) {
      return fail("producer " + std::to_string(producer) + ": expected seq " +
                  std::to_string(next_seq_[producer]) + ", got " + std::to_string(seq));
    }
    ++next_seq_[producer];
    const std::size_t size = next_size(rngs_[producer]);
    if (payload.size() != size) return fail("seq " + std::to_string(seq) + ": wrong size");
    for (std::size_t i = kIdBytes; i < size; ++i) {
      if (payload[i] != pattern(producer, seq, i))
        return fail("seq " + std::to_string(seq) + ": corrupt byte");
    }
  }

  std::uint64_t received() const { return received_; }
  const std::string& error() const { return error_; }
  const std::vector<std::uint64_t>& next_seq() const { return next_seq_; }

 private:
  void fail(std::string message) { error_ = std::move(message); }
  std::vector<SplitMix> rngs_;
  std::vector<std::uint64_t> next_seq_;
  std::uint64_t received_ = 0;
  std::string error_;
};

template <typename Ring>
void produce(Ring& ring, ConsumerSignal& signal, std::uint32_t producer, std::uint64_t count) {
  SplitMix rng{producer};
  for (std::uint64_t seq = 0; seq < count; ++seq) {
    Claim claim;
    const ClaimStatus status =
        claim_with_backpressure(ring, next_size(rng), &claim, Backpressure::kYield, 60s);
    STRATA_ASSERT(status == ClaimStatus::kOk, "producer %u stuck at seq %llu", producer,
                  static_cast<unsigned long long>(seq));
    fill(claim.payload, producer, seq);
    ring.commit(claim);
    signal.notify();
    // Pause now and then so that the consumer falls asleep and the wake-up path is exercised too.
    if ((seq & 4095) == 4095) std::this_thread::sleep_for(50us);
  }
}

template <typename Ring, typename... RingArgs>
void run_stress(std::uint32_t producers, RingArgs... ring_args) {
  const std::uint64_t per_producer = records_total() / producers;
  Ring ring(64 * 1024, ring_args...);
  ConsumerSignal signal;
  Checker checker(producers);
  std::vector<std::thread> threads;
  for (std::uint32_t p = 0; p < producers; ++p) {
    threads.emplace_back([&, p] { produce(ring, signal, p, per_producer); });
  }
  std::uint64_t slept_to_timeout = 0;
  const std::uint64_t expected = per_producer * producers;
  while (checker.received() < expected) {
    if (ring.consume(1024, [&](std::span<const std::byte> bytes) { checker.check(bytes); }) != 0) continue;
    const auto start = std::chrono::steady_clock::now();
    signal.wait_for([&] { return ring.empty(); }, 5s);
    // Producers never pause for seconds, so sleeping to the timeout means a lost wake-up.
    if (std::chrono::steady_clock::now() - start >= 5s) ++slept_to_timeout;
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(checker.error(), "");
  EXPECT_EQ(checker.received(), expected);
  for (std::uint32_t p = 0; p < producers; ++p)
    EXPECT_EQ(checker.next_seq()[p], per_producer) << "producer " << p;
  EXPECT_TRUE(ring.empty());
  EXPECT_EQ(slept_to_timeout, 0u);
}

TEST(RingStress, Spsc1Producer) {
  run_stress<SpscRing>(1);
}
TEST(RingStress, Mpsc4Producers) {
  run_stress<MpscRing>(4);
}
// Five producers over two exclusive lanes and one overflow lane, which three of them share: each producer's
// records must stay in order.
TEST(RingStress, StripedMpsc5ProducersOn2ExclusiveLanesAnd1Overflow) {
  run_stress<StripedMpscRing>(5, std::size_t{2}, std::size_t{1});
}
// The default lanes: as many producers as exclusive lanes, each in a lane of its own.
TEST(RingStress, StripedMpscAProducerPerExclusiveLane) {
  run_stress<StripedMpscRing>(static_cast<std::uint32_t>(StripedMpscRing::kExclusiveLanesDefault));
}

// Threads that come and go: each round's threads take the exclusive lanes the previous round's threads gave
// back when they exited (three threads on two exclusive lanes: one overflows). Every record exactly once and
// in order per thread; under TSan, the hand-over of a lane between threads is checked for races too.
TEST(RingStress, StripedMpscThreadsComeAndGoAcrossExclusiveLanes) {
  constexpr std::uint32_t kRounds = 20;
  constexpr std::uint32_t kThreadsPerRound = 3;
  const std::uint64_t per_producer = std::max<std::uint64_t>(1, records_total() / 20 / (kRounds * kThreadsPerRound));
  StripedMpscRing ring(64 * 1024, 2, 1);
  ConsumerSignal signal;
  Checker checker(kRounds * kThreadsPerRound);
  std::thread spawner([&] {
    for (std::uint32_t round = 0; round < kRounds; ++round) {
      std::vector<std::thread> threads;
      for (std::uint32_t t = 0; t < kThreadsPerRound; ++t) {
        threads.emplace_back([&, round, t] { produce(ring, signal, round * kThreadsPerRound + t, per_producer); });
      }
      for (auto& thread : threads) thread.join();
    }
  });
  const std::uint64_t expected = per_producer * kRounds * kThreadsPerRound;
  while (checker.received() < expected) {
    if (ring.consume(1024, [&](std::span<const std::byte> bytes) { checker.check(bytes); }) != 0) continue;
    signal.wait_for([&] { return ring.empty(); }, 100ms);
  }
  spawner.join();
  EXPECT_EQ(checker.error(), "");
  EXPECT_EQ(checker.received(), expected);
  EXPECT_TRUE(ring.empty());
}

}  // namespace
}  // namespace strata::ring
