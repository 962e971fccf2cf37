// A writer thread: LogOptions::writer_threads per log, each owning the partitions whose id % writer_threads
// is its index. It owns its io_uring (or the pwrite fallback) and is the only thread that touches its
// partitions' segment files for writing; it drains only its own ring of each producer. Each pass of its loop:
//   1. drains every producer ring in bounded batches, framing records into their topics' staging buffers
//      (rolling a topic to a new segment when the active one is full);
//   2. closes the open batches and submits O_DIRECT writes (several in flight per topic);
//   3. reaps completions, submits fdatasyncs as the durability calls for (greedy group commit in kSync);
//   4. acknowledges what is now written or synced, and wakes the producers waiting for it;
//   5. sleeps when there is nothing to do: on the ring signal when idle, on io_uring when I/O is in flight.
#pragma once

#include <future>
#include <memory>
#include <vector>

#include "engine/log_core.h"
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
    std::size_t records = 0;
  };
  DrainResult drain_rings();
  template <typename Ring>
  void drain_ring(Ring& ring, ProducerState& producer, DrainResult* result);
  bool frame(ProducerState& producer, std::span<const std::byte> record);
  // Takes on the partitions of topics created since it last looked: registers the staging of its own ones.
  void adopt_new_partitions();
  void schedule_io(bool urgent, bool force_sync);
  std::size_t reap(std::chrono::microseconds timeout);
  void acknowledge();
  void roll(PartitionWriter& partition);
  bool all_quiet();  // nothing unwritten, unsynced or in flight in any topic
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
  std::vector<std::shared_ptr<ProducerState>> producers_;
  std::uint64_t producers_version_ = ~0ull;
  std::vector<ProducerState*> touched_;
  std::int64_t append_time_ms_ = 0;  // the timestamp of events framed in this drain pass (Kafka: ms)
  std::vector<io::Completion> completions_ = std::vector<io::Completion>(256);
  PartitionId partition_count_ = 0;  // partitions this writer has seen (its own and others')
};

}  // namespace strata::detail
