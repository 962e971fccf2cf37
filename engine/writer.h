// A writer thread: LogOptions::writer_threads per log, each owning the partitions whose id % writer_threads
// is its index. It owns its io_uring (or the pwrite fallback) and is the only thread that touches its
// partitions' segment files for writing; it drains only its own ring of each producer. Each pass of its loop:
//   1. drains every producer ring in bounded batches, framing records into their topics' staging buffers
//      (rolling a topic to a new segment when the active one is full);
//   2. closes the open batches and submits O_DIRECT writes (several in flight per topic); under kSync, a pass
//      with one active partition and a small write makes that write and its fdatasync itself (pass_queue);
//   3. reaps completions, submits fdatasyncs as the durability calls for (greedy group commit in kSync);
//   4. acknowledges what is now written or synced, and wakes the producers waiting for it;
//   5. sleeps when there is nothing to do: on the ring signal when idle, on io_uring when I/O is in flight.
// Steps 2-4 visit only the active partitions (those with anything framed, unwritten, unacknowledged or, under
// sync and batch durability, unsynced), so that thousands of idle partitions cost a busy writer nothing; a
// flush or close visits all. Staging buffers are lent to partitions from the writer's StagingPool.
#pragma once

#include <future>
#include <memory>
#include <optional>
#include <vector>

#include "engine/log_core.h"
#include "engine/staging_pool.h"
#include "io/io_queue.h"

namespace strata::detail {

class Writer {
 public:
  Writer(LogCore& core, unsigned index) : core_(core), index_(index), stride_(core.writer_count()) {}
  // The thread's body. Reports through `started` whether the IO queue could be set up.
  void run(std::promise<Status>* started);

 private:
  struct DrainResult {
    bool drained_all = true;  // every ring was emptied within its budget
    bool held_back = false;   // a ring kept records in its producer's cache line: the next pass takes them
    std::size_t records = 0;
  };
  DrainResult drain_rings();
  template <typename Ring>
  void drain_ring(Ring& ring, ProducerState& producer, DrainResult* result);
  bool frame(ProducerState& producer, std::span<const std::byte> record);
  // Takes on the partitions of topics created since it last looked.
  void adopt_new_partitions();
  // Lists the partition as active (see above) unless it is.
  void activate(PartitionId id);
  // Drops the partitions that need nothing from the loop any more from the active list.
  void prune_active();
  // Calls fn(PartitionWriter&) for each active partition, or for every partition of this writer when `all`.
  template <typename Fn>
  void for_each_active(bool all, Fn&& fn) {
    if (all) return for_each_partition(fn);
    for (const PartitionId id : active_) fn(core_.partition_writer(id));
  }
  // Schedules the partitions' writes and syncs (none once the log failed), then submit_prepared().
  void schedule_io(bool urgent, bool force_sync);
  void schedule_partitions_io(bool urgent, bool force_sync);
  // The queue this pass's writes and syncs go to: inline_queue_ when DurabilityPolicy::syncs_inline_when_alone
  // applies (one active partition with little to write, nothing in flight on queue_, no flush or close
  // visiting every partition). schedule_partitions_io then zeroes that partition's file ahead of its data.
  io::IoQueue& pass_queue(bool force_sync);
  // Hands every prepared submission entry to the kernel, even once the log failed. The partitions count a
  // prepared write or sync as in flight, and the loop (and so close) waits for its completion: an entry
  // left unsubmitted because a later step of the same pass failed (a fallocate of another partition, or of
  // the same one's next write) was waited for for ever. A completion's retry is prepared in reap() and
  // submitted by the next pass's schedule_io.
  void submit_prepared();
  // Reaps both queues (inline_queue_'s completions are there at once), waiting up to `timeout` on queue_.
  std::size_t reap(std::chrono::microseconds timeout);
  std::size_t reap_queue(io::IoQueue& queue, std::chrono::microseconds timeout);
  void acknowledge();
  void roll(PartitionWriter& partition);
  // Rolls segments older than their topic's segment.ms and applies retention, at most once a second.
  void run_timed_upkeep();
  bool all_quiet();  // nothing unwritten, unsynced or in flight in any partition
  void drop_finished_producers();
  // Closes the files of partitions whose topic was deleted. Only when everything is quiet.
  void retire_deleted_partitions();
  bool rings_empty();
  // Calls fn(PartitionWriter&) for each partition this writer owns.
  template <typename Fn>
  void for_each_partition(Fn&& fn) {
    for (PartitionId id = index_; id < partition_count_; id += stride_) fn(core_.partition_writer(id));
  }

  LogCore& core_;
  const unsigned index_;   // this writer's
  const unsigned stride_;  // the number of writers
  std::uint64_t flush_done_ = 0;  // the last flush request this writer finished
  std::unique_ptr<io::IoQueue> queue_;
  // Writes and syncs made in this thread at submit (a pwrite queue), for a lone partition under `sync`; null
  // under other durabilities or when queue_ is itself the pwrite queue.
  std::unique_ptr<io::IoQueue> inline_queue_;
  std::optional<StagingPool> pool_;  // set up after queue_, gone before it
  std::vector<PartitionId> active_;  // this writer's active partitions, each once
  std::vector<bool> listed_;         // by PartitionId: in active_
  std::vector<std::shared_ptr<ProducerState>> producers_;
  std::uint64_t producers_version_ = ~0ull;
  std::vector<ProducerState*> touched_;
  std::uint64_t pass_ = 0;  // drain passes so far
  std::int64_t append_time_ms_ = 0;  // the timestamp of events framed in this drain pass (Kafka: ms)
  std::vector<io::Completion> completions_ = std::vector<io::Completion>(256);
  PartitionId partition_count_ = 0;  // partitions this writer has seen (its own and others')
  static constexpr std::chrono::seconds kUpkeepInterval{1};
  std::chrono::steady_clock::time_point next_upkeep_ = std::chrono::steady_clock::now() + kUpkeepInterval;
};

}  // namespace strata::detail
