// The Kafka server's counters (see server_metrics.h).
#include "kafka/server_metrics.h"

#include "kafka/messages.h"
#include "kafka/protocol.h"

namespace strata::kafka {

namespace {

// A RecordBatch's record count (Kafka's layout: the int32 at byte 57); the offset span if it is cut short.
std::uint64_t records_in(const BatchView& batch) {
  constexpr std::size_t kRecordsCountAt = 57;
  if (batch.bytes.size() < kRecordsCountAt + 4) return batch.next_offset - batch.base_offset;
  std::uint32_t count = 0;
  for (std::size_t i = 0; i < 4; ++i) {
    count = (count << 8) | std::to_integer<std::uint32_t>(batch.bytes[kRecordsCountAt + i]);
  }
  return count;
}

}  // namespace

void ServerMetrics::request_done(const RequestTiming& timing) {
  if (timing.api_key < 0 || timing.api_key >= kApiKeysMax) return;
  requests_[static_cast<std::size_t>(timing.api_key)].observe(std::chrono::steady_clock::now() - timing.received);
}

void ServerMetrics::count_fetched(const FetchResponse& response) {
  std::lock_guard lock(fetched_mutex_);
  for (const FetchResponse::Topic& topic : response.topics) {
    auto it = fetched_.end();
    for (const FetchResponse::Partition& partition : topic.partitions) {
      if (partition.batches.empty() || partition.index < 0) continue;
      if (it == fetched_.end()) it = fetched_.try_emplace(topic.name).first;
      const auto index = static_cast<std::size_t>(partition.index);
      if (it->second.size() <= index) it->second.resize(index + 1);
      Fetched& counts = it->second[index];
      for (const BatchView& batch : partition.batches) {
        counts.records += records_in(batch);
        counts.bytes += batch.bytes.size();
      }
    }
  }
}

KafkaServerMetrics ServerMetrics::snapshot() const {
  KafkaServerMetrics out;
  out.connections = connections_.load(std::memory_order_relaxed);
  for (std::int16_t key = 0; key < kApiKeysMax; ++key) {
    HistogramSnapshot seconds = requests_[static_cast<std::size_t>(key)].snapshot();
    if (seconds.count == 0) continue;
    out.requests.push_back({std::string(api_name(key)), std::move(seconds)});
  }
  std::lock_guard lock(fetched_mutex_);
  for (const auto& [topic, partitions] : fetched_) {
    for (std::size_t p = 0; p < partitions.size(); ++p) {
      if (partitions[p].records == 0 && partitions[p].bytes == 0) continue;
      out.fetched.push_back({topic, static_cast<std::uint32_t>(p), partitions[p].records, partitions[p].bytes});
    }
  }
  return out;
}

}  // namespace strata::kafka
