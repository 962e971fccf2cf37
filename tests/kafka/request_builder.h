// Builds Kafka request frames (the bytes after the int32 size) for tests and fuzz seeds, field by field as
// Kafka's message schemas lay them out for the version given.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "kafka/wire.h"

namespace strata::kafka::testing {

inline WireWriter header(std::int16_t key, std::int16_t version, std::int32_t correlation_id = 7,
                         const char* client_id = "test") {
  WireWriter w;
  w.int16(key);
  w.int16(version);
  w.int32(correlation_id);
  w.nullable_string(client_id);
  return w;
}

inline std::vector<std::byte> metadata_request(std::int16_t version, const std::vector<std::string>& topics) {
  WireWriter w = header(3, version);
  w.array_count(topics.size());
  for (const auto& topic : topics) w.string(topic);
  if (version >= 4) w.boolean(true);
  if (version >= 8) {
    w.boolean(false);
    w.boolean(false);
  }
  return w.buffer();
}

// One batch for partition 0 of `topic`.
inline std::vector<std::byte> produce_request(std::int16_t version, const std::string& topic,
                                              const std::vector<std::byte>& batch, std::int16_t acks = -1,
                                              std::int32_t correlation_id = 7, std::int32_t timeout_ms = 30000) {
  WireWriter w = header(0, version, correlation_id);
  if (version >= 3) w.nullable_string(std::nullopt);  // transactional_id
  w.int16(acks);
  w.int32(timeout_ms);
  w.array_count(1);
  w.string(topic);
  w.array_count(1);
  w.int32(0);
  w.bytes(batch);
  return w.buffer();
}

inline std::vector<std::byte> fetch_request(std::int16_t version, const std::string& topic,
                                            std::int64_t offset) {
  WireWriter w = header(1, version);
  w.int32(-1);       // replica_id
  w.int32(500);      // max_wait_ms
  w.int32(1);        // min_bytes
  w.int32(1 << 20);  // max_bytes
  w.int8(0);         // isolation_level
  if (version >= 7) {
    w.int32(0);
    w.int32(-1);
  }
  w.array_count(1);
  w.string(topic);
  w.array_count(2);
  for (std::int32_t partition = 0; partition < 2; ++partition) {
    w.int32(partition);
    if (version >= 9) w.int32(-1);
    w.int64(offset);
    if (version >= 5) w.int64(-1);
    w.int32(1 << 16);
  }
  if (version >= 7) w.array_count(0);
  if (version >= 11) w.string("");
  return w.buffer();
}

inline std::vector<std::byte> join_group_request(std::int16_t version, const std::string& group) {
  WireWriter w = header(11, version);
  w.string(group);
  w.int32(10000);
  if (version >= 1) w.int32(30000);
  w.string("");
  if (version >= 5) w.nullable_string(std::nullopt);
  w.string("consumer");
  w.array_count(2);
  w.string("range");
  w.bytes(as_bytes("range-metadata"));
  w.string("roundrobin");
  w.bytes(as_bytes("rr"));
  return w.buffer();
}

inline std::vector<std::byte> offset_commit_request(std::int16_t version, const std::string& group) {
  WireWriter w = header(8, version);
  w.string(group);
  w.int32(3);
  w.string("member-1");
  if (version >= 7) w.nullable_string(std::nullopt);
  if (version >= 2 && version <= 4) w.int64(-1);
  w.array_count(1);
  w.string("orders");
  w.array_count(1);
  w.int32(2);
  w.int64(42);
  if (version >= 6) w.int32(-1);
  if (version == 1) w.int64(-1);
  w.nullable_string("meta");
  return w.buffer();
}

inline std::vector<std::byte> offset_fetch_request(std::int16_t version, const std::string& group, bool all) {
  WireWriter w = header(9, version);
  w.string(group);
  if (all) {
    w.null_array();
  } else {
    w.array_count(1);
    w.string("orders");
    w.array_count(2);
    w.int32(0);
    w.int32(1);
  }
  return w.buffer();
}

inline std::vector<std::byte> list_offsets_request(std::int16_t version, std::int64_t timestamp) {
  WireWriter w = header(2, version);
  w.int32(-1);
  if (version >= 2) w.int8(0);
  w.array_count(1);
  w.string("orders");
  w.array_count(1);
  w.int32(0);
  if (version >= 4) w.int32(-1);
  w.int64(timestamp);
  return w.buffer();
}

// CreateTopics v4 of one topic (assignments: broker ids per partition), DescribeConfigs of one resource
// (v1+ without synonyms, v3 with documentation), AlterConfigs v0 / IncrementalAlterConfigs v0 of one topic.
inline std::vector<std::byte> create_topics_request(const std::string& topic, std::int32_t partitions,
                                    const std::vector<std::vector<std::int32_t>>& assignments,
                                    const std::vector<std::pair<std::string, std::optional<std::string>>>& configs) {
  WireWriter w = header(19, 4, 5);
  w.array_count(1);
  w.string(topic);
  w.int32(partitions);
  w.int16(-1);  // replication factor
  w.array_count(assignments.size());
  for (std::size_t p = 0; p < assignments.size(); ++p) {
    w.int32(static_cast<std::int32_t>(p));
    w.array_count(assignments[p].size());
    for (std::int32_t broker : assignments[p]) w.int32(broker);
  }
  w.array_count(configs.size());
  for (const auto& [key, value] : configs) {
    w.string(key);
    w.nullable_string(value);
  }
  w.int32(10'000);
  w.boolean(false);  // validate_only
  return w.buffer();
}

inline std::vector<std::byte> describe_configs_request(std::int16_t version, std::int8_t type, const std::string& name,
                                const std::vector<std::string>& keys) {
  WireWriter w = header(32, version, 6);
  w.array_count(1);
  w.int8(type);
  w.string(name);
  w.array_count(keys.size());
  for (const auto& key : keys) w.string(key);
  if (version >= 1) w.boolean(false);  // include_synonyms
  if (version >= 3) w.boolean(true);   // include_documentation
  return w.buffer();
}

// One config of an AlterConfigs (operation ignored) or IncrementalAlterConfigs request.
struct ConfigOperation {
  std::string key;
  std::int8_t operation;  // 0 SET, 1 DELETE, 2 APPEND
  std::optional<std::string> value;
};

inline std::vector<std::byte> alter_configs_request(bool incremental, const std::string& topic, const std::vector<ConfigOperation>& operations,
                             bool validate_only = false) {
  WireWriter w = header(incremental ? 44 : 33, 0, 8);
  w.array_count(1);
  w.int8(2);  // TOPIC
  w.string(topic);
  w.array_count(operations.size());
  for (const auto& op : operations) {
    w.string(op.key);
    if (incremental) w.int8(op.operation);
    w.nullable_string(op.value);
  }
  w.boolean(validate_only);
  return w.buffer();
}

// Request header v2 (flexible versions): header v1, then empty tagged fields; the writer is left in flexible
// mode for the body.
inline WireWriter flexible_header(std::int16_t key, std::int16_t version) {
  WireWriter w = header(key, version);
  w.tagged_fields();  // classic mode: nothing yet
  w.uvarint(0);
  w.set_flexible(true);
  return w;
}

// One valid request of each API at its newest flexible version (fuzz seeds), body fields as Kafka's schemas
// lay them out.
inline std::vector<std::vector<std::byte>> flexible_requests(const std::vector<std::byte>& batch) {
  std::vector<std::vector<std::byte>> out;
  auto topic_partitions = [](WireWriter& w, auto&& partition) {  // [t [0, 1]]
    w.array_count(1);
    w.string("t");
    w.array_count(2);
    for (std::int32_t p = 0; p < 2; ++p) {
      w.int32(p);
      partition(w);
      w.tagged_fields();
    }
    w.tagged_fields();
  };
  WireWriter w = flexible_header(18, 3);  // ApiVersions
  w.string("fuzz");
  w.string("1.0");
  w.tagged_fields();
  out.push_back(w.buffer());
  w = flexible_header(3, 12);  // Metadata
  w.array_count(1);
  w.int64(0);
  w.int64(0);
  w.string("t");
  w.tagged_fields();
  w.boolean(true);
  w.boolean(false);
  w.tagged_fields();
  out.push_back(w.buffer());
  w = flexible_header(0, 9);  // Produce
  w.nullable_string(std::nullopt);
  w.int16(-1);
  w.int32(1000);
  topic_partitions(w, [&](WireWriter& p) { p.bytes(batch); });
  w.tagged_fields();
  out.push_back(w.buffer());
  for (std::int16_t version : {std::int16_t{12}, std::int16_t{13}}) {  // Fetch
    w = flexible_header(1, version);
    for (std::int32_t value : {-1, 500, 1, 1 << 20}) w.int32(value);
    w.int8(0);
    w.int32(0);
    w.int32(-1);
    w.array_count(1);
    if (version >= 13) {
      w.int64(1);
      w.int64(2);
    } else {
      w.string("t");
    }
    w.array_count(1);
    w.int32(0);
    w.int32(-1);
    w.int64(0);
    w.int32(-1);
    w.int64(-1);
    w.int32(1 << 16);
    w.tagged_fields();
    w.tagged_fields();
    w.array_count(0);
    w.string("");
    w.tagged_fields();
    out.push_back(w.buffer());
  }
  w = flexible_header(2, 6);  // ListOffsets
  w.int32(-1);
  w.int8(0);
  topic_partitions(w, [](WireWriter& p) {
    p.int32(-1);
    p.int64(-1);
  });
  w.tagged_fields();
  out.push_back(w.buffer());
  w = flexible_header(11, 9);  // JoinGroup
  w.string("g");
  w.int32(10000);
  w.int32(30000);
  w.string("");
  w.nullable_string(std::nullopt);
  w.string("consumer");
  w.array_count(1);
  w.string("range");
  w.bytes(batch);
  w.tagged_fields();
  w.nullable_string("reason");
  w.tagged_fields();
  out.push_back(w.buffer());
  w = flexible_header(14, 5);  // SyncGroup
  w.string("g");
  w.int32(1);
  w.string("m");
  w.nullable_string(std::nullopt);
  w.nullable_string("consumer");
  w.nullable_string("range");
  w.array_count(1);
  w.string("m");
  w.bytes(batch);
  w.tagged_fields();
  w.tagged_fields();
  out.push_back(w.buffer());
  w = flexible_header(13, 5);  // LeaveGroup
  w.string("g");
  w.array_count(1);
  w.string("m");
  w.nullable_string(std::nullopt);
  w.nullable_string("bye");
  w.tagged_fields();
  w.tagged_fields();
  out.push_back(w.buffer());
  w = flexible_header(8, 8);  // OffsetCommit
  w.string("g");
  w.int32(1);
  w.string("m");
  w.nullable_string(std::nullopt);
  topic_partitions(w, [](WireWriter& p) {
    p.int64(42);
    p.int32(-1);
    p.nullable_string("meta");
  });
  w.tagged_fields();
  out.push_back(w.buffer());
  w = flexible_header(9, 7);  // OffsetFetch
  w.string("g");
  w.array_count(1);
  w.string("t");
  w.array_count(2);
  w.int32(0);
  w.int32(1);
  w.tagged_fields();
  w.boolean(false);
  w.tagged_fields();
  out.push_back(w.buffer());
  w = flexible_header(19, 7);  // CreateTopics
  w.array_count(1);
  w.string("t");
  w.int32(2);
  w.int16(1);
  w.array_count(0);
  w.array_count(1);
  w.string("retention.ms");
  w.nullable_string("1000");
  w.tagged_fields();
  w.tagged_fields();
  w.int32(1000);
  w.boolean(false);
  w.tagged_fields();
  out.push_back(w.buffer());
  w = flexible_header(20, 6);  // DeleteTopics
  w.array_count(1);
  w.nullable_string("t");
  w.int64(0);
  w.int64(0);
  w.tagged_fields();
  w.int32(1000);
  w.tagged_fields();
  out.push_back(w.buffer());
  w = flexible_header(32, 4);  // DescribeConfigs
  w.array_count(1);
  w.int8(2);
  w.string("t");
  w.null_array();
  w.tagged_fields();
  w.boolean(false);
  w.boolean(true);
  w.tagged_fields();
  out.push_back(w.buffer());
  w = flexible_header(44, 1);  // IncrementalAlterConfigs
  w.array_count(1);
  w.int8(2);
  w.string("t");
  w.array_count(1);
  w.string("retention.ms");
  w.int8(0);
  w.nullable_string("5");
  w.tagged_fields();
  w.tagged_fields();
  w.boolean(true);
  w.tagged_fields();
  out.push_back(w.buffer());
  w = flexible_header(10, 4);  // FindCoordinator
  w.int8(0);
  w.array_count(2);
  w.string("g");
  w.string("h");
  w.tagged_fields();
  out.push_back(w.buffer());
  w = flexible_header(16, 4);  // ListGroups
  w.array_count(1);
  w.string("Stable");
  w.tagged_fields();
  out.push_back(w.buffer());
  return out;
}

}  // namespace strata::kafka::testing
