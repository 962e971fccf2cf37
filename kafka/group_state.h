// What the group coordinator keeps of a group across a restart of the server, and its encoding (opaque to
// the engine, which stores it durably in the group log: strata/consumer_group.h's
// store_group_coordinator_state). Kafka's own GroupMetadataValue holds the same fields; this one also keeps
// every protocol a member offered, so the protocol vote works after a restart.
//
//   version int16 = 1 | protocol_type string | generation int32 | protocol string | leader string |
//   stable int8 (1: assignments were synced; 0: waiting for the leader's SyncGroup) |
//   members array: id string | instance_id nullable string | client_id string | client_host string |
//     session_timeout_ms int32 | rebalance_timeout_ms int32 | protocols array (name string, metadata bytes) |
//     assignment bytes
// (Kafka's wire primitives, big-endian.)
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace strata::kafka {

struct StoredMember {
  std::string id;
  std::optional<std::string> instance_id;
  std::string client_id;
  std::string client_host;
  std::int32_t session_timeout_ms = 0;
  std::int32_t rebalance_timeout_ms = 0;
  std::vector<std::pair<std::string, std::vector<std::byte>>> protocols;
  std::vector<std::byte> assignment;
};

struct StoredGroup {
  std::string protocol_type;
  std::int32_t generation = 0;
  std::string protocol;
  std::string leader;
  bool stable = false;
  std::vector<StoredMember> members;
};

std::string encode_group_state(const StoredGroup& group);
// nullopt when the bytes are not a whole valid encoding.
std::optional<StoredGroup> decode_group_state(std::string_view bytes);

}  // namespace strata::kafka
