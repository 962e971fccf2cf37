// Topic configs (strata/topic_config.h): one table of keys, their checks and defaults.
#include "strata/topic_config.h"

#include <algorithm>
#include <array>
#include <charconv>

#include "engine/format.h"
#include "strata/log.h"

namespace strata {

namespace {

constexpr std::int64_t kKafkaSegmentMsDefault = 604'800'000;      // 7 days, Kafka's log.roll.ms
constexpr std::int64_t kKafkaDeleteRetentionMsDefault = 86'400'000;  // 1 day
constexpr std::int64_t kSegmentBytesMin = 1 << 20;                 // LogOptions::segment_bytes' floor
// The largest client batch the engine takes (kClientBatchBytesMax in engine/log_core.h).
constexpr std::int64_t kMaxMessageBytesMax = 16 << 20;

constexpr std::array<TopicConfigDefinition, 12> kDefinitions = {{
    {"cleanup.policy", "delete: retention deletes old segments; compact: the cleaner keeps each key's latest event; "
                       "compact,delete: both"},
    {"compression.type", "producer keeps clients' batches as sent; a codec compresses the engine's own batches"},
    {"delete.retention.ms", "how long compaction keeps a tombstone (a null value), counted from its timestamp"},
    {"max.message.bytes", "the largest batch a client may produce; larger ones get MESSAGE_TOO_LARGE"},
    {"message.timestamp.type", "CreateTime keeps clients' timestamps; LogAppendTime stamps batches on append"},
    {"min.cleanable.dirty.ratio", "the share of uncompacted sealed bytes at which the cleaner compacts a partition"},
    {"min.compaction.lag.ms", "how old a sealed segment's newest event must be before compaction rewrites it"},
    {"retention.bytes", "a partition's size above which its oldest sealed segments are deleted; -1: no limit"},
    {"retention.ms", "age above which sealed segments are deleted (by their newest event); -1: no limit"},
    {"segment.bytes", "size at which the active segment is sealed and a new one started"},
    {"segment.ms", "age at which a non-empty active segment is sealed even if not full"},
    {"strata.key-index", "true: a key index per partition (conditional appends, reading one key); set at creation"},
}};

Status bad_value(std::string_view key, std::string_view value, std::string_view expected) {
  return invalid_argument("invalid value " + std::string(value) + " for config " + std::string(key) + ": " +
                          std::string(expected));
}

bool parse_int64(std::string_view text, std::int64_t* out) {
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return error == std::errc() && end == text.data() + text.size() && !text.empty();
}

Status check_range(std::string_view key, std::string_view value, std::int64_t min, std::int64_t max,
                   std::string* canonical) {
  std::int64_t number = 0;
  if (!parse_int64(value, &number) || number < min || number > max) {
    return bad_value(key, value, "expected an integer from " + std::to_string(min) + " to " + std::to_string(max));
  }
  if (canonical != nullptr) *canonical = std::to_string(number);
  return Status::ok();
}

// cleanup.policy and the compaction settings. A topic that is compacted without "delete" keeps its segments
// whatever retention.ms and retention.bytes say (as Kafka does).
void resolve_cleanup(const TopicConfigs& configs, TopicSettings* settings) {
  const auto policy = configs.find("cleanup.policy");
  if (policy != configs.end() && policy->second != "delete") {
    settings->compact = true;
    if (policy->second == "compact") {
      settings->retention_bytes = 0;
      settings->retention_age_us = 0;
    }
  }
  const auto ms = [&](std::string_view key, std::int64_t fallback) {
    const auto it = configs.find(key);
    std::int64_t value = fallback;
    if (it != configs.end()) (void)parse_int64(it->second, &value);
    return value > INT64_MAX / 1000 ? INT64_MAX : value * 1000;
  };
  settings->delete_retention_us = ms("delete.retention.ms", kKafkaDeleteRetentionMsDefault);
  settings->min_compaction_lag_us = ms("min.compaction.lag.ms", 0);
  const auto ratio = configs.find("min.cleanable.dirty.ratio");
  if (ratio != configs.end()) {
    double value = 0.5;
    const auto [end, error] = std::from_chars(ratio->second.data(), ratio->second.data() + ratio->second.size(), value);
    if (error == std::errc()) settings->min_cleanable_dirty_ratio = value;
  }
}

}  // namespace

std::span<const TopicConfigDefinition> topic_config_definitions() {
  return kDefinitions;
}

Status validate_topic_config(std::string_view key, std::string_view value, std::string* canonical) {
  constexpr std::int64_t kMax = INT64_MAX;
  if (key == "retention.ms" || key == "retention.bytes") return check_range(key, value, -1, kMax, canonical);
  if (key == "segment.bytes") {
    return check_range(key, value, kSegmentBytesMin, static_cast<std::int64_t>(format::kSegmentBytesMax), canonical);
  }
  if (key == "segment.ms") return check_range(key, value, 1, kMax, canonical);
  if (key == "delete.retention.ms") return check_range(key, value, 0, kMax, canonical);
  if (key == "max.message.bytes") return check_range(key, value, 1, kMaxMessageBytesMax, canonical);
  if (key == "message.timestamp.type") {
    if (value != "CreateTime" && value != "LogAppendTime") return bad_value(key, value, "expected CreateTime or LogAppendTime");
  } else if (key == "compression.type") {
    Compression codec = Compression::kNone;
    if (value != "producer" && (value == "uncompressed" ? false : !parse_compression(value, &codec))) {
      return bad_value(key, value, "expected producer, uncompressed, none, gzip, snappy, lz4 or zstd");
    }
    if (canonical != nullptr) *canonical = value == "uncompressed" ? "none" : std::string(value);
    return Status::ok();
  } else if (key == "cleanup.policy") {
    if (value == "delete,compact") {
      if (canonical != nullptr) *canonical = "compact,delete";
      return Status::ok();
    }
    if (value != "delete" && value != "compact" && value != "compact,delete") {
      return bad_value(key, value, "expected delete, compact or compact,delete");
    }
  } else if (key == "min.cleanable.dirty.ratio") {
    double ratio = -1;
    const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), ratio);
    if (error != std::errc() || end != value.data() + value.size() || !(ratio >= 0 && ratio <= 1)) {
      return bad_value(key, value, "expected a number from 0 to 1");
    }
  } else if (key == "min.compaction.lag.ms") {
    return check_range(key, value, 0, kMax, canonical);
  } else if (key == "strata.key-index") {
    if (value != "true" && value != "false") return bad_value(key, value, "expected true or false");
  } else {
    return invalid_argument("unknown topic config " + std::string(key));
  }
  if (canonical != nullptr) *canonical = std::string(value);
  return Status::ok();
}

