// What a producer shares with the writer thread: its ring (or the shared MPSC ring), its acknowledgement
// slots, and the signal it sleeps on while waiting for acknowledgements.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "engine/wake_fds.h"
#include "ring/consumer_signal.h"
#include "ring/spsc_ring.h"
#include "ring/striped_mpsc_ring.h"
#include "strata/log.h"

namespace strata::detail {

class LogCore;

// How an append travels through a ring: this header, then the key, then the value (an event); or this
// header, then a u32 of encoded-headers bytes, the key, the value, the encoded headers (an event with
// headers); or this header, then a client's whole RecordBatch. A conditional append puts its Expected
// (u64) right after this header, before the rest. The common case stays 16 bytes.
// No timestamp: the writer stamps events when it frames them (see Writer::drain_rings).
struct RingRecordHeader {
  std::uint32_t partition;  // PartitionId: the partition's index among the log's partitions
  std::uint32_t key_bytes;  // plus the flags below
  std::uint64_t sequence;   // the producer's append number, for its acknowledgement slot

  static constexpr std::uint32_t kClientBatch = 1u << 31;
  static constexpr std::uint32_t kHasHeaders = 1u << 30;
  static constexpr std::uint32_t kConditional = 1u << 29;
  static constexpr std::uint32_t kKeyBytesMask = kConditional - 1;
};
static_assert(sizeof(RingRecordHeader) == 16);

// One per append in flight, reused every appends_in_flight_max appends. A small seqlock: the writer stores
// done = kSlotBusy, then offset (release), then done = sequence + 1 (release). A reader that loaded
// done == sequence + 1 (acquire) and then offset (acquire) re-reads done: if it changed, a newer append took
// the slot and the reader's ticket has expired.
struct AckSlot {
  std::atomic<std::uint64_t> done{0};
  std::atomic<std::uint64_t> offset{0};  // kFailedOffset when the append failed
};
inline constexpr std::uint64_t kFailedOffset = UINT64_MAX;  // and the two below it (partition_writer.h)
inline constexpr std::uint64_t kSlotBusy = UINT64_MAX;

// Writer thread: publishes the outcome of append `sequence`.
inline void publish_ack(AckSlot& slot, std::uint64_t sequence, std::uint64_t offset) {
  slot.done.store(kSlotBusy, std::memory_order_relaxed);
  slot.offset.store(offset, std::memory_order_release);
  slot.done.store(sequence + 1, std::memory_order_release);
}

// The writer thread that owns partition `partition` (a PartitionId, counted over the log) of `writers`.
inline unsigned owning_writer(std::uint32_t partition, unsigned writers) {
  return writers == 1 ? 0 : partition % writers;
}

// Appends acknowledged by one writer thread, on its own cache line (each writer counts its own).
struct alignas(64) AckCount {
  std::atomic<std::uint64_t> count{0};
};

// A producer has a ring per writer thread (LogOptions::writer_threads): a record goes into the ring of the
// writer that owns its partition, so each ring has exactly one consumer.
struct ProducerState {
  // One SPSC ring of `ring_bytes` per writer (producer()), or the log's shared rings (shared_producer()).
  ProducerState(std::shared_ptr<LogCore> owner, std::size_t ring_bytes, std::size_t slot_count,
                std::span<ring::StripedMpscRing* const> shared_rings, unsigned writers)
      : core(std::move(owner)),
        owned(shared_rings.empty()),
        writer_count(writers),
        mpsc(shared_rings.begin(), shared_rings.end()),
        slot_mask(slot_count - 1),
        slots(std::make_unique<AckSlot[]>(slot_count)),
        acknowledged(std::make_unique<AckCount[]>(writers)) {
    if (owned) {
      for (unsigned w = 0; w < writers; ++w) spsc.push_back(std::make_unique<ring::SpscRing>(ring_bytes));
    }
  }

  // Shared: a Producer used after its Log is gone still finds the (closed) core and answers kClosed.
  const std::shared_ptr<LogCore> core;
  const bool owned;  // producer(): one thread owns it (SPSC rings); false for shared_producer()
  const unsigned writer_count;
  std::vector<std::unique_ptr<ring::SpscRing>> spsc;  // producer(): one per writer
  const std::vector<ring::StripedMpscRing*> mpsc;     // shared_producer(): the log's, one per writer
  const std::uint64_t slot_mask;
  const std::unique_ptr<AckSlot[]> slots;
  std::atomic<std::uint64_t> next_sequence{0};
  std::uint64_t waited_through = 0;  // wait_all(): appends below this were checked (owner thread)
  ring::ConsumerSignal ack_signal;   // the writers notify after acknowledging
  WakeFds ack_fds;                   // and write to the eventfds of event loops waiting
  std::atomic<bool> closed{false};   // the Producer handle is gone; the writers drop the state once drained
  std::atomic<std::uint32_t> round_robin{0};  // the next partition for events without a key
  // Appends each writer acknowledged or failed (its own slot only).
  const std::unique_ptr<AckCount[]> acknowledged;
  // Appends the producer settled itself (failed at commit because the log closed); see Producer::commit.
  std::atomic<std::uint64_t> settled_by_producer{0};

  AckSlot& slot(std::uint64_t sequence) const { return slots[sequence & slot_mask]; }
  // The writer that owns `partition` (a PartitionId): whose ring carries its records.
  unsigned writer_of(std::uint32_t partition) const { return owning_writer(partition, writer_count); }

  // Writer thread `writer` only.
  void acknowledge(unsigned writer, std::uint64_t sequence, std::uint64_t offset) {
    publish_ack(slot(sequence), sequence, offset);
    std::atomic<std::uint64_t>& count = acknowledged[writer].count;
    count.store(count.load(std::memory_order_relaxed) + 1, std::memory_order_release);
  }
  // Any writer thread: appends made but not yet acknowledged (or failed) by any writer.
  std::uint64_t unacknowledged() const {
    std::uint64_t settled = settled_by_producer.load(std::memory_order_acquire);
    for (unsigned w = 0; w < writer_count; ++w) settled += acknowledged[w].count.load(std::memory_order_acquire);
    return next_sequence.load(std::memory_order_acquire) - settled;
  }
};

}  // namespace strata::detail
