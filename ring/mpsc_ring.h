// MpscRing: a lock-free byte ring for many producer threads and one consumer thread, after Aeron's
// ManyToOneRingBuffer.
//
//   producer (any thread): try_claim(n, &claim) -> write into claim.payload -> commit(claim) (or
//   abort(claim)) consumer (one thread): consume(max, fn)      -> fn(span) per committed record, then one
//   release
//
// Claims advance a shared tail; each record is published on its own by a release store of its header's
// frame_bytes. A slot whose frame_bytes reads 0 is claimed but not yet committed (in flight), or not claimed
// at all: the consumer stops there and never reads half-written bytes. For that to hold on the next lap the
// consumer zeroes every byte it releases, a whole cache line at a time. An aborted claim is committed as
// padding and skipped.
//
// Claims check the space, then compare-exchange the tail forward, so try_claim never waits. A fetch-add
// variant was measured against it (README, design notes): no faster on 2 cores, and a producer that raced
// past the free space had to wait for the consumer inside try_claim, and the padding it wrote at a wrap was
// published without its caller knowing, which lost consumer wake-ups. It was removed.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <span>

#include "ring/record_header.h"
#include "ring/ring_buffer.h"

namespace strata::ring {

class MpscRing {
 public:
  explicit MpscRing(std::size_t capacity_bytes) : buffer_(capacity_bytes) {}

  std::size_t capacity() const { return buffer_.capacity(); }
  std::size_t max_payload_bytes() const { return buffer_.max_payload_bytes(kCacheLineBytes); }

  // Any thread. Each thread may hold several open claims; each must be committed or aborted.
  ClaimStatus try_claim(std::size_t payload_bytes, Claim* claim) { return claim_as<kShared>(payload_bytes, claim); }

  // The same for a ring that one thread at a time claims in (the striped ring's exclusive lanes): the tail
  // moves with a plain store instead of a locked compare-exchange, which also does not wait for the previous
  // record's stores to drain (ring_bench 2p1c/8 on 2 cores: 22-23 -> 37-43 M records/s). A hand-over of the
  // ring between threads must be ordered by the caller (release by the old owner, acquire by the new).
  ClaimStatus try_claim_exclusive(std::size_t payload_bytes, Claim* claim) {
    return claim_as<kExclusive>(payload_bytes, claim);
  }

 private:
  enum Claimers { kShared, kExclusive };

  template <Claimers claimers>
  [[gnu::always_inline]] ClaimStatus claim_as(std::size_t payload_bytes, Claim* claim) {
    if (payload_bytes > max_payload_bytes()) [[unlikely]]
      return ClaimStatus::kTooLarge;
    const std::size_t slot = slot_bytes(payload_bytes);
    std::uint64_t position;
    if (!claim_space<claimers>(slot, &position)) return ClaimStatus::kFull;
    RecordHeader* header = buffer_.header_at(position);
    prefetch_for_write(buffer_.at(position + kPrefetchSlotsAhead * slot));
    header->type = RecordType::kData;
    *claim = {{buffer_.at(position) + kRecordHeaderBytes, payload_bytes}, header, position + slot};
    return ClaimStatus::kOk;
  }

 public:

  // Publishes one claim. Release: its payload is visible before the consumer sees frame_bytes != 0.
  void commit(const Claim& claim) { commit_claim(claim); }
  // Turns a claim into padding, which the consumer skips.
  void abort(const Claim& claim) { abort_claim(claim); }

  // The same, without the ring: a claim carries its header (StripedMpscRing does not track lanes).
  static void commit_claim(const Claim& claim) {
    publish(claim.header, static_cast<std::int32_t>(kRecordHeaderBytes + claim.payload.size()));
  }
  static void abort_claim(const Claim& claim) {
    claim.header->type = RecordType::kPadding;
    publish(claim.header, static_cast<std::int32_t>(kRecordHeaderBytes + claim.payload.size()));
  }

  // Consumer thread only. Calls fn(std::span<const std::byte>) for up to records_max committed records, in
  // claim order, stopping at the first in-flight claim; then zeroes and releases them. If fn returns bool,
  // false leaves that record (and those after it) in the ring. Returns the records consumed.
  template <typename Fn>
  std::size_t consume(std::size_t records_max, Fn&& fn) {
    std::uint64_t position = consumer_.read_position;
    // Producers never claim at or past head + capacity; the bytes there are this lap's consumed records, not
    // yet zeroed (see release_whole_lines), so reading on would see them again.
    const std::uint64_t limit = consumer_.head.load(std::memory_order_relaxed) + buffer_.capacity();
    std::size_t records = 0;
    while (records < records_max && position < limit) {
      RecordHeader* header = buffer_.header_at(position);
      // Acquire: pairs with publish(); the payload written before it is visible.
      const std::int32_t frame_bytes =
          std::atomic_ref<std::int32_t>(header->frame_bytes).load(std::memory_order_acquire);
      if (frame_bytes == 0) break;  // in flight, or nothing more
      STRATA_ASSERT(
          frame_bytes >= static_cast<std::int32_t>(kRecordHeaderBytes) &&
              static_cast<std::size_t>(frame_bytes) <= buffer_.capacity() - buffer_.offset(position),
          "bad frame_bytes %d at position %llu (read from %llu, head %llu, type %u)", frame_bytes,
          static_cast<unsigned long long>(position), static_cast<unsigned long long>(consumer_.read_position),
          static_cast<unsigned long long>(consumer_.head.load(std::memory_order_relaxed)),
          static_cast<unsigned>(header->type));
      if (header->type == RecordType::kData) {
        if (!deliver(
                fn, std::span<const std::byte>(buffer_.at(position) + kRecordHeaderBytes,
                                               static_cast<std::size_t>(frame_bytes) - kRecordHeaderBytes))) {
          break;
        }
        ++records;
      }
      position += align_up(static_cast<std::size_t>(frame_bytes), kRecordAlignment);
    }
    consumer_.read_position = position;
    release_whole_lines(position);
    return records;
  }

