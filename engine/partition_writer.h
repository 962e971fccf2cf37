// PartitionWriter: the writer thread's state for one partition of a topic: its active segment file, the
// staging buffer Kafka record batches are framed (or a client's batch copied) into, the writes and syncs in
// flight, the appends waiting for acknowledgement, and the idempotent producers' sequences.
//
// Positions are byte positions in the active segment file. Staging is a circular buffer keyed by position:
//
//   reclaimable | ... written ... | submitted (in flight) | framed, not yet written | open batch | free
//   ^ block-aligned below written_                        ^ submitted_            ^ fill_      ^ open_end()
//
// A write covers [round_down(submitted_), end). A write that ends in a partial block pads it with zeros; the
// next write starts at that block again and is not submitted until the padded one completed (two writes of
// one block in flight could land in either order). Batches follow each other with no gap (Kafka's format).
//
// Staging is lent by the writer's StagingPool while the partition has data to frame or write and handed
// back once it has been quiet a while; in between, only the partial last block's bytes are kept (tail_block_).
// It starts small for a topic of many partitions and grows, once quiet, when a record or client batch needs
// more. The segment file is preallocated in steps ahead of the writes that grow with them, so an idle
// partition reserves little disk (kPreallocateFirstBytes).
//
// Writer thread only, except the atomics in `stats`.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/durability_policy.h"
#include "engine/fifo.h"
#include "engine/format.h"
#include "engine/idempotence.h"
#include "engine/key_index.h"
#include "engine/producer_state.h"
#include "engine/recovery.h"
#include "engine/synced_marker.h"
#include "engine/live_topic_settings.h"
#include "engine/retention.h"
#include "engine/staging_pool.h"
#include "io/aligned_buffer.h"
#include "io/file.h"
#include "io/io_queue.h"
#include "ring/consumer_signal.h"
#include "strata/log.h"
#include "strata/metrics.h"

