// LogCore: everything a Log owns — the directory lock, topics and their partitions, producers, the shared
// ring, the producer-id allocator and the writer thread — and what producers and the writer need from each
// other. Internal; the public face is strata/log.h. Held by shared_ptr: producers and readers keep it alive
// (closed) after the Log is gone, so a late call answers kClosed instead of touching freed memory.
#pragma once

#include <array>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "engine/cleaner.h"
#include "engine/durability_policy.h"
#include "engine/live_topic_settings.h"
#include "engine/producer_state.h"
#include "engine/partition_writer.h"
#include "strata/file_lock.h"
#include "ring/consumer_signal.h"
#include "ring/striped_mpsc_ring.h"
#include "strata/log.h"

namespace strata::detail {

inline constexpr std::size_t kTopicsMax = 4096;
inline constexpr std::size_t kLogPartitionsMax = 65536;  // all topics together
// The largest client batch append_batch() takes (Kafka's default message.max.bytes is 1 MiB).
inline constexpr std::size_t kClientBatchBytesMax = 16u << 20;
// The largest batch the writer frames for a key-indexed topic: reading one key's event reads (and CRC-checks)
// its whole batch and decodes the records before it, so batches stay small there (1 MiB otherwise: 100
// events in 1 MiB batches are ~100 MB to check; in 16 KiB ones, 1.6 MB).
inline constexpr std::size_t kKeyIndexedBatchBytesMax = 16u << 10;

// What producers need of a topic, published before topic_count() covers it.
//
// Partition p's id in the log is first_partition + p for the partitions the topic was created (or opened)
// with; partitions added later (LogCore::increase_partitions) took the next free ids, listed in added_ids.
struct TopicEntry {
  // info.configs, info.compression and info.partitions change under topics_mutex_ (set_topic_configs,
  // increase_partitions); read them under it. Producers read the count with partition_count().
  TopicInfo info;
  PartitionId first_partition = 0;
  std::uint32_t initial_partitions = 0;
  std::atomic<std::uint32_t> partitions{0};
  // Ids of partitions initial_partitions and up; a table replaced (never freed before the log) on growth.
  std::atomic<const PartitionId*> added_ids{nullptr};
  std::shared_ptr<LiveTopicSettings> settings;  // what info.configs resolve to, read lock-free

  // Any thread: the partitions producers may append to (published after their writers exist).
  std::uint32_t partition_count() const { return partitions.load(std::memory_order_acquire); }
  // REQUIRES: p < partition_count().
  PartitionId partition_id(std::uint32_t p) const {
    if (p < initial_partitions) [[likely]] return first_partition + p;
    return added_ids.load(std::memory_order_acquire)[p - initial_partitions];
  }
};

class LogCore : public std::enable_shared_from_this<LogCore> {
 public:
  static Result<std::shared_ptr<LogCore>> open(LogOptions options);
  ~LogCore();

  Result<TopicId> topic(std::string_view name, const TopicOptions& options);
  Result<TopicId> find_topic(std::string_view name) const;
  // See Log::delete_topic.
  Status delete_topic(std::string_view name);
  // See Log::set_topic_configs.
  Status set_topic_configs(std::string_view name, TopicConfigs configs);
  // See Log::increase_partitions.
  Status increase_partitions(std::string_view name, std::uint32_t partitions);
  // See Log::compact.
  Result<CompactionStats> compact(std::string_view name);
  // Whether segment files are written with O_DIRECT (false: the filesystem refused it).
  bool direct_io() const { return direct_io_; }
  // A copy of the topic's metadata, taken under the topics lock (its configs may be altered meanwhile).
  TopicInfo topic_info(TopicId topic) const;
  // Any thread. True once delete_topic() began for this id (ids are never reused).
  bool topic_deleted(TopicId topic) const { return topic_deleted_[topic].load(std::memory_order_acquire); }
  std::shared_ptr<ProducerState> new_producer(bool shared);
  Result<ProducerIdentity> allocate_producer_id();
  // REQUIRES: topic < topic_count().
  const TopicEntry& topic_entry(TopicId topic) const { return topics_[topic]; }
  std::vector<TopicInfo> topic_infos() const;
  // The largest event (record bytes) or client batch an append may carry.
  std::size_t event_bytes_max() const { return event_bytes_max_; }
  Status flush();
  Status close();
  LogStats stats() const;
  // Every live partition's counters and the fdatasync histogram (engine/metrics.cc); groups left empty.
  LogMetrics metrics() const;
  const LogOptions& options() const { return options_; }
  DurabilityPolicy durability_policy() const {
    return {options_.durability, options_.batch_sync_bytes, options_.batch_sync_interval};
  }

  // ---- for producers (any thread) ----
  bool accepting() const {
    return !closing_.load(std::memory_order_acquire) && !failed_.load(std::memory_order_acquire);
  }
  TopicId topic_count() const { return topic_count_.load(std::memory_order_acquire); }
  void wake_writer(unsigned writer) { writers_[writer].signal.notify(); }
  Status failure() const;

  PartitionId partition_count() const { return partition_count_.load(std::memory_order_acquire); }

