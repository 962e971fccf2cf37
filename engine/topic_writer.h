// TopicWriter: the writer thread's state for one topic: its active segment file, the staging buffer records
// are framed into, the writes and the sync in flight, and the appends waiting for acknowledgement.
//
// Positions are byte positions in the active segment file. Staging is a circular buffer keyed by position:
//
//   reclaimable | ... written ... | submitted (in flight) | framed, not yet written | open batch | free
//   ^ block-aligned below written_                        ^ submitted_            ^ fill_      ^ open_end()
//
// A write covers [round_down(submitted_), end). A write that ends in a partial block pads it with zeros; the
// next write starts at that block again and is not submitted until the padded one completed (two writes of
// one block in flight could land in either order).
//
// Writer thread only, except the atomics in `stats`.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/fifo.h"
#include "engine/format.h"
#include "engine/producer_state.h"
#include "engine/recovery.h"
#include "engine/retention.h"
#include "io/aligned_buffer.h"
#include "io/file.h"
#include "io/io_queue.h"
#include "io/mirrored_buffer.h"
#include "ring/consumer_signal.h"
#include "strata/log.h"

namespace strata::detail {

struct TopicConfig {
  Durability durability;
  std::uint64_t segment_bytes;
  std::size_t staging_bytes;
  std::size_t write_bytes_max;
  std::size_t batch_bytes_max;
  std::uint64_t batch_sync_bytes;
  std::chrono::microseconds batch_sync_interval;
  bool direct_io;
  RetentionPolicy retention;
};

struct TopicCounters {
  std::atomic<std::uint64_t> next_offset{0};
  std::atomic<std::uint64_t> durable_offset{0};  // offsets below are acknowledged
  std::atomic<std::uint64_t> written_offset{0};  // offsets below are written (maybe not synced)
  ring::ConsumerSignal visible_signal;           // notified when durable_offset or written_offset moves
  std::atomic<std::uint64_t> segments{0};
  std::atomic<std::uint64_t> disk_bytes{0};
  std::atomic<std::uint64_t> writes{0};
  std::atomic<std::uint64_t> syncs{0};
  std::atomic<bool> staging_registered{false};  // staging is an io_uring fixed buffer
};

// What user_data of an io_uring operation encodes.
struct IoTag {
  static constexpr std::uint64_t kSyncSlotBase = 0xfff0;  // slots at or above are syncs
  static bool is_sync(std::uint64_t slot) { return slot >= kSyncSlotBase; }
  static std::uint64_t encode(TopicId topic, std::uint64_t slot) {
    return (std::uint64_t{topic} << 16) | slot;
  }
  static TopicId topic(std::uint64_t user_data) { return static_cast<TopicId>(user_data >> 16); }
  static std::uint64_t slot(std::uint64_t user_data) { return user_data & 0xffff; }
};

class TopicWriter {
 public:
  // Opens the topic's active segment (creating the first one, or the one after a sealed last segment).
  static Result<std::unique_ptr<TopicWriter>> open(TopicId id, std::string name, std::string dir,
                                                   const TopicConfig& config,
                                                   const RecoveredTopic& recovered);

  const std::string& name() const { return name_; }
  TopicCounters& counters() { return counters_; }

  // ---- framing ----
  // True when a record of this size fits in staging now (false: write and reclaim first).
  bool has_room(std::size_t record_bytes_max) const;
  // True when the record would not fit in the active segment: seal and roll first.
  bool needs_roll(std::size_t record_bytes_max) const;
  // Frames one record, stamped `timestamp_us`, into the open batch (opening one if needed).
  // REQUIRES: has_room(), !needs_roll().
  void append(const RingRecordHeader& header, std::int64_t timestamp_us, std::span<const std::byte> key,
              std::span<const std::byte> value, ProducerState* producer);
  // Closes the open batch, if any: header and checksum written, ready to be written out.
  void close_batch();

  // ---- I/O ----
  // Registers the staging buffer with the queue (fixed buffer `id`) when the queue can. Writer thread.
  void register_staging(io::IoQueue& queue) {
    staging_registered_ = queue.register_buffer(id_, staging_.mapped());
    counters_.staging_registered.store(staging_registered_, std::memory_order_relaxed);
  }
  // Submits writes for framed data. `urgent`: also write a partial tail block now.
  void schedule_writes(io::IoQueue& queue, bool urgent);
  // Submits an fdatasync when the durability calls for one (or `force`), and none is in flight.
  void schedule_sync(io::IoQueue& queue, std::chrono::steady_clock::time_point now, bool force);
  // Handles one completion of this topic. An error is the log's failure (never retried for syncs).
  Status on_completion(io::IoQueue& queue, std::uint64_t slot, std::int32_t result);

  // Acknowledges every append covered by what is written (kNone) or synced; records each producer touched.
  void acknowledge(std::vector<ProducerState*>* touched);
  // Fails every append not yet acknowledged (the log failed).
  void fail_pending(std::vector<ProducerState*>* touched);