namespace strata::detail {

using PartitionId = std::uint32_t;  // a partition's index among all partitions of the log

struct PartitionConfig {
  DurabilityPolicy durability;
  // The topic's settings (compression of the batches the writer frames, segment size and age, retention,
  // timestamps), shared by its partitions and altered live by Log::set_topic_configs.
  std::shared_ptr<const LiveTopicSettings> settings;
  std::size_t staging_bytes;      // to begin with
  std::size_t staging_bytes_max;  // what growth may reach
  std::size_t write_bytes_max;
  std::size_t batch_bytes_max;
  bool direct_io;
  unsigned writer_threads;  // the partition belongs to writer id % writer_threads
  LatencyHistogram* fdatasync_seconds;  // the log's, for LogMetrics
  bool key_index = false;   // strata.key-index=true: the writer keeps the partition's KeyIndex
};

struct PartitionCounters {
  std::atomic<std::uint64_t> next_offset{0};
  std::atomic<std::uint64_t> durable_offset{0};  // offsets below are acknowledged
  std::atomic<std::uint64_t> written_offset{0};  // offsets below are written (maybe not synced)
  ring::ConsumerSignal visible_signal;           // notified when durable_offset or written_offset moves
  // Its topic was deleted (Log::delete_topic): the writer refuses its records and readers answer kNotFound.
  std::atomic<bool> deleted{false};
  std::atomic<std::uint64_t> segments{0};
  std::atomic<std::uint64_t> disk_bytes{0};
  std::atomic<std::uint64_t> writes{0};
  std::atomic<std::uint64_t> syncs{0};
  std::atomic<bool> staging_registered{false};  // staging is an io_uring fixed buffer
  // For LogMetrics: next_offset when the log was opened (set before the partition is published), and the
  // stored batch bytes appended since (written by the partition's writer thread only).
  std::uint64_t opened_next_offset = 0;
  std::atomic<std::uint64_t> bytes_appended{0};
};

// What user_data of an io_uring operation encodes.
struct IoTag {
  static constexpr std::uint64_t kSyncSlotBase = 0xfff0;  // slots at or above are syncs
  static bool is_sync(std::uint64_t slot) { return slot >= kSyncSlotBase; }
  static std::uint64_t encode(PartitionId partition, std::uint64_t slot) {
    return (std::uint64_t{partition} << 16) | slot;
  }
  static PartitionId partition(std::uint64_t user_data) { return static_cast<PartitionId>(user_data >> 16); }
  static std::uint64_t slot(std::uint64_t user_data) { return user_data & 0xffff; }
};

// Error outcomes an acknowledgement slot can carry instead of an offset (see ProducerState).
inline constexpr std::uint64_t kFencedOffset = UINT64_MAX - 2;
inline constexpr std::uint64_t kOutOfOrderOffset = UINT64_MAX - 1;
inline constexpr std::uint64_t kTopicDeletedOffset = UINT64_MAX - 3;
// A conditional append refused: this bit, plus the key's last offset + 1 (0: the key has no event).
// Offsets stay far below it; the outcomes above are checked first.
inline constexpr std::uint64_t kConflictBit = 1ull << 62;
inline std::uint64_t conflict_outcome(std::uint64_t last_offset) {
  return kConflictBit | (last_offset == kNoOffset ? 0 : last_offset + 1);
}
// What a conditional append expects of its key's last offset (Expected's encoding in the ring).
inline constexpr std::uint64_t kExpectAny = UINT64_MAX;
inline constexpr std::uint64_t kExpectNoEvent = UINT64_MAX - 1;

// The fsyncs opening partitions calls for (new segment files and their directories, resumed segments), made
// by the caller for many partitions at once (io::sync_paths) before any of them is used.
struct DeferredSyncs {
  std::vector<std::string> files;
  std::vector<std::string> directories;
  Status run() const;
};

class PartitionWriter {
 public:
  // Opens the partition's active segment (creating the first one, or the one after a sealed last segment).
  // The fsyncs that makes durable are added to `syncs`: the partition is not to be used before they ran.
  static Result<std::unique_ptr<PartitionWriter>> open(PartitionId id, std::string topic, std::uint32_t partition,
                                                       std::string dir, const PartitionConfig& config,
                                                       RecoveredPartition recovered, std::string* report,
                                                       DeferredSyncs* syncs);

  PartitionId id() const { return id_; }
  const std::string& topic() const { return topic_; }
  std::uint32_t partition() const { return partition_; }
  const std::string& dir() const { return dir_; }
  PartitionCounters& counters() { return counters_; }

  // ---- framing ----
  // True when a record of this size fits in staging now (false: write and reclaim first).
  bool has_room(std::size_t record_bytes_max) const;
  // True when the appends waiting for acknowledgement fill their queue (kPendingAcksMax): frame nothing more
  // into this partition until writes and syncs acknowledge some. The records wait in the producers' rings,
  // which then push back on the producers (kFull, or blocking). Progress is certain: the queue holds far
  // more appends than fit in the partial last block, so whole blocks are written, and under `batch`
  // durability a full queue makes a sync due at once.
  bool acks_full() const { return pending_acks_.full(); }
  // True when the record would not fit in the active segment: seal and roll first.
  bool needs_roll(std::size_t record_bytes_max) const;
  // True when staging is too small for a record of this size ever to fit: grow() once quiet.
  bool needs_growth(std::size_t record_bytes_max) const;
  // Whether grow() can run now; while false, keep driving I/O (request_growth() makes the partial tail's
  // write urgent, so that it comes).
  bool quiet_for_growth() const;
  void request_growth() { growth_requested_ = true; }
  // Replaces staging with one big enough for records of this size. REQUIRES: quiet_for_growth().
  Status grow(StagingPool& pool, std::size_t record_bytes_max);
  // Frames one record, stamped `timestamp_ms`, into the open batch (opening one if needed). With a key
  // index, `expected` (kExpectAny, kExpectNoEvent or an offset) is checked against the key's last offset
  // first: a mismatch stores nothing and answers the append with conflict_outcome().
  // REQUIRES: has_room(), !acks_full(), !needs_roll().
  void append(std::uint64_t sequence, std::int64_t timestamp_ms, std::span<const std::byte> key,
              std::span<const std::byte> value, std::span<const std::byte> encoded_headers,
              ProducerState* producer, std::uint64_t expected = kExpectAny);
  // Stores a client's batch (already validated by the producer) after the idempotence check, or answers
  // it as a duplicate or a refusal. REQUIRES: has_room(batch.size()), !acks_full(), !needs_roll(batch.size()).
  // `append_time_ms` stamps it when the topic's message.timestamp.type is LogAppendTime.
  void append_client_batch(std::uint64_t sequence, std::span<const std::byte> batch, ProducerState* producer,
                           std::int64_t append_time_ms);
  // Closes the open batch, if any: header and CRC written (compressed if configured), ready to be written.
  void close_batch();

