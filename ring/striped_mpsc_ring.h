// StripedMpscRing: the many-producer ring the log's shared producer uses: MpscRing lanes, each thread
// claiming always in the same lane, one consumer draining them in turn.
//
//   producer (any thread): try_claim(n, &claim) -> write -> commit(claim) (or abort(claim))
//   consumer (one thread): consume(max, fn) -> fn(span) per committed record
//
// Why lanes: every claim in one MpscRing is a locked compare-exchange on one shared tail, so producers on
// different cores queue behind each other's cache-line transfers. On the 16-core machine one lane moved
// 9-12 M records/s (8 bytes) at 2, 4 and 8 producers, while moodycamel's ConcurrentQueue (a sub-queue per
// producer) moved 190-330 M/s. A lane per core (up to 8) gave 82/113/178 M/s at 2/4/8 producers against
// moodycamel's 128/266/229 in the same run.
//
// Exclusive lanes: a thread's first claim takes the lowest free lane of its own (a compare-exchange on the
// lane's owner) and keeps it until it exits; its claims then move the tail with a plain store, not a locked
// compare-exchange (ring_bench 2p1c/8 on 2 cores: 0.43-0.47x moodycamel with shared lanes, 0.72-0.84x with
// the plain store). There are 16 of them, not one per core: the log's shared producer is for any thread, and
// threads outnumber cores. With one per core, two of four producers on 2 cores shared an overflow lane and
// its locked claim was 48% of their time (4p1c/8: 0.54-0.86x moodycamel; with 16 lanes 1.08-1.32x in four
// of five runs).
// Threads beyond the exclusive lanes share the overflow lanes (one per core up to 8), round-robin. The
// consumer polls only the lanes ever bound, and lanes are bound lowest first, so it polls as many lanes as
// threads produced at once. What the log needs stays: one thread's records stay in order (a thread never
// changes lanes while it lives), and any number of threads may produce. Order between threads is the
// consumer's interleaving, as it is between the log's per-thread producers.
//
// A thread gives its exclusive lanes back when it exits (a thread_local's destructor, under the registry's
// mutex, so a ring destroyed meanwhile is never touched). Untouched lanes cost address space, not memory.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <thread>
#include <unordered_map>
#include <vector>

#include "ring/mpsc_ring.h"

namespace strata::ring {

class StripedMpscRing {
 public:
  // Exclusive lanes: one per thread producing at the same time, up to 16 (more threads than cores is the
  // normal case for the log's shared producer, and a thread without a lane of its own pays a locked claim).
  static constexpr std::size_t kExclusiveLanesDefault = 16;
  // Overflow lanes: one per core up to 8.
  static std::size_t default_overflow_lanes() {
    const std::size_t cores = std::max(1u, std::thread::hardware_concurrency());
    return std::min(cores, kOverflowLanesMax);
  }

  // `lane_bytes` is each lane's capacity (a power of two of at least 256). A lane's memory is touched only
  // once a thread claims in it, so the ring holds at most (lanes claimed in) x lane_bytes.
  explicit StripedMpscRing(std::size_t lane_bytes, std::size_t exclusive_lanes = kExclusiveLanesDefault,
                           std::size_t overflow_lanes = default_overflow_lanes())
      : exclusive_lanes_(exclusive_lanes),
        overflow_lanes_(overflow_lanes),
        owners_(new Owner[exclusive_lanes]) {
    STRATA_ASSERT(exclusive_lanes >= 1 && overflow_lanes >= 1, "lane counts %zu and %zu must be at least 1",
                  exclusive_lanes, overflow_lanes);
    lanes_.reserve(exclusive_lanes + overflow_lanes);
    for (std::size_t i = 0; i < exclusive_lanes + overflow_lanes; ++i)
      lanes_.push_back(std::make_unique<MpscRing>(lane_bytes));
    Registry& registry = Registry::instance();
    std::lock_guard lock(registry.mutex);
    id_ = registry.next_id++;
    registry.rings[id_] = this;
  }
  ~StripedMpscRing() {
    Registry& registry = Registry::instance();
    std::lock_guard lock(registry.mutex);
    registry.rings.erase(id_);
  }
  StripedMpscRing(const StripedMpscRing&) = delete;
  StripedMpscRing& operator=(const StripedMpscRing&) = delete;

  std::size_t exclusive_lanes() const { return exclusive_lanes_; }
  // The lanes the consumer polls: one past the highest lane a thread was ever bound to. Acquire: pairs with
  // bind()'s release, so the consumer looks at a lane once claims go there.
  std::size_t lanes_in_use() const { return lanes_in_use_.load(std::memory_order_acquire); }
  std::size_t max_payload_bytes() const { return lanes_.front()->max_payload_bytes(); }

  // Any thread; see MpscRing::try_claim. Each thread may hold several open claims.
  [[gnu::always_inline]] ClaimStatus try_claim(std::size_t payload_bytes, Claim* claim) {
    const Binding binding = binding_of_this_thread();
    return binding.exclusive ? binding.ring->try_claim_exclusive(payload_bytes, claim)
                             : binding.ring->try_claim(payload_bytes, claim);
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
    // Only the lanes a thread ever claimed in: lanes are bound lowest first, so that is as many as threads
    // produced at the same time, not the 16 (and more) that exist.
    const std::size_t lanes = lanes_in_use();
    if (++next_lane_ >= lanes) next_lane_ = 0;
    std::size_t lane = next_lane_;
    for (std::size_t i = 0; i < lanes && records < records_max && !refused; ++i) {
      records += lanes_[lane]->consume(records_max - records, accept);
      if (++lane == lanes) lane = 0;
    }
    return records;
  }