  bool has_unwritten() const { return batch_open_ || submitted_ < fill_; }
  bool has_unsynced() const { return synced_ < fill_ || batch_open_; }
  bool io_in_flight() const { return writes_in_flight_ > 0 || syncs_in_flight_ > 0; }
  bool has_pending_acks() const { return !pending_acks_.empty(); }

  // ---- rolling ----
  // Appends the seal batch. Then the caller drives I/O until !has_unsynced() && !io_in_flight().
  void begin_seal();
  // Writes the index, makes the segment read-only, applies retention and opens the next one.
  // REQUIRES: everything synced.
  Status finish_seal();

 private:
  struct Write {
    std::uint64_t begin = 0;     // block-aligned file position
    std::uint64_t end = 0;       // block-aligned
    std::uint64_t data_end = 0;  // end of real data (< end when the last block is padded)
    std::uint32_t retries = 0;
    bool done = false;
  };
  struct PendingAck {
    ProducerState* producer;
    std::uint64_t sequence;
    std::uint64_t offset;
  };
  struct PendingBatch {
    std::uint64_t end;  // file position after the batch
    std::uint64_t next_offset;
    std::size_t acks;  // appends of this batch in pending_acks_
  };
  static constexpr std::size_t kWritesInFlightMax = 8;
  static constexpr std::uint32_t kWriteRetriesMax = 16;

  TopicWriter(TopicId id, std::string name, std::string dir, const TopicConfig& config,
              io::MirroredBuffer staging);
  // Opens (creating) and preallocates a segment file; fails if its direct-IO alignment exceeds block_bytes_.
  Result<io::File> open_segment_file(const std::string& path) const;
  Status open_segment(std::uint64_t base_offset);
  Status resume_segment(const SegmentInfo& active);
  void submit_write(io::IoQueue& queue, std::size_t slot);
  // Queues a sync of the data up to `target` in a free slot: plain, or linked to the operation just queued.
  bool queue_sync(io::IoQueue& queue, std::uint64_t target, bool linked);
  Status on_sync_completion(std::size_t sync_slot, std::int32_t result);
  std::uint64_t open_end() const { return batch_open_ ? batch_end_ : fill_; }
  std::uint64_t round_down(std::uint64_t position) const { return position & ~(block_bytes_ - 1); }
  std::uint64_t round_up(std::uint64_t position) const { return round_down(position + block_bytes_ - 1); }
  void advance_written();

  const TopicId id_;
  const std::string name_;
  const std::string dir_;
  const TopicConfig config_;
  io::MirroredBuffer staging_;
  bool staging_registered_ = false;
  // Writes are whole blocks of this size; open() checks the file asks for no coarser alignment.
  static constexpr std::uint64_t block_bytes_ = io::kDirectIoAlignment;

  io::File file_;
  std::uint64_t segment_base_ = 0;
  std::uint64_t next_offset_ = 0;

  // The open batch.
  bool batch_open_ = false;
  std::uint64_t batch_start_ = 0;
  std::uint64_t batch_end_ = 0;
  std::uint64_t batch_base_offset_ = 0;
  std::int64_t batch_base_timestamp_us_ = 0;
  std::uint32_t batch_records_ = 0;
  std::size_t batch_acks_ = 0;

  std::uint64_t fill_ = 0;       // end of closed batches
  std::uint64_t submitted_ = 0;  // data covered by submitted writes
  std::uint64_t written_ = 0;    // data covered by completed writes, in order
  std::uint64_t synced_ = 0;     // data covered by a completed fdatasync
  // Syncs in flight, by slot, each with the data it covers (what was written when it was submitted). With
  // `sync` durability up to kSyncsInFlightMax overlap (see schedule_sync); otherwise one at a time.
  static constexpr std::size_t kSyncsInFlightMax = 4;
  std::uint64_t sync_targets_[kSyncsInFlightMax] = {};
  bool sync_slot_busy_[kSyncsInFlightMax] = {};
  bool sync_linked_[kSyncsInFlightMax] = {};  // linked to a write: runs only if that write completed in full
  std::size_t syncs_in_flight_ = 0;
  std::uint64_t sync_requested_ = 0;  // the largest target submitted
  std::chrono::steady_clock::time_point last_sync_{};

  Write writes_[kWritesInFlightMax];
  std::size_t writes_head_ = 0;  // oldest write in flight
  std::size_t writes_in_flight_ = 0;
  bool tail_write_in_flight_ = false;

  Fifo<PendingAck> pending_acks_;
  Fifo<PendingBatch> pending_batches_;

  // Sparse index of the active segment, and its newest timestamp.
  std::vector<format::IndexEntry> index_;
  std::uint64_t last_indexed_position_ = 0;
  std::int64_t max_timestamp_us_ = 0;

  TopicCounters counters_;
};

}  // namespace strata::detail