  // ---- staging, lent by the writer's pool ----
  bool has_staging() const { return !staging_.empty(); }
  // Borrows staging from the pool and puts the partial last block back into it. Before framing into a
  // partition that has none. REQUIRES: !has_staging().
  Status take_staging(StagingPool& pool);
  // Hands staging back to the pool if the partition is quiet (everything framed is written, nothing in
  // flight) and framed nothing since the previous call; true when it did. The writer calls it about once a
  // second, so a partition keeps its staging while it is busy.
  bool return_staging_if_idle(StagingPool& pool);

  // ---- I/O ----
  // Submits writes for framed data. `urgent`: also write a partial tail block now. Preallocates the
  // segment file ahead of them.
  Status schedule_writes(io::IoQueue& queue, bool urgent);
  // Submits an fdatasync when the durability calls for one (or `force`), and none is in flight.
  Status schedule_sync(io::IoQueue& queue, std::chrono::steady_clock::time_point now, bool force);
  // Handles one completion of this partition. An error is the log's failure (never retried for syncs).
  Status on_completion(io::IoQueue& queue, std::uint64_t slot, std::int32_t result);

  // Acknowledges every append covered by what is written (kNone) or synced; records each producer touched.
  // True when the offsets readers may see moved.
  bool acknowledge(std::vector<ProducerState*>* touched);
  // Fails every append not yet acknowledged (the log failed).
  void fail_pending(std::vector<ProducerState*>* touched);

  // Writes zeros, synced, over the allocated blocks just ahead of the data when fewer than 128 KiB of them
  // are written yet. An fdatasync after a write into fallocated, never written blocks also commits their
  // conversion to the journal; into written blocks it is a cache flush alone. For the writer's inline passes
  // under `sync` (Writer::pass_queue), which wait for each sync. REQUIRES: no write of this partition in flight.
  Status zero_ahead();
  bool has_unwritten() const { return batch_open_ || submitted_ < fill_; }
  std::uint64_t unwritten_bytes() const { return fill_ - submitted_; }  // framed in closed batches, not yet written
  // The writer's pass number that last framed into this partition (Writer::schedule_io's tail deferral).
  std::uint64_t framed_pass() const { return framed_pass_; }
  void set_framed_pass(std::uint64_t pass) { framed_pass_ = pass; }
  bool has_unsynced() const { return synced_ < fill_ || batch_open_; }
  bool io_in_flight() const { return writes_in_flight_ > 0 || syncs_in_flight_ > 0; }
  bool has_pending_acks() const { return !pending_acks_.empty(); }
  std::uint64_t log_start_offset() const { return log_start_offset_.load(std::memory_order_acquire); }
  // The partition's key index, or null when its topic has none. Lives as long as the PartitionWriter.
  KeyIndex* key_index() const { return keys_.get(); }

  // ---- deletion ----
  // Closes the active segment file of a deleted, quiet partition, so that the removal of its directory
  // frees the disk space. The object stays (partition ids are never reused) and is inert from then on: the
  // writer frames nothing more into it; its staging goes back to `pool`. REQUIRES: counters().deleted,
  // nothing unwritten, unsynced, in flight or waiting for acknowledgement.
  void retire(StagingPool& pool);
  bool retired() const { return retired_; }

