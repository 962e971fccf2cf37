#include "engine/cleaner.h"

#include <cstdio>

#include "engine/log_core.h"
#include "engine/wall_clock.h"

namespace strata::detail {

Cleaner::Cleaner(LogCore& core, std::chrono::milliseconds interval) : core_(core), interval_(interval) {
  if (interval_.count() > 0) thread_ = std::thread([this] { run(); });
}

void Cleaner::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  stop_requested_.store(true, std::memory_order_release);
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

Status Cleaner::pass(TopicId topic, std::uint32_t partition, bool only_if_dirty, CompactionStats* stats) {
  const TopicEntry& entry = core_.topic_entry(topic);
  const LiveTopicSettings& settings = *entry.settings;
  PartitionWriter& writer = core_.partition_writer(entry.partition_id(partition));
  if (only_if_dirty) {
    auto dirty = dirty_ratio(writer.dir());
    if (!dirty) return dirty.status();
    if (dirty->dirty_bytes == 0 ||
        dirty->ratio() < settings.min_cleanable_dirty_ratio.load(std::memory_order_relaxed)) {
      return Status::ok();
    }
  }
  CompactionOptions options;
  options.policy = {settings.delete_retention_us.load(std::memory_order_relaxed),
                    settings.min_compaction_lag_us.load(std::memory_order_relaxed)};
  options.now_us = wall_clock_us();
  options.direct_io = core_.direct_io();
  options.key_index = writer.key_index() != nullptr;
  options.cancelled = [this] { return stop_requested_.load(std::memory_order_acquire); };
  auto result = compact_partition(writer.dir(), options);
  if (!result) return result.status();
  if (KeyIndex* keys = writer.key_index()) {
    for (const auto& [hash, offset] : result->expired_tombstones) keys->forget(hash, offset);
  }
  ++stats->partitions;
  stats->segments_cleaned += result->segments_cleaned;
  stats->segments_rewritten += result->segments_rewritten;
  stats->bytes_read += result->bytes_read;
  stats->bytes_written += result->bytes_written;
  stats->bytes_reclaimed += result->bytes_reclaimed;
  stats->events_kept += result->events_kept;
  stats->events_removed += result->events_removed;
  stats->tombstones_removed += result->tombstones_removed;
  return Status::ok();
}

Result<CompactionStats> Cleaner::compact_topic(TopicId topic) {
  const auto start = std::chrono::steady_clock::now();
  std::lock_guard lock(pass_mutex_);
  CompactionStats stats;
  const std::uint32_t partitions = core_.topic_entry(topic).partition_count();
  for (std::uint32_t p = 0; p < partitions; ++p) {
    if (core_.topic_deleted(topic)) return Status(StatusCode::kNotFound, "the topic was deleted");
    STRATA_RETURN_IF_ERROR(pass(topic, p, /*only_if_dirty=*/false, &stats));
  }
  stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return stats;
}

void Cleaner::run() {
  std::unique_lock lock(mutex_);
  while (!wake_.wait_for(lock, interval_, [this] { return stopping_; })) {
    lock.unlock();
    std::lock_guard pass_lock(pass_mutex_);
    for (TopicId topic = 0; topic < core_.topic_count() && !stop_requested_.load(); ++topic) {
      if (core_.topic_deleted(topic) || !core_.topic_entry(topic).settings->compact.load(std::memory_order_relaxed)) {
        continue;
      }
      CompactionStats stats;
      for (std::uint32_t p = 0; p < core_.topic_entry(topic).partition_count() && !stop_requested_.load(); ++p) {
        Status status = pass(topic, p, /*only_if_dirty=*/true, &stats);
        // The next interval tries again; a deleted topic's partition may vanish under a pass.
        if (!status.is_ok() && status.code() != StatusCode::kClosed && !core_.topic_deleted(topic)) {
          std::fprintf(stderr, "strata: compaction of %s partition %u: %s\n",
                       core_.topic_info(topic).name.c_str(), p, status.to_string().c_str());
        }
      }
    }
    lock.lock();
  }
}

}  // namespace strata::detail
