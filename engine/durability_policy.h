// What each Durability asks of the writer, in one place: when an fdatasync is due and how many may overlap,
// whether a lone write takes its sync along, what an acknowledgement waits for, and how long an idle writer
// may sleep. A new mode is added here, in durability.cc (its name) and in strata/durability.h.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>

#include "strata/durability.h"

namespace strata::detail {

class DurabilityPolicy {
 public:
  DurabilityPolicy(Durability mode, std::uint64_t batch_sync_bytes, std::chrono::microseconds batch_sync_interval)
      : mode_(mode), batch_sync_bytes_(batch_sync_bytes), batch_sync_interval_(batch_sync_interval) {}

  Durability mode() const { return mode_; }

  // Acknowledgements wait for the fdatasync that covers the data (else only for its write).
  bool acks_wait_for_sync() const { return mode_ != Durability::kNone; }

  // Whether a write that is the only one in flight takes an fdatasync linked to it: the kernel starts the
  // sync when the write lands, instead of the writer a wake-up later.
  bool links_sync_to_lone_write() const { return mode_ == Durability::kSync; }

  // Whether a pass whose only active partition has nothing in flight on io_uring, and at most
  // kInlineWriteBytesMax to write, makes that write and its fdatasync in the writer thread itself (pwrite +
  // fdatasync), as a plain group commit does. Under `sync` on a 2-core VM this measured ack p50 203-226 us
  // against 305-350 us through io_uring (strata bench durable, 16 producers): io_uring runs an fdatasync on a
  // worker thread (io-wq), and its completion waits for the writer to enter the ring, two more hand-offs per
  // sync. With more partitions active, io_uring overlaps their writes and syncs (one sync at a time each:
  // ingest at 100 partitions under `sync`, 3.9 M events/s through io_uring, 0.8 M all in the writer thread).
  // A bigger write goes through io_uring too, so that the writer frames the next records while it lands
  // (ingest under `sync` at one partition: 8.2-9.2 M events/s with every write inline, 12.8-14.3 M through
  // io_uring).
  bool syncs_inline_when_alone() const { return mode_ == Durability::kSync; }
  static constexpr std::uint64_t kInlineWriteBytesMax = 64u << 10;

  // Whether a partition's partial last block waits (is not written padded) while records keep coming into it
  // pass after pass: its block fills and is written whole, instead of a padded 4 KiB write per partition per
  // pass (1,000 busy partitions: one padded write each per pass). The tail is written in the first pass that
  // frames nothing new into it, so a producer waiting for it waits one pass more. Not under `sync`, where
  // producers wait for every append and group commit wants the tail written at once.
  bool defers_busy_tails() const { return mode_ != Durability::kSync; }
  // Syncs of one partition that may be in flight at once. `sync`: greedy group commit, overlapped — a sync
  // starts as soon as anything was written since the last one started, without waiting for it to finish
  // (waiting left data whose write completed just after a sync started to wait for that sync and the next:
  // ack p99 2.1-3.2x the device's write+fdatasync p99; concurrent fdatasyncs share the device's cache
  // flushes). Otherwise one at a time.
  std::size_t syncs_in_flight_max() const { return mode_ == Durability::kSync ? kSyncsInFlightMax : 1; }
  static constexpr std::size_t kSyncsInFlightMax = 4;

  // Whether an fdatasync of what is written but not yet synced is due now. `acks_full`: the partition's
  // acknowledgement queue is full, and its producers wait for room in it (under `batch`, a sync then).
  bool sync_due(std::uint64_t unsynced_bytes, std::chrono::steady_clock::duration since_last_sync,
                bool acks_full) const {
    switch (mode_) {
      case Durability::kSync:
        return true;
      case Durability::kBatch:
        return unsynced_bytes >= batch_sync_bytes_ || since_last_sync >= batch_sync_interval_ || acks_full;
      case Durability::kNone:
        return false;
    }
    return false;
  }

  // How long an idle writer may sleep (at most `longest`) before it must look at its partitions again:
  // under `batch`, an interval's sync may fall due while nothing else happens.
  std::chrono::microseconds idle_sleep(std::chrono::microseconds longest) const {
    return mode_ == Durability::kBatch ? std::min(longest, batch_sync_interval_) : longest;
  }

 private:
  Durability mode_;
  std::uint64_t batch_sync_bytes_;
  std::chrono::microseconds batch_sync_interval_;
};

}  // namespace strata::detail