  // ---- timed upkeep (the writer calls it about once a second) ----
  // True when the active segment holds data and is older than the topic's segment.ms: seal and roll it.
  bool segment_age_due(std::int64_t now_us) const;
  // Deletes sealed segments the topic's retention no longer keeps (not only when a segment seals: an idle
  // partition's old segments go too). Writer thread.
  Status apply_retention_now(std::int64_t now_us);

  // ---- rolling ----
  // Closes the open batch. Then the caller drives I/O until !has_unsynced() && !io_in_flight().
  void begin_seal();
  // Writes the index (which seals the segment), makes it read-only, applies retention and opens the next.
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
  // Appends framed and not yet acknowledged, per partition: four producers' worth of the default
  // appends_in_flight_max (65536), 6 MiB at most. Each pending batch holds at least one of them.
  static constexpr std::size_t kPendingAcksMax = 1u << 18;
  static constexpr std::uint32_t kWriteRetriesMax = 16;

  PartitionWriter(PartitionId id, std::string topic, std::uint32_t partition, std::string dir,
                  const PartitionConfig& config);
  // Opens (creating) and preallocates a segment file; fails if its direct-IO alignment exceeds block_bytes_.
  Result<io::File> open_segment_file(const std::string& path) const;
  // Without `syncs`, syncs the new file and its directory at once.
  Status open_segment(std::uint64_t base_offset, DeferredSyncs* syncs = nullptr);
  Status resume_segment(const SegmentInfo& active, DeferredSyncs* syncs);
  Status submit_write(io::IoQueue& queue, std::size_t slot);
  // Makes the file at least `end` long (allocated), in steps that grow with the segment.
  Status preallocate_through(std::uint64_t end);
  void push_ack(ProducerState* producer, std::uint64_t sequence, std::uint64_t offset);
  // The writer thread is the only one adding: a plain load and store, no locked instruction.
  void add_appended_bytes(std::uint64_t bytes) {
    counters_.bytes_appended.store(counters_.bytes_appended.load(std::memory_order_relaxed) + bytes,
                                   std::memory_order_relaxed);
  }
  // Queues a sync of the data up to `target` in a free slot: plain, or linked to the operation just queued.
  bool queue_sync(io::IoQueue& queue, std::uint64_t target, bool linked);
  Status on_sync_completion(std::size_t sync_slot, std::int32_t result);
  std::uint64_t open_end() const { return batch_open_ ? batch_end_ : fill_; }
  std::uint64_t segment_bytes() const { return config_.settings->segment_bytes.load(std::memory_order_relaxed); }
  static std::uint64_t round_down(std::uint64_t position) { return io::round_down_to_block(position); }
  static std::uint64_t round_up(std::uint64_t position) { return io::round_up_to_block(position); }
  // The staging address of file position `position`. REQUIRES: has_staging().
  std::byte* staging_at(std::uint64_t position) const { return staging_.memory.at(position); }
  std::size_t staging_size() const { return staging_.memory.size(); }
  void set_staging(StagingPool::Buffer buffer);
  void advance_written();
  // Answers an append without storing it, once everything framed before it is acknowledged.
  void answer_without_storing(ProducerState* producer, std::uint64_t sequence, std::uint64_t outcome);
  // The key index's writer lock, held from a batch's first record to its close.
  void lock_keys() {
    if (!keys_locked_) keys_->mutex().lock();
    keys_locked_ = true;
  }
  void unlock_keys() {
    if (keys_locked_) keys_->mutex().unlock();
    keys_locked_ = false;
  }
  // Key index: the client batch's keys recorded, after its strata.expected-offset headers are checked
  // against the index (all or nothing). False (and `*conflict` the failing key's last offset) when one fails.
  bool index_client_batch(std::span<const std::byte> batch, const format::BatchHeader& header,
                          std::uint64_t* conflict);