  // Consumer thread only. True when nothing is committed at the read position (an in-flight claim counts as
  // empty).
  bool empty() const {
    return std::atomic_ref<std::int32_t>(buffer_.header_at(consumer_.read_position)->frame_bytes)
               .load(std::memory_order_acquire) == 0;
  }

 private:
  // Each claim's locked compare-exchange waits until the stores before it (the previous record) reach the
  // cache, and those lines were last written by the consumer (it zeroes what it releases): one cross-core
  // transfer per record, stalled on. Asking for the line a few records ahead in exclusive state hides that
  // (ring_bench, 2 cores: 1p1c/64 10 -> 26-34 M/s, 2p1c/8 30 -> 40-46 M/s; 2, 3, 6 and 8 records ahead and
  // fixed distances of 64-1024 bytes were measured too and were slower). A hint: it changes no data, and the
  // address is always inside the buffer.
  static constexpr std::size_t kPrefetchSlotsAhead = 4;
  static void prefetch_for_write(const std::byte* address) {
#if defined(__x86_64__)
    asm volatile("prefetchw %0" : : "m"(*reinterpret_cast<const char*>(address)));
#else
    __builtin_prefetch(address, 1);
#endif
  }

  static void publish(RecordHeader* header, std::int32_t frame_bytes) {
    std::atomic_ref<std::int32_t>(header->frame_bytes).store(frame_bytes, std::memory_order_release);
  }

  // Marks [position, position + bytes) as padding, committed at once.
  void write_padding(std::uint64_t position, std::size_t bytes) {
    RecordHeader* header = buffer_.header_at(position);
    header->type = RecordType::kPadding;
    publish(header, static_cast<std::int32_t>(bytes));
  }

  // The consumer's head as seen by producers. Acquire/release so that the consumer's zeroing of released
  // bytes happens before a producer writes them, even through the shared cache.
  std::uint64_t load_head_fresh() {
    const std::uint64_t head = consumer_.head.load(std::memory_order_acquire);
    shared_.head_cached.store(head, std::memory_order_release);
    return head;
  }

  template <Claimers claimers>
  bool claim_space(std::size_t slot, std::uint64_t* position) {
    std::uint64_t tail = shared_.tail.load(std::memory_order_relaxed);
    std::uint64_t head = shared_.head_cached.load(std::memory_order_acquire);
    while (true) {
      const std::size_t to_end = buffer_.capacity() - buffer_.offset(tail);
      const std::size_t padding = to_end < slot ? to_end : 0;
      const std::uint64_t needed = padding + slot;
      if (tail + needed - head > buffer_.capacity()) {
        head = load_head_fresh();
        if (tail + needed - head > buffer_.capacity()) return false;
      }
      // Relaxed: the tail only divides space; ordering with the consumer comes from head and frame_bytes.
      bool claimed = true;
      if constexpr (claimers == kExclusive) {
        shared_.tail.store(tail + needed, std::memory_order_relaxed);
      } else {
        claimed = shared_.tail.compare_exchange_weak(tail, tail + needed, std::memory_order_relaxed);
      }
      if (claimed) {
        if (padding != 0) [[unlikely]] {
          write_padding(tail, padding);
          tail += padding;
        }
        *position = tail;
        return true;
      }
    }
  }

  // Zeroes and hands back to producers every whole cache line before `read_position`, so the next lap's slots
  // read frame_bytes == 0 until committed. The line holding read_position stays ours: zeroing it now would
  // write into the line a producer is filling. Producers therefore see up to 63 bytes less free space than
  // there is, which max_payload_bytes() accounts for.
  void release_whole_lines(std::uint64_t read_position) {
    const std::uint64_t start = consumer_.head.load(std::memory_order_relaxed);  // only this thread writes it
    const std::uint64_t end = read_position & ~static_cast<std::uint64_t>(kCacheLineBytes - 1);
    if (end <= start) return;
    const std::size_t start_offset = buffer_.offset(start);
    const std::size_t bytes = static_cast<std::size_t>(end - start);
    STRATA_ASSERT(bytes <= buffer_.capacity(), "releasing %zu bytes from head %llu to %llu, capacity %zu",
                  bytes, static_cast<unsigned long long>(start), static_cast<unsigned long long>(end),
                  buffer_.capacity());
    const std::size_t first = std::min(bytes, buffer_.capacity() - start_offset);
    std::memset(buffer_.at(start), 0, first);
    if (first < bytes) std::memset(buffer_.at(0), 0, bytes - first);
    // Release: the zeroing and our reads happen before a producer reuses these bytes.
    consumer_.head.store(end, std::memory_order_release);
  }

  struct alignas(kCacheLineBytes) SharedProducerFields {
    std::atomic<std::uint64_t> tail{0};         // end of the last claim
    std::atomic<std::uint64_t> head_cached{0};  // the consumer's head as last seen by any producer
  };
  struct alignas(kCacheLineBytes) ConsumerFields {
    std::atomic<std::uint64_t> head{0};  // producers may write below head + capacity; a cache-line multiple
    std::uint64_t read_position = 0;     // start of the next record to read; head <= read_position
  };
  static_assert(sizeof(SharedProducerFields) == kCacheLineBytes);
  static_assert(sizeof(ConsumerFields) == kCacheLineBytes);

  SharedProducerFields shared_;
  ConsumerFields consumer_;
  RingBuffer buffer_;
};

}  // namespace strata::ring
