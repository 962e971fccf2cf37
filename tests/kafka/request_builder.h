// Builds Kafka request frames (the bytes after the int32 size) for tests and fuzz seeds, field by field as
// Kafka's message schemas lay them out for the version given.
#pragma once

#include <cstdint>
#include <string>
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

}  // namespace strata::kafka::testing