Status validate_topic_configs(TopicConfigs* configs) {
  for (auto& [key, value] : *configs) {
    std::string canonical;
    STRATA_RETURN_IF_ERROR(validate_topic_config(key, value, &canonical));
    value = std::move(canonical);
  }
  return Status::ok();
}

std::string topic_config_default(std::string_view key, const LogOptions& options) {
  if (key == "retention.ms") {
    return options.retention_age.count() == 0 ? "-1" : std::to_string(options.retention_age.count() / 1000);
  }
  if (key == "retention.bytes") return options.retention_bytes == 0 ? "-1" : std::to_string(options.retention_bytes);
  if (key == "segment.bytes") return std::to_string(options.segment_bytes);
  if (key == "segment.ms") return std::to_string(kKafkaSegmentMsDefault);
  if (key == "delete.retention.ms") return std::to_string(kKafkaDeleteRetentionMsDefault);
  if (key == "max.message.bytes") return std::to_string(kMaxMessageBytesMax);
  if (key == "message.timestamp.type") return "CreateTime";
  if (key == "compression.type") return "producer";
  if (key == "cleanup.policy") return "delete";
  if (key == "min.cleanable.dirty.ratio") return "0.5";
  if (key == "min.compaction.lag.ms") return "0";
  if (key == "strata.key-index") return "false";
  STRATA_ASSERT(false, "no default for topic config %.*s", static_cast<int>(key.size()), key.data());
  return {};
}

TopicSettings resolve_topic_settings(const TopicConfigs& configs, const LogOptions& options) {
  const auto set = [&](std::string_view key, std::int64_t* value) {
    const auto it = configs.find(key);
    return it != configs.end() && parse_int64(it->second, value);
  };
  TopicSettings settings;
  settings.retention_bytes = options.retention_bytes;
  settings.retention_age_us = options.retention_age.count();
  settings.segment_bytes = options.segment_bytes;
  settings.segment_age_us = kKafkaSegmentMsDefault * 1000;
  settings.max_message_bytes = static_cast<std::uint32_t>(kMaxMessageBytesMax);
  // Kafka's 0 is "keep nothing sealed" where the engine's 0 is "no limit": 0 becomes the smallest limit.
  constexpr std::int64_t kMsMax = INT64_MAX / 1000;  // beyond it an age is "forever"
  std::int64_t value = 0;
  if (set("retention.ms", &value)) {
    settings.retention_age_us = value < 0 || value > kMsMax ? 0 : std::max<std::int64_t>(value * 1000, 1);
  }
  if (set("retention.bytes", &value)) settings.retention_bytes = value < 0 ? 0 : std::max<std::int64_t>(value, 1);
  if (set("segment.bytes", &value)) settings.segment_bytes = static_cast<std::uint64_t>(value);
  if (set("segment.ms", &value)) settings.segment_age_us = value > kMsMax ? 0 : value * 1000;
  if (set("max.message.bytes", &value)) settings.max_message_bytes = static_cast<std::uint32_t>(value);
  resolve_cleanup(configs, &settings);
  const auto key_index = configs.find("strata.key-index");
  settings.key_index = key_index != configs.end() && key_index->second == "true";
  const auto type = configs.find("message.timestamp.type");
  if (type != configs.end() && type->second == "LogAppendTime") settings.timestamp_type = TimestampType::kLogAppendTime;
  const auto compression = configs.find("compression.type");
  Compression codec = Compression::kNone;
  if (compression != configs.end() && parse_compression(compression->second, &codec)) settings.compression = codec;
  return settings;
}

Status parse_topic_config_assignment(std::string_view text, std::string* key, std::string* value) {
  const std::size_t equals = text.find('=');
  if (equals == std::string_view::npos || equals == 0) {
    return invalid_argument("config " + std::string(text) + " is not KEY=VALUE");
  }
  *key = std::string(text.substr(0, equals));
  *value = std::string(text.substr(equals + 1));
  return Status::ok();
}

}  // namespace strata