  const PartitionId id_;
  const unsigned writer_;  // the writer thread that owns this partition
  const std::string topic_;
  const std::uint32_t partition_;
  const std::string dir_;
  const PartitionConfig config_;
  StagingPool::Buffer staging_;  // empty while the partition is idle
  std::size_t staging_bytes_;     // the size it borrows: config_.staging_bytes, or more after grow()
  // While staging is back in the pool: the block holding fill_ when fill_ is not block-aligned (the next
  // write rewrites it from its start). Empty otherwise.
  io::AlignedBuffer tail_block_;  // aligned: resume_segment() reads it with O_DIRECT
  bool framed_since_upkeep_ = false;  // see return_staging_if_idle()
  std::uint64_t framed_pass_ = 0;
  bool retired_ = false;
  bool growth_requested_ = false;  // a record waits for bigger staging: write the partial tail now
  std::uint64_t preallocated_ = 0;  // the active segment file is allocated up to here
  std::uint64_t zeroed_ = 0;        // and its blocks hold data or zeros (written, not just allocated) up to here
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
  std::int64_t batch_timestamp_ms_ = 0;
  std::int32_t batch_records_ = 0;
  std::size_t batch_acks_ = 0;

  std::uint64_t fill_ = 0;       // end of closed batches
  std::uint64_t submitted_ = 0;  // data covered by submitted writes
  std::uint64_t written_ = 0;    // data covered by completed writes, in order
  std::uint64_t synced_ = 0;     // data covered by a completed fdatasync
  // Syncs in flight, by slot, each with the data it covers (what was written when it was submitted): as many
  // as the durability allows (DurabilityPolicy::syncs_in_flight_max).
  static constexpr std::size_t kSyncsInFlightMax = DurabilityPolicy::kSyncsInFlightMax;
  std::uint64_t sync_targets_[kSyncsInFlightMax] = {};
  std::chrono::steady_clock::time_point sync_started_[kSyncsInFlightMax] = {};
  bool sync_slot_busy_[kSyncsInFlightMax] = {};
  bool sync_linked_[kSyncsInFlightMax] = {};  // linked to a write: runs only if that write completed in full
  std::size_t syncs_in_flight_ = 0;
  std::uint64_t sync_requested_ = 0;  // the largest target submitted
  // When the last sync was submitted (or the writer opened): `batch` durability's interval counts from it.
  std::chrono::steady_clock::time_point last_sync_ = std::chrono::steady_clock::now();

  Write writes_[kWritesInFlightMax];
  std::size_t writes_head_ = 0;  // oldest write in flight
  std::size_t writes_in_flight_ = 0;
  bool tail_write_in_flight_ = false;

  std::vector<std::byte> compress_scratch_;
  ProducerSequences sequences_;
  SyncedMarker synced_marker_;  // what is fdatasynced, for readers in other processes
  std::atomic<std::uint64_t> log_start_offset_{0};
  // Small to begin with (an idle partition costs little); they double as appends come.
  Fifo<PendingAck> pending_acks_{16, kPendingAcksMax};
  Fifo<PendingBatch> pending_batches_{16, kPendingAcksMax};

  // Sparse index of the active segment, and its newest timestamp.
  std::vector<format::IndexEntry> index_;
  std::uint64_t last_indexed_position_ = 0;
  std::int64_t max_timestamp_us_ = 0;
  std::int64_t segment_opened_us_ = 0;  // wall clock when the active segment was opened (or resumed)

  std::unique_ptr<KeyIndex> keys_;  // strata.key-index=true only
  bool keys_locked_ = false;
  struct BatchKey {
    std::uint64_t offset;
    std::uint64_t hash;
    bool keyed;
  };
  std::vector<BatchKey> batch_keys_;  // index_client_batch()'s scratch
  std::vector<std::byte> batch_scratch_;

  PartitionCounters counters_;
};

}  // namespace strata::detail
