// SpscRing: a lock-free byte ring for one producer thread and one consumer thread, carrying variable-length
// records that the producer writes in place.
//
//   producer: try_claim(n, &claim) -> write n bytes into claim.payload -> commit(claim) (or abort(claim))
//   consumer: consume(max, fn)      -> fn(span) for each committed record, then one release of them all
//
// Positions are byte counts since creation (uint64, never wrap in practice); the buffer offset is position
// mod capacity. A record never straddles the end of the buffer: a padding record fills the rest and the
// record starts at offset 0. Each side keeps a cached copy of the other side's index so that the shared cache
// line is only touched when the cached view says "full" or "empty".
//
// Threads: try_claim/commit/abort from the one producer thread only; consume from the one consumer thread
// only.
#pragma once

#include <atomic>
#include <cstdint>
#include <span>

#include "ring/record_header.h"
#include "ring/ring_buffer.h"

namespace strata::ring {

class SpscRing {
 public:
  explicit SpscRing(std::size_t capacity_bytes) : buffer_(capacity_bytes) {}

  std::size_t capacity() const { return buffer_.capacity(); }
  std::size_t max_payload_bytes() const { return buffer_.max_payload_bytes(); }

  // Producer thread only. At most one claim may be open at a time: commit or abort it before the next.
  ClaimStatus try_claim(std::size_t payload_bytes, Claim* claim) {
    if (payload_bytes > buffer_.max_payload_bytes()) [[unlikely]]
      return ClaimStatus::kTooLarge;
    const std::size_t slot = slot_bytes(payload_bytes);
    std::uint64_t tail = producer_.tail.load(std::memory_order_relaxed);  // only this thread writes it
    const std::size_t to_end = buffer_.capacity() - buffer_.offset(tail);
    const std::size_t padding = to_end < slot ? to_end : 0;
    if (tail + padding + slot - producer_.head_cached > buffer_.capacity()) {
      // Acquire: the consumer has finished reading the bytes it released before we overwrite them.
      producer_.head_cached = consumer_.head.load(std::memory_order_acquire);
      if (tail + padding + slot - producer_.head_cached > buffer_.capacity()) return ClaimStatus::kFull;
    }
    if (padding != 0) [[unlikely]] {
      *buffer_.header_at(tail) = {static_cast<std::int32_t>(padding), RecordType::kPadding};
      tail += padding;
    }
    RecordHeader* header = buffer_.header_at(tail);
    *header = {static_cast<std::int32_t>(kRecordHeaderBytes + payload_bytes), RecordType::kData};
    *claim = {{buffer_.at(tail) + kRecordHeaderBytes, payload_bytes}, header, tail + slot};
    return ClaimStatus::kOk;
  }

  // Producer thread only. Publishes the claim (and any padding before it) with one release store.
  void commit(const Claim& claim) {
    // Release: the header and payload bytes are visible before the consumer sees the new tail.
    producer_.tail.store(claim.end_position, std::memory_order_release);
  }

  // Producer thread only. Forgets the claim: nothing was published, so nothing is left behind.
  void abort(const Claim& /*claim*/) {}

  // Consumer thread only. Calls fn(std::span<const std::byte>) for up to records_max committed records, in
  // order, then releases them all at once. Spans are valid only during the call. If fn returns bool, false
  // leaves that record (and those after it) in the ring for the next call. Returns the records consumed.
  //
  // Records that start in the cache line the producer is filling (the tail's) are left for a later call
  // while the producer keeps committing: reading that line while the producer writes it moves the line
  // between the two cores once per record (8-byte records moved at 0.14x boost's spsc_queue). They are
  // delivered as soon as the producer leaves the line or stops (the tail did not move since the last look),
  // so a record waits at most one extra call; a record longer than a cache line is never held back.
  template <typename Fn>
  std::size_t consume(std::size_t records_max, Fn&& fn) {
    std::uint64_t head = consumer_.head.load(std::memory_order_relaxed);  // only this thread writes it
    std::uint64_t stop = line_start(consumer_.tail_cached);
    if (head >= stop) {
      // Acquire: pairs with commit()'s release so the records' bytes are visible.
      const std::uint64_t tail = producer_.tail.load(std::memory_order_acquire);
      if (head == tail) return 0;
      stop = tail == consumer_.tail_cached ? tail : line_start(tail);
      consumer_.tail_cached = tail;
    }
    std::size_t records = 0;
    // A record that starts before `stop` ends at or before the tail: committed whole.
    while (head < stop && records < records_max) {
      const RecordHeader header = *buffer_.header_at(head);
      if (header.type == RecordType::kData) {
        if (!deliver(fn, std::span<const std::byte>(
                             buffer_.at(head) + kRecordHeaderBytes,
                             static_cast<std::size_t>(header.frame_bytes) - kRecordHeaderBytes))) {
          break;
        }
        ++records;
      }
      head += align_up(static_cast<std::size_t>(header.frame_bytes), kRecordAlignment);
    }
    // Release: our reads of the released bytes happen before the producer may overwrite them.
    consumer_.head.store(head, std::memory_order_release);
    return records;
  }

  // Consumer thread only: consume() left records it has seen committed (its budget ran out, or they lie in
  // the producer's cache line). Calling consume() again delivers them.
  bool holding_back() const { return consumer_.head.load(std::memory_order_relaxed) != consumer_.tail_cached; }

  // Any thread; a snapshot that may be stale by the time it returns. Not empty although consume() delivered
  // nothing: records were left in the producer's cache line (see consume()).
  bool empty() const {
    return consumer_.head.load(std::memory_order_acquire) == producer_.tail.load(std::memory_order_acquire);
  }

 private:
  static constexpr std::uint64_t line_start(std::uint64_t position) { return position & ~(kCacheLineBytes - 1); }

  struct alignas(kCacheLineBytes) ProducerFields {
    std::atomic<std::uint64_t> tail{0};  // end of the last committed record
    std::uint64_t head_cached = 0;       // the consumer's head as last seen
  };
  struct alignas(kCacheLineBytes) ConsumerFields {
    std::atomic<std::uint64_t> head{0};  // start of the first record not yet released
    std::uint64_t tail_cached = 0;       // the producer's tail as last seen
  };
  static_assert(sizeof(ProducerFields) == kCacheLineBytes, "producer fields fill exactly one cache line");
  static_assert(sizeof(ConsumerFields) == kCacheLineBytes, "consumer fields fill exactly one cache line");

  ProducerFields producer_;
  ConsumerFields consumer_;
  RingBuffer buffer_;
};

}  // namespace strata::ring
