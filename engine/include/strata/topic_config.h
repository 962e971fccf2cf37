// Topic configs as Kafka names them (retention.ms, segment.bytes, ...): which keys strata knows, how a value
// is checked, what each one defaults to, and the settings a topic's configs resolve to over the log's
// defaults. A topic stores only the configs set on it (in its metadata); the others follow the log's
// options (LogOptions::retention_*, segment_bytes), so changing a default changes every topic without one.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "strata/compression.h"
#include "strata/status.h"

namespace strata {

struct LogOptions;

// key -> value as set, in the canonical text validate_topic_config() gives back.
using TopicConfigs = std::map<std::string, std::string, std::less<>>;

enum class TimestampType : std::uint8_t { kCreateTime, kLogAppendTime };

struct TopicConfigDefinition {
  std::string_view name;
  std::string_view doc;  // one line: what it does in strata
};
// Every config strata accepts, in a stable order.
std::span<const TopicConfigDefinition> topic_config_definitions();

// Checks one config. kInvalidArgument naming the key for an unknown key or a bad value. On success
// *canonical (if given) holds the value as it is stored ("CreateTime", "104857600", ...).
Status validate_topic_config(std::string_view key, std::string_view value, std::string* canonical = nullptr);
// Checks every config and replaces each value by its canonical text.
Status validate_topic_configs(TopicConfigs* configs);

// The value a key has on a topic that does not set it, under these log options (as DescribeConfigs shows).
// REQUIRES: `key` is one of topic_config_definitions().
std::string topic_config_default(std::string_view key, const LogOptions& options);

// What a topic's configs mean, over the log's defaults. Ages and sizes of 0 mean "no limit" where noted.
struct TopicSettings {
  std::uint64_t retention_bytes = 0;        // per partition; 0: no limit
  std::int64_t retention_age_us = 0;        // 0: no limit
  std::uint64_t segment_bytes = 1ull << 30;
  std::int64_t segment_age_us = 0;          // roll the active segment once this old; 0: never
  std::uint32_t max_message_bytes = 0;      // the largest client batch
  TimestampType timestamp_type = TimestampType::kCreateTime;  // of client batches
  std::optional<Compression> compression;   // the engine's own batches; nullopt: "producer"
  bool key_index = false;                   // strata.key-index=true (fixed at the topic's creation)
  bool compact = false;                     // cleanup.policy compact or compact,delete
  std::int64_t delete_retention_us = 86'400'000'000;  // tombstones are kept this long
  std::int64_t min_compaction_lag_us = 0;   // a sealed segment is compacted once its newest event is this old
  double min_cleanable_dirty_ratio = 0.5;   // the cleaner compacts a partition from this dirty share on
};
// REQUIRES: validate_topic_configs() accepted `configs`.
TopicSettings resolve_topic_settings(const TopicConfigs& configs, const LogOptions& options);

// Parses "KEY=VALUE" (the CLI's --config); kInvalidArgument when there is no '=' or no key.
Status parse_topic_config_assignment(std::string_view text, std::string* key, std::string* value);

}  // namespace strata
