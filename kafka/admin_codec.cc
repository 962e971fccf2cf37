// Codecs of the cluster-level APIs: ApiVersions 0-2, Metadata 0-8, FindCoordinator 0-2, InitProducerId 0-1,
// CreateTopics 0-4, DeleteTopics 0-3. Field layouts follow Kafka's message schemas
// (clients/src/main/resources/common/message).
#include "kafka/codec.h"

namespace strata::kafka {

void encode(const ApiVersionsResponse& response, std::int16_t version, ResponseFrame& out) {
  WireWriter& w = out.body;
  w.int16(code(response.error));
  w.array_count(response.apis.size());
  for (const ApiRange& api : response.apis) {
    w.int16(static_cast<std::int16_t>(api.key));
    w.int16(api.min_version);
    w.int16(api.max_version);
  }
  if (version >= 1) w.int32(0);  // throttle_time_ms
}

void encode_api_versions_fallback(ResponseFrame& out) {
  const auto range = supported_range(static_cast<std::int16_t>(ApiKey::kApiVersions));
  encode(ApiVersionsResponse{ErrorCode::kUnsupportedVersion, {*range}}, 0, out);
}

bool decode(WireReader& in, std::int16_t version, MetadataRequest* out) {
  bool null = false;
  const std::size_t count = in.array_count(2, &null);
  if (null && version == 0) in.fail("Metadata v0: a null topic list (nullable from v1)");
  // v0 asks for every topic with an empty list, v1+ with a null one (an empty one asks for none).
  out->all_topics = null || (version == 0 && count == 0);
  out->topics.reserve(count);
  for (std::size_t i = 0; i < count && in.ok(); ++i) out->topics.push_back(in.string());
  if (version >= 4) out->allow_auto_topic_creation = in.boolean();
  if (version >= 8) {
    (void)in.boolean();  // include_cluster_authorized_operations
    (void)in.boolean();  // include_topic_authorized_operations
  }
  return in.ok();
}

void encode(const MetadataResponse& response, std::int16_t version, ResponseFrame& out) {
  WireWriter& w = out.body;
  if (version >= 3) w.int32(0);  // throttle_time_ms
  w.array_count(response.brokers.size());
  for (const auto& broker : response.brokers) {
    w.int32(broker.node_id);
    w.string(broker.host);
    w.int32(broker.port);
    if (version >= 1) w.nullable_string(std::nullopt);  // rack
  }
  if (version >= 2) w.nullable_string(response.cluster_id);
  if (version >= 1) w.int32(response.controller_id);
  w.array_count(response.topics.size());
  for (const auto& topic : response.topics) {
    w.int16(code(topic.error));
    w.string(topic.name);
    if (version >= 1) w.boolean(false);  // is_internal
    w.array_count(topic.partitions.size());
    for (const auto& partition : topic.partitions) {
      w.int16(code(partition.error));
      w.int32(partition.index);
      w.int32(partition.leader);
      if (version >= 7) w.int32(-1);  // leader_epoch: -1 keeps clients' KIP-320 validation off
      w.array_count(1);               // replicas
      w.int32(partition.leader);
      w.array_count(1);  // isr
      w.int32(partition.leader);
      if (version >= 5) w.array_count(0);  // offline_replicas
    }
    if (version >= 8) w.int32(INT32_MIN);  // topic_authorized_operations: not computed
  }
  if (version >= 8) w.int32(INT32_MIN);  // cluster_authorized_operations
}

bool decode(WireReader& in, std::int16_t version, FindCoordinatorRequest* out) {
  out->key = in.string();
  if (version >= 1) out->key_type = in.int8();
  return in.ok();
}

void encode(const FindCoordinatorResponse& response, std::int16_t version, ResponseFrame& out) {
  WireWriter& w = out.body;
  if (version >= 1) w.int32(0);  // throttle_time_ms
  w.int16(code(response.error));
  if (version >= 1) w.nullable_string(response.error_message);
  w.int32(response.node_id);
  w.string(response.host);
  w.int32(response.port);
}

bool decode(WireReader& in, std::int16_t /*version*/, InitProducerIdRequest* out) {
  out->transactional_id = in.nullable_string();
  out->transaction_timeout_ms = in.int32();
  return in.ok();
}

void encode(const InitProducerIdResponse& response, std::int16_t /*version*/, ResponseFrame& out) {
  WireWriter& w = out.body;
  w.int32(0);  // throttle_time_ms
  w.int16(code(response.error));
  w.int64(response.producer_id);
  w.int16(response.producer_epoch);
}

bool decode(WireReader& in, std::int16_t version, CreateTopicsRequest* out) {
  // Smallest topic: name(2) partitions(4) replication(2) assignments(4) configs(4).
  const std::size_t count = in.array_count(16);
  out->topics.reserve(count);
  for (std::size_t i = 0; i < count && in.ok(); ++i) {
    CreateTopicsRequest::Topic topic;
    topic.name = in.string();
    topic.partitions = in.int32();
    topic.replication_factor = in.int16();
    topic.assignments = in.array_count(8);
    for (std::size_t a = 0; a < topic.assignments && in.ok(); ++a) {
      (void)in.int32();  // partition index
      const std::size_t brokers = in.array_count(4);
      in.skip(brokers * 4);
    }
    const std::size_t configs = in.array_count(4);
    for (std::size_t c = 0; c < configs && in.ok(); ++c) {
      (void)in.string();           // name
      (void)in.nullable_string();  // value: strata has no per-topic configs; accepted and ignored
    }
    out->topics.push_back(topic);
  }
  out->timeout_ms = in.int32();
  if (version >= 1) out->validate_only = in.boolean();
  return in.ok();
}

void encode(const CreateTopicsResponse& response, std::int16_t version, ResponseFrame& out) {
  WireWriter& w = out.body;
  if (version >= 2) w.int32(0);  // throttle_time_ms
  w.array_count(response.topics.size());
  for (const auto& topic : response.topics) {
    w.string(topic.name);
    w.int16(code(topic.error));
    if (version >= 1) w.nullable_string(topic.message);
  }
}

bool decode(WireReader& in, std::int16_t /*version*/, DeleteTopicsRequest* out) {
  // v0-3 share one layout: topic_names [string], timeout_ms int32.
  const std::size_t count = in.array_count(2);
  out->names.reserve(count);
  for (std::size_t i = 0; i < count && in.ok(); ++i) out->names.push_back(in.string());
  out->timeout_ms = in.int32();
  return in.ok();
}

void encode(const DeleteTopicsResponse& response, std::int16_t version, ResponseFrame& out) {
  WireWriter& w = out.body;
  if (version >= 1) w.int32(0);  // throttle_time_ms
  w.array_count(response.topics.size());
  for (const auto& topic : response.topics) {
    w.string(topic.name);
    w.int16(code(topic.error));
  }
}

}  // namespace strata::kafka