  // Consumer thread only: nothing committed in any lane.
  bool empty() const {
    const std::size_t lanes = lanes_in_use();
    return std::all_of(lanes_.begin(), lanes_.begin() + static_cast<std::ptrdiff_t>(lanes),
                       [](const auto& lane) { return lane->empty(); });
  }

 private:
  static constexpr std::size_t kOverflowLanesMax = 8;

  struct alignas(kCacheLineBytes) Owner {
    std::atomic<std::uintptr_t> thread{0};  // 0: free; else the owning thread's token
  };
  struct Binding {
    MpscRing* ring;  // the lane itself, so a claim reads nothing of this object but its id
    std::size_t lane;
    bool exclusive;
  };

  // Every live striped ring by id, so that a thread exiting gives its lanes back only to rings still alive.
  // Never destroyed: threads may exit after static destructors ran.
  struct Registry {
    std::mutex mutex;
    std::unordered_map<std::uint64_t, StripedMpscRing*> rings;
    std::uint64_t next_id = 1;
    static Registry& instance() {
      static Registry* registry = new Registry;
      return *registry;
    }
  };

  // This thread's lanes in every ring it claimed in; its address is the thread's owner token.
  struct ThreadBindings {
    struct Entry {
      std::uint64_t ring_id;
      Binding binding;
    };
    std::vector<Entry> entries;
    ~ThreadBindings() {
      Registry& registry = Registry::instance();
      std::lock_guard lock(registry.mutex);
      for (const Entry& entry : entries) {
        if (!entry.binding.exclusive) continue;
        const auto ring = registry.rings.find(entry.ring_id);
        // Release: this thread's claims in the lane happen before the next owner's.
        if (ring != registry.rings.end())
          ring->second->owners_[entry.binding.lane].thread.store(0, std::memory_order_release);
      }
    }
  };
  // A one-entry cache of the ring this thread claimed in last: plain thread_locals (no destructor, so no
  // initialisation guard on the claim path).
  static inline thread_local std::uint64_t last_ring_id_ = 0;
  static inline thread_local Binding last_binding_{nullptr, 0, false};

  static ThreadBindings& thread_bindings() {
    thread_local ThreadBindings bindings;
    return bindings;
  }

  static std::size_t thread_slot() {
    static std::atomic<std::size_t> next_slot{0};
    thread_local const std::size_t slot = next_slot.fetch_add(1, std::memory_order_relaxed);
    return slot;
  }


  Binding binding_of_this_thread() {
    if (last_ring_id_ == id_) [[likely]]
      return last_binding_;
    return find_or_bind();
  }

  [[gnu::noinline]] Binding find_or_bind() {
    ThreadBindings& mine = thread_bindings();
    const auto found = std::find_if(mine.entries.begin(), mine.entries.end(),
                                    [&](const ThreadBindings::Entry& entry) { return entry.ring_id == id_; });
    const Binding binding = found != mine.entries.end() ? found->binding : bind(mine);
    last_ring_id_ = id_;
    last_binding_ = binding;
    return binding;
  }

  // This thread's first claim in this ring: the lowest free exclusive lane (so the lanes in use stay as few
  // as the threads producing at once), else an overflow lane.
  Binding bind(ThreadBindings& mine) {
    const auto token = reinterpret_cast<std::uintptr_t>(&mine);
    const std::size_t overflow = exclusive_lanes_ + thread_slot() % overflow_lanes_;
    Binding binding{lanes_[overflow].get(), overflow, false};
    for (std::size_t lane = 0; lane < exclusive_lanes_; ++lane) {
      std::atomic<std::uintptr_t>& owner = owners_[lane].thread;
      std::uintptr_t expected = 0;
      // Acquire: the previous owner's claims in the lane happen before ours. The plain load first keeps
      // the scan from taking every owned lane's line.
      if (owner.load(std::memory_order_relaxed) == 0 &&
          owner.compare_exchange_strong(expected, token, std::memory_order_acquire)) {
        binding = {lanes_[lane].get(), lane, true};
        break;
      }
    }
    // Release: the consumer polls the lane before this thread's first record can be there.
    std::size_t in_use = lanes_in_use_.load(std::memory_order_relaxed);
    while (in_use <= binding.lane &&
           !lanes_in_use_.compare_exchange_weak(in_use, binding.lane + 1, std::memory_order_release,
                                                std::memory_order_relaxed)) {
    }
    Registry& registry = Registry::instance();
    std::lock_guard lock(registry.mutex);
    // Forget the rings that are gone, so a long-lived thread's list stays as short as the live rings.
    std::erase_if(mine.entries, [&](const ThreadBindings::Entry& entry) { return !registry.rings.contains(entry.ring_id); });
    mine.entries.push_back({id_, binding});
    return binding;
  }

  const std::size_t exclusive_lanes_;
  const std::size_t overflow_lanes_;
  std::unique_ptr<Owner[]> owners_;
  // [0, exclusive_lanes_): exclusive; then the overflow lanes.
  std::vector<std::unique_ptr<MpscRing>> lanes_;
  // One past the highest lane a thread was ever bound to: the lanes the consumer polls. Only grows.
  std::atomic<std::size_t> lanes_in_use_{0};
  std::uint64_t id_ = 0;
  // Consumer only, in a line of its own: producers read the fields above on every claim.
  alignas(kCacheLineBytes) std::size_t next_lane_ = 0;
};

}  // namespace strata::ring
