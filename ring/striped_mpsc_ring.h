// StripedMpscRing: the many-producer ring the log's shared producer uses: a few MpscRing lanes, each
// thread claiming always in the same lane, one consumer draining them in turn.
//
//   producer (any thread): try_claim(n, &claim) -> write -> commit(claim) (or abort(claim))
//   consumer (one thread): consume(max, fn) -> fn(span) per committed record
//
// Why lanes: every claim in one MpscRing is a locked compare-exchange on one shared tail, so producers on
// different cores queue behind each other's cache-line transfers. On the 16-core machine one lane moved
// 9-12 M records/s (8 bytes) at 2, 4 and 8 producers, while moodycamel's ConcurrentQueue (a sub-queue per
// producer) moved 190-330 M/s. Four lanes: 82 M/s at 2 producers, 144 M/s at 4, but 40 M/s at 8 (two
// threads per lane); sixteen: 118 M/s at 8. Hence a lane per core, up to 8: 82/113/178 M/s at 2/4/8
// producers against moodycamel's 128/266/229 in the same run. Each lane is a ring of the configured size;
// untouched lanes cost no memory. What the log needs stays: one thread's records stay in order (a
// thread never changes lanes), and any number of threads may share a lane (a claim is still an Aeron-style
// claim in one ring). Order between threads in different lanes is the consumer's interleaving, as it is
// between the log's per-thread producers.
//
// Threads get lanes round-robin in the order they first claim from any striped ring in the process.
#pragma once

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstddef>
#include <memory>
#include <span>
#include <thread>
#include <vector>

#include "ring/mpsc_ring.h"

namespace strata::ring {

class StripedMpscRing {
 public:
  // One lane per core up to kLanesMax, a power of two.
  static std::size_t default_lanes() {
    const std::size_t cores = std::max(1u, std::thread::hardware_concurrency());
    return std::bit_floor(std::min(cores, kLanesMax));
  }

  // `lane_bytes` is each lane's capacity (a power of two of at least 256); `lanes` a power of two.
  explicit StripedMpscRing(std::size_t lane_bytes, std::size_t lanes = default_lanes())
      : lane_mask_(lanes - 1) {
    STRATA_ASSERT(lanes >= 1 && std::has_single_bit(lanes), "lane count %zu is not a power of two", lanes);
    lanes_.reserve(lanes);
    for (std::size_t i = 0; i < lanes; ++i) lanes_.push_back(std::make_unique<MpscRing>(lane_bytes));
  }

  std::size_t lanes() const { return lanes_.size(); }
  std::size_t max_payload_bytes() const { return lanes_.front()->max_payload_bytes(); }

  // Any thread; see MpscRing::try_claim.
  ClaimStatus try_claim(std::size_t payload_bytes, Claim* claim) {
    return lanes_[thread_slot() & lane_mask_]->try_claim(payload_bytes, claim);
  }
  // The claim's own lane publishes it (a claim carries its header).
  void commit(const Claim& claim) { MpscRing::commit_claim(claim); }
  void abort(const Claim& claim) { MpscRing::abort_claim(claim); }

  // Consumer thread only. Up to records_max records, lane after lane, starting one lane further each call so
  // a busy lane cannot starve the others. If fn returns bool, false stops the whole call at that record.
  template <typename Fn>
  std::size_t consume(std::size_t records_max, Fn&& fn) {
    bool refused = false;
    auto accept = [&](std::span<const std::byte> record) {
      if (!deliver(fn, record)) {
        refused = true;
        return false;
      }
      return true;
    };
    std::size_t records = 0;
    const std::size_t first = next_lane_++;
    for (std::size_t i = 0; i < lanes_.size() && records < records_max && !refused; ++i) {
      records += lanes_[(first + i) & lane_mask_]->consume(records_max - records, accept);
    }
    return records;
  }

  // Consumer thread only: nothing committed in any lane.
  bool empty() const {
    return std::all_of(lanes_.begin(), lanes_.end(), [](const auto& lane) { return lane->empty(); });
  }

 private:
  static constexpr std::size_t kLanesMax = 8;

  static std::size_t thread_slot() {
    static std::atomic<std::size_t> next_slot{0};
    thread_local const std::size_t slot = next_slot.fetch_add(1, std::memory_order_relaxed);
    return slot;
  }

  std::vector<std::unique_ptr<MpscRing>> lanes_;
  const std::size_t lane_mask_;
  std::size_t next_lane_ = 0;  // consumer only
};

}  // namespace strata::ring
