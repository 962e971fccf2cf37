// The decoded forms of the config admin APIs: DescribeConfigs, AlterConfigs, IncrementalAlterConfigs (Kafka's message schemas, non-flexible versions). Requests hold
// views into the request frame; responses own their strings.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kafka/protocol.h"

namespace strata::kafka {

// Kafka's ConfigResource.Type values.
inline constexpr std::int8_t kResourceTopic = 2;
inline constexpr std::int8_t kResourceBroker = 4;

// Kafka's DescribeConfigsResponse.ConfigSource values.
enum class ConfigSource : std::int8_t {
  kUnknown = 0,
  kTopicConfig = 1,
  kStaticBrokerConfig = 4,
  kDefaultConfig = 5,
};

// Kafka's ConfigDef.Type as DescribeConfigs v3 numbers them.
enum class ConfigType : std::int8_t { kUnknown = 0, kBoolean = 1, kString = 2, kInt = 3, kLong = 5, kDouble = 6, kList = 7 };

struct DescribeConfigsRequest {
  struct Resource {
    std::int8_t type = 0;
    std::string_view name;
    std::optional<std::vector<std::string_view>> keys;  // nullopt or empty: every config
  };
  std::vector<Resource> resources;
  bool include_synonyms = false;       // v1+
  bool include_documentation = false;  // v3+
};
struct DescribeConfigsResponse {
  struct Config {
    std::string name;
    std::optional<std::string> value;
    bool read_only = false;
    ConfigSource source = ConfigSource::kDefaultConfig;  // v0: is_default = source is a default
    ConfigType type = ConfigType::kUnknown;              // v3+
    std::optional<std::string> documentation;            // v3+
  };
  struct Result {
    ErrorCode error = ErrorCode::kNone;
    std::optional<std::string> message;
    std::int8_t type = 0;
    std::string name;
    std::vector<Config> configs;
  };
  std::vector<Result> results;
};

// AlterConfigs (replace the whole set) and IncrementalAlterConfigs (operations per key) share one form.
struct AlterConfigsRequest {
  enum class Operation : std::int8_t { kSet = 0, kDelete = 1, kAppend = 2, kSubtract = 3 };
  struct Config {
    std::string_view name;
    std::optional<std::string_view> value;
    Operation operation = Operation::kSet;  // IncrementalAlterConfigs only
  };
  struct Resource {
    std::int8_t type = 0;
    std::string_view name;
    std::vector<Config> configs;
  };
  std::vector<Resource> resources;
  bool validate_only = false;
};
struct IncrementalAlterConfigsRequest : AlterConfigsRequest {};
struct AlterConfigsResponse {
  struct Result {
    ErrorCode error = ErrorCode::kNone;
    std::optional<std::string> message;
    std::int8_t type = 0;
    std::string name;
  };
  std::vector<Result> results;
};
// The same layout, for its own flexible versions (v1+, AlterConfigs' from v2).
struct IncrementalAlterConfigsResponse : AlterConfigsResponse {};

}  // namespace strata::kafka