  // ---- for the writer threads ----
  unsigned writer_count() const { return static_cast<unsigned>(writers_.size()); }
  PartitionWriter& partition_writer(PartitionId id) { return *partitions_[id]; }
  ring::StripedMpscRing& shared_ring(unsigned writer) { return writers_[writer].shared_ring; }
  ProducerState& shared_state() { return *shared_state_; }
  ring::ConsumerSignal& writer_signal(unsigned writer) { return writers_[writer].signal; }
  // Notified when what readers may see moved in any partition (Reader::wait_any over several partitions).
  ring::ConsumerSignal& visible_signal() { return visible_signal_; }
  WakeFds& visible_fds() { return visible_fds_; }  // written to when visible_signal is notified
  // Snapshot of the per-thread producers if it changed since `*version`.
  bool producers_changed(std::uint64_t* version, std::vector<std::shared_ptr<ProducerState>>* out);
  void forget_producer(const ProducerState* state);
  void fail(Status status);
  bool failed() const { return failed_.load(std::memory_order_acquire); }
  bool closing() const { return closing_.load(std::memory_order_acquire); }
  std::uint64_t flush_requested() const { return flush_requested_.load(std::memory_order_acquire); }
  // Writer `writer` has written and synced everything appended before flush request `epoch`.
  void flush_done(unsigned writer, std::uint64_t epoch);
  void set_io_description(std::string description);

 private:
  explicit LogCore(LogOptions options);
  Status open_directory();
  Status refuse_format1() const;
  Status recover_topics();
  Status load_producer_ids();
  // REQUIRES: topics_mutex_ held.
  Result<TopicId> add_topic(TopicInfo info);
  // The live topic `name` for set_topic_configs or increase_partitions: kNotFound, or the log's failure
  // when it no longer accepts changes. REQUIRES: topics_mutex_ held.
  Result<TopicEntry*> topic_to_change(std::string_view name);
  // Recovers (or creates) the directories of partitions [from, to) of `info` and opens their writers at ids
  // first_id and up. REQUIRES: topics_mutex_ held; the ids are below kLogPartitionsMax.
  Status open_partitions(const TopicInfo& info, const PartitionConfig& config, std::uint32_t from,
                         std::uint32_t to, PartitionId first_id);
  Result<TopicId> create_topic(std::string_view name, const TopicOptions& options);
  PartitionConfig partition_config(const TopicInfo& topic, std::shared_ptr<const LiveTopicSettings> settings) const;
  // The live settings `info`'s configs resolve to over the log's options.
  std::shared_ptr<LiveTopicSettings> live_settings(const TopicInfo& info) const;
  // Removes what is left of a topic whose <topic>.strata-deleting file exists (partition directories, group
  // checkpoints), then that file.
  Status finish_topic_deletion(const TopicInfo& info);
  // Finishes the deletion of `topic` if its <topic>.strata-deleting file exists; true when there was one.
  Result<bool> finish_deletion_of(const std::string& topic);
  // At open: finishes the deletions a crash interrupted.
  Status finish_interrupted_deletions();

  const LogOptions options_;
  FileLock lock_;  // on <directory>/LOCK: one process per log directory
  bool direct_io_ = true;
  std::string recovery_report_;

  std::size_t event_bytes_max_ = 0;

  mutable std::mutex topics_mutex_;
  std::unordered_map<std::string, TopicId> topic_ids_;
  std::array<TopicEntry, kTopicsMax> topics_;
  std::array<std::atomic<bool>, kTopicsMax> topic_deleted_{};
  std::atomic<TopicId> topic_count_{0};
  std::array<std::unique_ptr<PartitionWriter>, kLogPartitionsMax> partitions_;
  std::atomic<PartitionId> partition_count_{0};
  std::vector<std::unique_ptr<PartitionId[]>> added_id_tables_;  // under topics_mutex_; see TopicEntry

  std::mutex producer_ids_mutex_;
  std::int64_t next_producer_id_ = 0;
  std::int64_t producer_ids_reserved_ = 0;  // durable: ids below may have been handed out

  std::mutex producers_mutex_;
  std::vector<std::shared_ptr<ProducerState>> producers_;
  std::atomic<std::uint64_t> producers_version_{0};

  // What producers and the log share with one writer thread.
  struct WriterSlot {
    explicit WriterSlot(std::size_t shared_ring_bytes) : shared_ring(shared_ring_bytes) {}
    ring::StripedMpscRing shared_ring;  // shared_producer()'s records for this writer's partitions
    ring::ConsumerSignal signal;        // producers wake the writer through it
    std::uint64_t flush_completed = 0;  // under state_mutex_
    std::thread thread;
  };
  void wake_all_writers();

  std::deque<WriterSlot> writers_;  // a deque: slots never move
  std::shared_ptr<ProducerState> shared_state_;
  ring::ConsumerSignal visible_signal_;
  WakeFds visible_fds_;

  mutable std::mutex state_mutex_;  // failure_, io_description_, flush completion
  std::condition_variable flush_cv_;
  Status failure_;
  std::string io_description_;
  std::atomic<bool> failed_{false};
  std::atomic<bool> closing_{false};
  mutable LatencyHistogram fdatasync_seconds_;  // every partition writer observes into it
  std::atomic<std::uint64_t> flush_requested_{0};
  std::unique_ptr<Cleaner> cleaner_;  // set once open() succeeded; stopped first by close()
  std::uint64_t flush_epochs_ = 0;  // flush() calls so far
  std::uint64_t flush_completed_ = 0;  // by every writer
  bool closed_ = false;
};

}  // namespace strata::detail
