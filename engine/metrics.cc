// Log::metrics() (strata/metrics.h): the partitions' counters, the fdatasync histogram and the consumer
// groups' lag, read without stopping the writer.
#include "strata/metrics.h"

#include <algorithm>
#include <map>
#include <utility>

#include "engine/group_log.h"
#include "engine/log_core.h"
#include "strata/log.h"

namespace strata {

void LatencyHistogram::observe(std::chrono::nanoseconds elapsed) {
  const std::int64_t ns = std::max<std::int64_t>(elapsed.count(), 0);
  std::size_t bucket = 0;
  while (bucket < kBoundsNs.size() && ns > kBoundsNs[bucket]) ++bucket;
  buckets_[bucket].fetch_add(1, std::memory_order_relaxed);
  sum_ns_.fetch_add(static_cast<std::uint64_t>(ns), std::memory_order_relaxed);
}

HistogramSnapshot LatencyHistogram::snapshot() const {
  HistogramSnapshot out;
  out.upper_bounds_seconds.reserve(kBoundsNs.size());
  for (std::int64_t bound : kBoundsNs) out.upper_bounds_seconds.push_back(static_cast<double>(bound) / 1e9);
  out.cumulative.reserve(buckets_.size());
  for (const auto& bucket : buckets_) {
    out.count += bucket.load(std::memory_order_relaxed);
    out.cumulative.push_back(out.count);
  }
  out.sum_seconds = static_cast<double>(sum_ns_.load(std::memory_order_relaxed)) / 1e9;
  return out;
}

namespace detail {

LogMetrics LogCore::metrics() const {
  LogMetrics metrics;
  const PartitionId count = partition_count();
  metrics.partitions.reserve(count);
  for (PartitionId id = 0; id < count; ++id) {
    PartitionWriter& writer = *partitions_[id];
    PartitionCounters& counters = writer.counters();
    if (counters.deleted.load(std::memory_order_acquire)) continue;
    PartitionMetrics& partition = metrics.partitions.emplace_back();
    partition.topic = writer.topic();
    partition.partition = writer.partition();
    partition.records_appended =
        counters.next_offset.load(std::memory_order_relaxed) - counters.opened_next_offset;
    partition.bytes_appended = counters.bytes_appended.load(std::memory_order_relaxed);
    partition.durable_offset = counters.durable_offset.load(std::memory_order_relaxed);
  }
  metrics.fdatasync_seconds = fdatasync_seconds_.snapshot();
  return metrics;
}

}  // namespace detail

namespace {

// Every committed offset in the directory's group file, with its lag behind the partition's durable end.
Status add_group_metrics(const std::string& dir, LogMetrics* metrics) {
  std::map<std::pair<std::string_view, std::uint32_t>, std::uint64_t> durable;
  for (const PartitionMetrics& partition : metrics->partitions) {
    durable[{partition.topic, partition.partition}] = partition.durable_offset;
  }
  auto log = GroupLog::of_directory(dir);
  if (!log) return log.status();
  return (*log)->read([&](const GroupLog::Groups& groups) {
    std::size_t count = 0;
    for (const auto& entry : groups) count += entry.second.offsets.size();
    metrics->groups.reserve(count);
    for (const auto& [name, group] : groups) {
      for (const auto& [key, committed] : group.offsets) {
        GroupPartitionMetrics& entry = metrics->groups.emplace_back();
        entry.group = name;
        entry.topic = key.first;
        entry.partition = key.second;
        entry.committed_offset = committed.offset;
        auto end = durable.find({key.first, key.second});
        if (end != durable.end()) entry.lag = end->second - std::min(end->second, committed.offset);
      }
    }
  });
}

}  // namespace

Result<LogMetrics> Log::metrics() const {
  LogMetrics metrics = core_->metrics();
  STRATA_RETURN_IF_ERROR(add_group_metrics(core_->options().directory, &metrics));
  return metrics;
}

}  // namespace strata
