// Topic configs over the Kafka protocol: DescribeConfigs, AlterConfigs,
// IncrementalAlterConfigs, and the configs of CreateTopics. Keys, checks and defaults are
// the engine's (strata/topic_config.h); this file maps them to Kafka's resources, sources and error codes.
#include <algorithm>

#include "kafka/request_handler.h"

namespace strata::kafka {

namespace {

ConfigType config_type(std::string_view key) {
  if (key == "segment.bytes" || key == "max.message.bytes") return ConfigType::kInt;
  if (key == "message.timestamp.type" || key == "compression.type") return ConfigType::kString;
  if (key == "cleanup.policy") return ConfigType::kList;
  if (key == "min.cleanable.dirty.ratio") return ConfigType::kDouble;
  return ConfigType::kLong;
}

// Where a topic's unset key takes its value from: `strata serve`'s options, or strata's own default.
ConfigSource default_source(std::string_view key, const LogOptions& options) {
  const LogOptions library_defaults;
  const bool from_server = (key == "retention.ms" && options.retention_age != library_defaults.retention_age) ||
                           (key == "retention.bytes" && options.retention_bytes != library_defaults.retention_bytes) ||
                           (key == "segment.bytes" && options.segment_bytes != library_defaults.segment_bytes);
  return from_server ? ConfigSource::kStaticBrokerConfig : ConfigSource::kDefaultConfig;
}

bool wanted(const DescribeConfigsRequest::Resource& resource, std::string_view key) {
  return !resource.keys || resource.keys->empty() || std::find(resource.keys->begin(), resource.keys->end(), key) != resource.keys->end();
}

ErrorCode config_error(const Status& status) {
  switch (status.code()) {
    case StatusCode::kInvalidArgument:
      return ErrorCode::kInvalidConfig;
    case StatusCode::kNotFound:
      return ErrorCode::kUnknownTopicOrPartition;
    default:
      return error_for(status);
  }
}

}  // namespace

bool replicas_are_this_node(const std::vector<std::vector<std::int32_t>>& assignments, std::int32_t node_id,
                            std::optional<std::string>* message) {
  for (std::size_t p = 0; p < assignments.size(); ++p) {
    if (assignments[p].size() == 1 && assignments[p][0] == node_id) continue;
    *message = "replica assignment " + std::to_string(p) + " must name this broker (" + std::to_string(node_id) +
               ") alone: strata is one node";
    return false;
  }
  return true;
}

ErrorCode RequestHandler::create_topic_configs(const CreateTopicsRequest::Topic& topic, TopicConfigs* configs,
                                               std::optional<std::string>* message) {
  for (const auto& [key, value] : topic.configs) {
    if (!value) continue;  // a null value asks for the default
    configs->insert_or_assign(std::string(key), std::string(*value));
  }
  Status valid = validate_topic_configs(configs);
  if (valid.is_ok()) return ErrorCode::kNone;
  *message = valid.message();
  return ErrorCode::kInvalidConfig;
}

void RequestHandler::describe_configs(const DescribeConfigsRequest& request, std::int16_t version,
                                      const Session& session, ResponseFrame& out) {
  DescribeConfigsResponse response;
  const LogOptions& log_options = log_.options();
  for (const auto& resource : request.resources) {
    auto& result = response.results.emplace_back();
    result.type = resource.type;
    result.name = std::string(resource.name);
    const auto add = [&](std::string_view key, std::string value, ConfigSource source, bool read_only,
                         std::string_view doc) {
      if (!wanted(resource, key)) return;
      auto& config = result.configs.emplace_back();
      config.name = std::string(key);
      config.value = std::move(value);
      config.source = source;
      config.read_only = read_only;
      config.type = config_type(key);
      if (request.include_documentation) config.documentation = std::string(doc);
    };
    result.error = config_resource_refusal(session, security::AclOperation::kDescribeConfigs, resource.type, resource.name);
    if (result.error != ErrorCode::kNone) continue;
    if (resource.type == kResourceTopic) {
      auto id = log_.find_topic(resource.name);
      if (!id) {
        result.error = ErrorCode::kUnknownTopicOrPartition;
        result.message = "no topic " + result.name;
        continue;
      }
      const TopicInfo info = log_.topic_info(*id);
      for (const TopicConfigDefinition& definition : topic_config_definitions()) {
        const auto set = info.configs.find(definition.name);
        if (set != info.configs.end()) {
          add(definition.name, set->second, ConfigSource::kTopicConfig, false, definition.doc);
        } else {
          add(definition.name, topic_config_default(definition.name, log_options),
              default_source(definition.name, log_options), false, definition.doc);
        }
      }
    } else if (resource.type == kResourceBroker &&
               (resource.name.empty() || resource.name == std::to_string(options_.node_id))) {
      // The broker's settings are `strata serve`'s command line: read-only here.
      const auto source = [&](std::string_view topic_key) { return default_source(topic_key, log_options); };
      add("log.retention.ms", topic_config_default("retention.ms", log_options), source("retention.ms"), true,
          "the default retention.ms (serve --retention-ms)");
      add("log.retention.bytes", topic_config_default("retention.bytes", log_options), source("retention.bytes"),
          true, "the default retention.bytes (serve --retention-bytes)");
      add("log.segment.bytes", topic_config_default("segment.bytes", log_options), source("segment.bytes"), true,
          "the default segment.bytes (serve --segment-bytes)");
      add("num.partitions", std::to_string(options_.default_partitions), ConfigSource::kStaticBrokerConfig, true,
          "partitions of an auto-created topic (serve --partitions)");
      add("auto.create.topics.enable", options_.auto_create_topics ? "true" : "false",
          ConfigSource::kStaticBrokerConfig, true, "serve --no-auto-create turns it off");
    } else {
      result.error = ErrorCode::kInvalidRequest;
      result.message = resource.type == kResourceBroker
                           ? "no broker " + result.name + " (this broker is " + std::to_string(options_.node_id) + ")"
                           : "resource type " + std::to_string(resource.type) + " has no configs in strata";
    }
  }
  encode(response, version, out);
}

void RequestHandler::alter_configs(const AlterConfigsRequest& request, bool incremental, std::int16_t version,
                                   const Session& session, ResponseFrame& out) {
  using Operation = AlterConfigsRequest::Operation;
  AlterConfigsResponse response;
  for (const auto& resource : request.resources) {
    auto& result = response.results.emplace_back();
    result.type = resource.type;
    result.name = std::string(resource.name);
    result.error = config_resource_refusal(session, security::AclOperation::kAlterConfigs, resource.type, resource.name);
    if (result.error != ErrorCode::kNone) continue;
    if (resource.type != kResourceTopic) {
      result.error = ErrorCode::kInvalidRequest;
      result.message = "only topic configs can be altered (the broker's are strata serve's options)";
      continue;
    }
    auto id = log_.find_topic(resource.name);
    if (!id) {
      result.error = ErrorCode::kUnknownTopicOrPartition;
      result.message = "no topic " + result.name;
      continue;
    }
    // AlterConfigs replaces the whole set; IncrementalAlterConfigs edits the current one key by key.
    TopicConfigs configs = incremental ? log_.topic_info(*id).configs : TopicConfigs{};
    for (const auto& config : resource.configs) {
      if (config.operation == Operation::kDelete || !config.value) {
        configs.erase(std::string(config.name));
      } else if (config.operation == Operation::kSet) {
        configs.insert_or_assign(std::string(config.name), std::string(*config.value));
      } else {
        result.error = ErrorCode::kInvalidConfig;
        result.message = "config " + std::string(config.name) + ": APPEND and SUBTRACT are not supported (" +
                         "strata has no list config with more than one allowed value)";
        break;
      }
    }
    if (result.error != ErrorCode::kNone) continue;
    Status status = validate_topic_configs(&configs);
    if (status.is_ok() && !request.validate_only) status = log_.set_topic_configs(resource.name, std::move(configs));
    if (!status.is_ok()) {
      result.error = config_error(status);
      result.message = status.message();
    }
  }
  if (incremental) {
    encode(IncrementalAlterConfigsResponse{{std::move(response)}}, version, out);
  } else {
    encode(response, version, out);
  }
}

}  // namespace strata::kafka
