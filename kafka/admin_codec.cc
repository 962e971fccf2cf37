// Codecs of the cluster-level APIs: ApiVersions 0-3, Metadata 0-12, FindCoordinator 0-4, InitProducerId
// 0-4, CreateTopics 0-7, DeleteTopics 0-6, CreatePartitions 0-3. Field layouts follow Kafka's message schemas
// (clients/src/main/resources/common/message); flexible versions differ by the reader's and writer's mode
// (compact strings and arrays) and the tagged fields that end each structure. Topic ids in Metadata and
// CreateTopics responses are derived (topic_uuid()); a Metadata or DeleteTopics request naming a topic by id
// alone is answered UNKNOWN_TOPIC_ID (only Fetch 13 looks topics up by id).
#include "kafka/codec.h"

namespace strata::kafka {

bool decode(WireReader& in, std::int16_t version, ApiVersionsRequest* /*out*/) {
  if (version >= 3) {
    (void)in.string();  // client_software_name
    (void)in.string();  // client_software_version
  }
  in.tagged_fields();
  return in.ok();
}

void encode(const ApiVersionsResponse& response, std::int16_t version, ResponseFrame& out) {
  WireWriter& w = begin_response(ApiKey::kApiVersions, version, out);
  w.int16(code(response.error));
  w.array_count(response.apis.size());
  for (const ApiRange& api : response.apis) {
    w.int16(static_cast<std::int16_t>(api.key));
    w.int16(api.min_version);
    w.int16(api.max_version);
    w.tagged_fields();
  }
  if (version >= 1) w.int32(0);  // throttle_time_ms
  w.tagged_fields();            // v3: no supported or finalized features
}

void encode_api_versions_fallback(ResponseFrame& out) {
  const auto range = supported_range(static_cast<std::int16_t>(ApiKey::kApiVersions));
  encode(ApiVersionsResponse{ErrorCode::kUnsupportedVersion, {*range}}, 0, out);
}

bool decode(WireReader& in, std::int16_t version, MetadataRequest* out) {
  bool null = false;
  const std::size_t count = in.array_count(version >= 10 ? 18 : 2, &null);
  if (null && version == 0) in.fail("Metadata v0: a null topic list (nullable from v1)");
  // v0 asks for every topic with an empty list, v1+ with a null one (an empty one asks for none).
  out->all_topics = null || (version == 0 && count == 0);
  out->topics.reserve(count);
  for (std::size_t i = 0; i < count && in.ok(); ++i) {
    if (version >= 10) in.skip(16);  // topic_id: strata keeps none; a topic named by id alone has no name
    out->topics.push_back(version >= 10 ? in.nullable_string() : in.string());
    in.tagged_fields();
  }
  if (version >= 4) out->allow_auto_topic_creation = in.boolean();
  if (version >= 8 && version <= 10) (void)in.boolean();  // include_cluster_authorized_operations
  if (version >= 8) (void)in.boolean();                   // include_topic_authorized_operations
  in.tagged_fields();
  return in.ok();
}

namespace {

void encode_metadata_partition(WireWriter& w, const MetadataResponse::Partition& partition,
                               std::int16_t version) {
  w.int16(code(partition.error));
  w.int32(partition.index);
  w.int32(partition.leader);
  if (version >= 7) w.int32(-1);  // leader_epoch: -1 keeps clients' KIP-320 validation off
  w.array_count(1);               // replicas
  w.int32(partition.leader);
  w.array_count(1);  // isr
  w.int32(partition.leader);
  if (version >= 5) w.array_count(0);  // offline_replicas
  w.tagged_fields();
}

}  // namespace

void encode(const MetadataResponse& response, std::int16_t version, ResponseFrame& out) {
  WireWriter& w = begin_response(ApiKey::kMetadata, version, out);
  if (version >= 3) w.int32(0);  // throttle_time_ms
  w.array_count(response.brokers.size());
  for (const auto& broker : response.brokers) {
    w.int32(broker.node_id);
    w.string(broker.host);
    w.int32(broker.port);
    if (version >= 1) w.nullable_string(std::nullopt);  // rack
    w.tagged_fields();
  }
  if (version >= 2) w.nullable_string(response.cluster_id);
  if (version >= 1) w.int32(response.controller_id);
  w.array_count(response.topics.size());
  for (const auto& topic : response.topics) {
    w.int16(code(topic.error));
    if (version >= 12) {
      w.nullable_string(topic.name);
    } else {
      w.string(topic.name.value_or(""));
    }
    if (version >= 10) write_uuid(w, topic.id);
    if (version >= 1) w.boolean(false);  // is_internal
    w.array_count(topic.partitions.size());
    for (const auto& partition : topic.partitions) encode_metadata_partition(w, partition, version);
    if (version >= 8) w.int32(INT32_MIN);  // topic_authorized_operations: not computed
    w.tagged_fields();
  }
  if (version >= 8 && version <= 10) w.int32(INT32_MIN);  // cluster_authorized_operations
  w.tagged_fields();
}

bool decode(WireReader& in, std::int16_t version, FindCoordinatorRequest* out) {
  if (version <= 3) out->keys.push_back(in.string());
  if (version >= 1) out->key_type = in.int8();
  if (version >= 4) {  // coordinator_keys: a batch, each answered alike (one node coordinates everything)
    const std::size_t count = in.array_count(2);
    out->keys.reserve(count);
    for (std::size_t i = 0; i < count && in.ok(); ++i) out->keys.push_back(in.string());
  }
  in.tagged_fields();
  return in.ok();
}

void encode(const FindCoordinatorResponse& response, std::int16_t version, ResponseFrame& out) {
  WireWriter& w = begin_response(ApiKey::kFindCoordinator, version, out);
  if (version >= 1) w.int32(0);  // throttle_time_ms
  auto coordinator = [&] {
    w.int32(response.node_id);
    w.string(response.host);
    w.int32(response.port);
  };
  if (version <= 3) {
    w.int16(code(response.error));
    if (version >= 1) w.nullable_string(response.error_message);
    coordinator();
  } else {
    w.array_count(response.keys.size());
    for (const std::string& key : response.keys) {
      w.string(key);
      coordinator();
      w.int16(code(response.error));
      w.nullable_string(response.error_message);
      w.tagged_fields();
    }
  }
  w.tagged_fields();
}

bool decode(WireReader& in, std::int16_t version, InitProducerIdRequest* out) {
  out->transactional_id = in.nullable_string();
  out->transaction_timeout_ms = in.int32();
  if (version >= 3) {
    // producer_id and producer_epoch (KIP-360): an idempotent producer's existing identity. Kafka gives a
    // non-transactional producer a fresh id whatever these say, and so does strata.
    (void)in.int64();
    (void)in.int16();
  }
  in.tagged_fields();
  return in.ok();
}

void encode(const InitProducerIdResponse& response, std::int16_t version, ResponseFrame& out) {
  WireWriter& w = begin_response(ApiKey::kInitProducerId, version, out);
  w.int32(0);  // throttle_time_ms
  w.int16(code(response.error));
  w.int64(response.producer_id);
  w.int16(response.producer_epoch);
  w.tagged_fields();
}

namespace {

CreateTopicsRequest::Topic decode_creatable_topic(WireReader& in) {
  CreateTopicsRequest::Topic topic;
  topic.name = in.string();
  topic.partitions = in.int32();
  topic.replication_factor = in.int16();
  const std::size_t assignments = in.array_count(8);
  for (std::size_t a = 0; a < assignments && in.ok(); ++a) {
    (void)in.int32();  // partition index
    auto& brokers = topic.assignments.emplace_back();
    const std::size_t ids = in.array_count(4);
    for (std::size_t b = 0; b < ids && in.ok(); ++b) brokers.push_back(in.int32());
    in.tagged_fields();
  }
  const std::size_t configs = in.array_count(4);
  for (std::size_t c = 0; c < configs && in.ok(); ++c) {
    const std::string_view name = in.string();
    topic.configs.emplace_back(name, in.nullable_string());
    in.tagged_fields();
  }
  in.tagged_fields();
  return topic;
}

}  // namespace

bool decode(WireReader& in, std::int16_t version, CreateTopicsRequest* out) {
  // Smallest topic: name(2) partitions(4) replication(2) assignments(4) configs(4).
  const std::size_t count = in.array_count(16);
  out->topics.reserve(count);
  for (std::size_t i = 0; i < count && in.ok(); ++i) out->topics.push_back(decode_creatable_topic(in));
  out->timeout_ms = in.int32();
  if (version >= 1) out->validate_only = in.boolean();
  in.tagged_fields();
  return in.ok();
}

void encode(const CreateTopicsResponse& response, std::int16_t version, ResponseFrame& out) {
  WireWriter& w = begin_response(ApiKey::kCreateTopics, version, out);
  if (version >= 2) w.int32(0);  // throttle_time_ms
  w.array_count(response.topics.size());
  for (const auto& topic : response.topics) {
    w.string(topic.name);
    if (version >= 7) write_uuid(w, topic.id);
    w.int16(code(topic.error));
    if (version >= 1) w.nullable_string(topic.message);
    if (version >= 5) {
      w.int32(topic.partitions);
      w.int16(topic.replication_factor);
      w.null_array();  // configs: null, not reported (DescribeConfigs has them)
    }
    w.tagged_fields();
  }
  w.tagged_fields();
}

bool decode(WireReader& in, std::int16_t version, DeleteTopicsRequest* out) {
  // v0-5: topic_names [string]; v6: topics [name (nullable), topic_id].
  const std::size_t count = in.array_count(version >= 6 ? 18 : 2);
  out->names.reserve(count);
  for (std::size_t i = 0; i < count && in.ok(); ++i) {
    if (version >= 6) {
      out->names.push_back(in.nullable_string());
      in.skip(16);  // topic_id: strata keeps none
      in.tagged_fields();
    } else {
      out->names.push_back(in.string());
    }
  }
  out->timeout_ms = in.int32();
  in.tagged_fields();
  return in.ok();
}

void encode(const DeleteTopicsResponse& response, std::int16_t version, ResponseFrame& out) {
  WireWriter& w = begin_response(ApiKey::kDeleteTopics, version, out);
  if (version >= 1) w.int32(0);  // throttle_time_ms
  w.array_count(response.topics.size());
  for (const auto& topic : response.topics) {
    if (version >= 6) {
      w.nullable_string(topic.name);
      write_uuid(w, Uuid{});  // topic_id: the request named the topic
    } else {
      w.string(topic.name.value_or(""));
    }
    w.int16(code(topic.error));
    if (version >= 5) w.nullable_string(std::nullopt);  // error_message
    w.tagged_fields();
  }
  w.tagged_fields();
}

bool decode(WireReader& in, std::int16_t version, CreatePartitionsRequest* out) {
  (void)version;  // v1 only changed throttling; v2+ are the flexible form of the same fields
  // Smallest topic: name(2) count(4) assignments(4).
  const std::size_t count = in.array_count(10);
  out->topics.reserve(count);
  for (std::size_t i = 0; i < count && in.ok(); ++i) {
    CreatePartitionsRequest::Topic& topic = out->topics.emplace_back();
    topic.name = in.string();
    topic.count = in.int32();
    bool null = false;
    const std::size_t assignments = in.array_count(4, &null);
    if (!null) topic.assignments.emplace();
    for (std::size_t a = 0; a < assignments && in.ok(); ++a) {
      auto& brokers = topic.assignments->emplace_back();
      const std::size_t ids = in.array_count(4);
      for (std::size_t b = 0; b < ids && in.ok(); ++b) brokers.push_back(in.int32());
      in.tagged_fields();
    }
    in.tagged_fields();
  }
  out->timeout_ms = in.int32();
  out->validate_only = in.boolean();
  in.tagged_fields();
  return in.ok();
}

void encode(const CreatePartitionsResponse& response, std::int16_t version, ResponseFrame& out) {
  WireWriter& w = begin_response(ApiKey::kCreatePartitions, version, out);
  w.int32(0);  // throttle_time_ms
  w.array_count(response.topics.size());
  for (const auto& topic : response.topics) {
    w.string(topic.name);
    w.int16(code(topic.error));
    w.nullable_string(topic.message);
    w.tagged_fields();
  }
  w.tagged_fields();
}

}  // namespace strata::kafka
