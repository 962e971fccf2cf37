// Codecs of the config admin APIs: DescribeConfigs 0-4, AlterConfigs 0-2 and IncrementalAlterConfigs 0-1
// (field layouts from Kafka's message schemas, clients/src/main/resources/common/message; the flexible
// versions are DescribeConfigs 4, AlterConfigs 2 and IncrementalAlterConfigs 1).
#include "kafka/codec.h"

namespace strata::kafka {

bool decode(WireReader& in, std::int16_t version, DescribeConfigsRequest* out) {
  // Smallest resource: type(1) name(2) keys(4).
  const std::size_t count = in.array_count(7);
  out->resources.reserve(count);
  for (std::size_t i = 0; i < count && in.ok(); ++i) {
    DescribeConfigsRequest::Resource resource;
    resource.type = in.int8();
    resource.name = in.string();
    bool null = false;
    const std::size_t keys = in.array_count(2, &null);
    if (!null) {
      resource.keys.emplace();
      for (std::size_t k = 0; k < keys && in.ok(); ++k) resource.keys->push_back(in.string());
    }
    in.tagged_fields();
    out->resources.push_back(std::move(resource));
  }
  if (version >= 1) out->include_synonyms = in.boolean();
  if (version >= 3) out->include_documentation = in.boolean();
  in.tagged_fields();
  return in.ok();
}

void encode(const DescribeConfigsResponse& response, std::int16_t version, ResponseFrame& out) {
  WireWriter& w = begin_response(ApiKey::kDescribeConfigs, version, out);
  w.int32(0);  // throttle_time_ms
  w.array_count(response.results.size());
  for (const auto& result : response.results) {
    w.int16(code(result.error));
    w.nullable_string(result.message);
    w.int8(result.type);
    w.string(result.name);
    w.array_count(result.configs.size());
    for (const auto& config : result.configs) {
      w.string(config.name);
      w.nullable_string(config.value);
      w.boolean(config.read_only);
      if (version == 0) {
        w.boolean(config.source == ConfigSource::kDefaultConfig || config.source == ConfigSource::kStaticBrokerConfig);
      } else {
        w.int8(static_cast<std::int8_t>(config.source));
      }
      w.boolean(false);  // is_sensitive
      if (version >= 1) w.array_count(0);  // synonyms: strata has one source per config
      if (version >= 3) {
        w.int8(static_cast<std::int8_t>(config.type));
        w.nullable_string(config.documentation);
      }
      w.tagged_fields();
    }
    w.tagged_fields();
  }
  w.tagged_fields();
}

namespace {

bool decode_alter(WireReader& in, bool incremental, AlterConfigsRequest* out) {
  // Smallest resource: type(1) name(2) configs(4); smallest config: name(2) [operation(1)] value(2).
  const std::size_t count = in.array_count(7);
  out->resources.reserve(count);
  for (std::size_t i = 0; i < count && in.ok(); ++i) {
    AlterConfigsRequest::Resource resource;
    resource.type = in.int8();
    resource.name = in.string();
    const std::size_t configs = in.array_count(incremental ? 5 : 4);
    for (std::size_t c = 0; c < configs && in.ok(); ++c) {
      AlterConfigsRequest::Config config;
      config.name = in.string();
      if (incremental) config.operation = static_cast<AlterConfigsRequest::Operation>(in.int8());
      config.value = in.nullable_string();
      in.tagged_fields();
      resource.configs.push_back(config);
    }
    in.tagged_fields();
    out->resources.push_back(std::move(resource));
  }
  out->validate_only = in.boolean();
  in.tagged_fields();
  return in.ok();
}

}  // namespace

bool decode(WireReader& in, std::int16_t /*version*/, AlterConfigsRequest* out) {
  return decode_alter(in, /*incremental=*/false, out);
}

bool decode(WireReader& in, std::int16_t /*version*/, IncrementalAlterConfigsRequest* out) {
  return decode_alter(in, /*incremental=*/true, out);
}

namespace {

void encode_alter(const AlterConfigsResponse& response, WireWriter& w) {
  // AlterConfigs and IncrementalAlterConfigs share this layout at every version.
  w.int32(0);  // throttle_time_ms
  w.array_count(response.results.size());
  for (const auto& result : response.results) {
    w.int16(code(result.error));
    w.nullable_string(result.message);
    w.int8(result.type);
    w.string(result.name);
    w.tagged_fields();
  }
  w.tagged_fields();
}

}  // namespace

void encode(const AlterConfigsResponse& response, std::int16_t version, ResponseFrame& out) {
  encode_alter(response, begin_response(ApiKey::kAlterConfigs, version, out));
}

void encode(const IncrementalAlterConfigsResponse& response, std::int16_t version, ResponseFrame& out) {
  encode_alter(response, begin_response(ApiKey::kIncrementalAlterConfigs, version, out));
}

}  // namespace strata::kafka
