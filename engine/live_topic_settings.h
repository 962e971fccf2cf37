// A topic's settings as the writer and producers read them while the topic lives: set at creation and by
// Log::set_topic_configs from any thread, read without a lock. Each field stands alone (a roll or a
// retention pass that sees one field altered and another not yet is still a correct pass of one of the two
// configurations), so relaxed atomics suffice.
#pragma once

#include <atomic>
#include <cstdint>

#include "strata/topic_config.h"

namespace strata::detail {

struct LiveTopicSettings {
  std::atomic<std::uint64_t> retention_bytes{0};
  std::atomic<std::int64_t> retention_age_us{0};
  std::atomic<std::uint64_t> segment_bytes{1ull << 30};
  std::atomic<std::int64_t> segment_age_us{0};
  std::atomic<std::uint32_t> max_message_bytes{0};
  std::atomic<bool> log_append_time{false};
  std::atomic<std::uint8_t> compression{0};  // Compression of the engine's own batches
  std::atomic<bool> key_index{false};        // fixed at creation (set_topic_configs refuses a change)
  // Compaction (engine/compactor.h), read by the cleaner.
  std::atomic<bool> compact{false};
  std::atomic<std::int64_t> delete_retention_us{0};
  std::atomic<std::int64_t> min_compaction_lag_us{0};
  std::atomic<double> min_cleanable_dirty_ratio{0.5};

  void store(const TopicSettings& settings, Compression engine_compression) {
    retention_bytes.store(settings.retention_bytes, std::memory_order_relaxed);
    retention_age_us.store(settings.retention_age_us, std::memory_order_relaxed);
    segment_bytes.store(settings.segment_bytes, std::memory_order_relaxed);
    segment_age_us.store(settings.segment_age_us, std::memory_order_relaxed);
    max_message_bytes.store(settings.max_message_bytes, std::memory_order_relaxed);
    log_append_time.store(settings.timestamp_type == TimestampType::kLogAppendTime, std::memory_order_relaxed);
    compression.store(static_cast<std::uint8_t>(settings.compression.value_or(engine_compression)),
                      std::memory_order_relaxed);
    key_index.store(settings.key_index, std::memory_order_relaxed);
    compact.store(settings.compact, std::memory_order_relaxed);
    delete_retention_us.store(settings.delete_retention_us, std::memory_order_relaxed);
    min_compaction_lag_us.store(settings.min_compaction_lag_us, std::memory_order_relaxed);
    min_cleanable_dirty_ratio.store(settings.min_cleanable_dirty_ratio, std::memory_order_relaxed);
  }
};

}  // namespace strata::detail
