// The decoded forms of the requests strata serves and the responses it sends, one struct per message.
// Requests hold views into the request frame (valid while the frame is); responses own their strings,
// except Fetch's record batches, which hold the reader's BatchViews (and so the segment mappings) alive
// until the response is written.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kafka/protocol.h"
#include "strata/reader.h"

namespace strata::kafka {

using Bytes = std::span<const std::byte>;

// A Kafka topic id (KIP-516). strata derives one from its own topic id and the topic's name (topic_table.h);
// the zero UUID means "none".
struct Uuid {
  std::uint64_t high = 0;
  std::uint64_t low = 0;
  bool operator==(const Uuid&) const = default;
};

// ---- ApiVersions, Metadata, FindCoordinator, InitProducerId, CreateTopics -----------------------------

struct ApiVersionsRequest {};
struct ApiVersionsResponse {
  ErrorCode error = ErrorCode::kNone;
  std::vector<ApiRange> apis;
};

struct MetadataRequest {
  bool all_topics = false;  // a null topic list (v1+)
  std::vector<std::optional<std::string_view>> topics;  // null: named by topic id alone (v10+)
  bool allow_auto_topic_creation = true;  // v4+
};
struct MetadataResponse {
  struct Broker {
    std::int32_t node_id = 0;
    std::string host;
    std::int32_t port = 0;
  };
  struct Partition {
    ErrorCode error = ErrorCode::kNone;
    std::int32_t index = 0;
    std::int32_t leader = 0;
  };
  struct Topic {
    ErrorCode error = ErrorCode::kNone;
    std::optional<std::string> name;  // null only for a topic asked for by id (v12+)
    std::vector<Partition> partitions;
    Uuid id;  // v10+
  };
  std::vector<Broker> brokers;
  std::string cluster_id;
  std::int32_t controller_id = 0;
  std::vector<Topic> topics;
};

struct FindCoordinatorRequest {
  std::vector<std::string_view> keys;  // v0-3: exactly one; v4+: coordinator_keys
  std::int8_t key_type = 0;  // v1+: 0 group, 1 transaction
};
struct FindCoordinatorResponse {
  std::vector<std::string> keys;  // v4+: one coordinator entry per key, each with this answer
  ErrorCode error = ErrorCode::kNone;
  std::optional<std::string> error_message;
  std::int32_t node_id = -1;
  std::string host;
  std::int32_t port = -1;
};

struct InitProducerIdRequest {
  std::optional<std::string_view> transactional_id;
  std::int32_t transaction_timeout_ms = 0;
};
struct InitProducerIdResponse {
  ErrorCode error = ErrorCode::kNone;
  std::int64_t producer_id = -1;
  std::int16_t producer_epoch = -1;
};

struct CreateTopicsRequest {
  struct Topic {
    std::string_view name;
    std::int32_t partitions = -1;
    std::int16_t replication_factor = -1;
    // Manual replica assignments: broker ids per partition (accepted when every one names this node).
    std::vector<std::vector<std::int32_t>> assignments;
    std::vector<std::pair<std::string_view, std::optional<std::string_view>>> configs;
  };
  std::vector<Topic> topics;
  std::int32_t timeout_ms = 0;
  bool validate_only = false;  // v1+
};
struct CreateTopicsResponse {
  struct Topic {
    std::string name;
    ErrorCode error = ErrorCode::kNone;
    std::optional<std::string> message;  // v1+
    Uuid id;                               // v7+
    std::int32_t partitions = -1;          // v5+
    std::int16_t replication_factor = -1;  // v5+
  };
  std::vector<Topic> topics;
};

struct CreatePartitionsRequest {
  struct Topic {
    std::string_view name;
    std::int32_t count = 0;  // partitions in all after the request
    // Replica assignments of the new partitions, broker ids per partition (null: none given; accepted when
    // every one names this node).
    std::optional<std::vector<std::vector<std::int32_t>>> assignments;
  };
  std::vector<Topic> topics;
  std::int32_t timeout_ms = 0;
  bool validate_only = false;
};
struct CreatePartitionsResponse {
  struct Topic {
    std::string name;
    ErrorCode error = ErrorCode::kNone;
    std::optional<std::string> message;
  };
  std::vector<Topic> topics;
};

struct DeleteTopicsRequest {
  std::vector<std::optional<std::string_view>> names;  // null: named by topic id alone (v6+)
  std::int32_t timeout_ms = 0;
};
struct DeleteTopicsResponse {
  struct Topic {
    std::optional<std::string> name;
    ErrorCode error = ErrorCode::kNone;
  };
  std::vector<Topic> topics;
};

// ---- Produce ------------------------------------------------------------------------------------------

struct ProduceRequest {
  struct Partition {
    std::int32_t index = 0;
    std::optional<Bytes> records;
  };
  struct Topic {
    std::string_view name;
    std::vector<Partition> partitions;
  };
  std::optional<std::string_view> transactional_id;
  std::int16_t acks = 0;
  std::int32_t timeout_ms = 0;
  std::vector<Topic> topics;
};
struct ProduceResponse {
  struct Partition {
    std::int32_t index = 0;
    ErrorCode error = ErrorCode::kNone;
    std::int64_t base_offset = -1;
    std::int64_t log_start_offset = -1;  // v5+
  };
  struct Topic {
    std::string name;
    std::vector<Partition> partitions;
  };
  std::vector<Topic> topics;
};

// ---- Fetch, ListOffsets -------------------------------------------------------------------------------

struct FetchRequest {
  struct Partition {
    std::int32_t index = 0;
    std::int64_t fetch_offset = 0;
    std::int32_t partition_max_bytes = 0;
  };
  struct Topic {
    std::string_view name;  // v0-12
    Uuid id;                // v13+
    std::vector<Partition> partitions;
  };
  std::int32_t max_wait_ms = 0;
  std::int32_t min_bytes = 0;
  std::int32_t max_bytes = INT32_MAX;
  std::int8_t isolation_level = 0;
  std::int32_t session_id = 0;      // v7+
  std::int32_t session_epoch = -1;  // v7+
  std::vector<Topic> topics;
};
struct FetchResponse {
  struct Partition {
    std::int32_t index = 0;
    ErrorCode error = ErrorCode::kNone;
    std::int64_t high_watermark = -1;
    std::int64_t log_start_offset = -1;
    std::vector<BatchView> batches;  // whole stored batches, in offset order
    std::size_t bytes() const;
  };
  struct Topic {
    std::string name;  // v0-12
    Uuid id;           // v13+
    std::vector<Partition> partitions;
  };
  ErrorCode error = ErrorCode::kNone;  // v7+
  bool read_committed = false;         // aborted_transactions: null for read_uncommitted, [] otherwise
  std::vector<Topic> topics;
};

struct ListOffsetsRequest {
  struct Partition {
    std::int32_t index = 0;
    std::int64_t timestamp = 0;  // -1 latest, -2 earliest, else milliseconds
  };
  struct Topic {
    std::string_view name;
    std::vector<Partition> partitions;
  };
  std::int8_t isolation_level = 0;  // v2+
  std::vector<Topic> topics;
};
struct ListOffsetsResponse {
  struct Partition {
    std::int32_t index = 0;
    ErrorCode error = ErrorCode::kNone;
    std::int64_t timestamp = -1;
    std::int64_t offset = -1;
  };
  struct Topic {
    std::string name;
    std::vector<Partition> partitions;
  };
  std::vector<Topic> topics;
};

// ---- Consumer groups ----------------------------------------------------------------------------------

struct JoinGroupRequest {
  struct Protocol {
    std::string_view name;
    Bytes metadata;
  };
  std::string_view group_id;
  std::int32_t session_timeout_ms = 0;
  std::int32_t rebalance_timeout_ms = -1;  // v1+; v0 uses the session timeout
  std::string_view member_id;
  std::optional<std::string_view> group_instance_id;  // v5+
  std::string_view protocol_type;
  std::vector<Protocol> protocols;
};
struct JoinGroupResponse {
  struct Member {
    std::string member_id;
    std::optional<std::string> group_instance_id;
    std::vector<std::byte> metadata;
  };
  ErrorCode error = ErrorCode::kNone;
  std::int32_t generation_id = -1;
  std::optional<std::string> protocol_type;  // v7+
  std::string protocol_name;
  std::string leader;
  std::string member_id;
  std::vector<Member> members;  // the leader's response only
};

struct SyncGroupRequest {
  struct Assignment {
    std::string_view member_id;
    Bytes assignment;
  };
  std::string_view group_id;
  std::int32_t generation_id = 0;
  std::string_view member_id;
  std::optional<std::string_view> group_instance_id;  // v3+
  std::vector<Assignment> assignments;
};
struct SyncGroupResponse {
  ErrorCode error = ErrorCode::kNone;
  std::vector<std::byte> assignment;
};

struct HeartbeatRequest {
  std::string_view group_id;
  std::int32_t generation_id = 0;
  std::string_view member_id;
  std::optional<std::string_view> group_instance_id;  // v3+
};
struct HeartbeatResponse {
  ErrorCode error = ErrorCode::kNone;
};

struct LeaveGroupRequest {
  struct Member {
    std::string_view member_id;
    std::optional<std::string_view> group_instance_id;
  };
  std::string_view group_id;
  std::vector<Member> members;  // v0-2: exactly one
};
struct LeaveGroupResponse {
  struct Member {
    std::string member_id;
    std::optional<std::string> group_instance_id;
    ErrorCode error = ErrorCode::kNone;
  };
  ErrorCode error = ErrorCode::kNone;
  std::vector<Member> members;  // v3+
};

struct OffsetCommitRequest {
  struct Partition {
    std::int32_t index = 0;
    std::int64_t offset = 0;
    std::optional<std::string_view> metadata;
  };
  struct Topic {
    std::string_view name;
    std::vector<Partition> partitions;
  };
  std::string_view group_id;
  std::int32_t generation_id = -1;
  std::string_view member_id;
  std::optional<std::string_view> group_instance_id;  // v7+
  std::vector<Topic> topics;
};
struct OffsetCommitResponse {
  struct Partition {
    std::int32_t index = 0;
    ErrorCode error = ErrorCode::kNone;
  };
  struct Topic {
    std::string name;
    std::vector<Partition> partitions;
  };
  std::vector<Topic> topics;
};

struct OffsetFetchRequest {
  struct Topic {
    std::string_view name;
    std::vector<std::int32_t> partitions;
  };
  std::string_view group_id;
  bool all_topics = false;  // a null topic list (v2+)
  std::vector<Topic> topics;
};
struct OffsetFetchResponse {
  struct Partition {
    std::int32_t index = 0;
    std::int64_t offset = -1;
    std::string metadata;
    ErrorCode error = ErrorCode::kNone;
  };
  struct Topic {
    std::string name;
    std::vector<Partition> partitions;
  };
  std::vector<Topic> topics;
  ErrorCode error = ErrorCode::kNone;  // v2+
};

struct ListGroupsRequest {
  std::vector<std::string_view> states;  // v4+: only groups in these states (empty: every group)
};
struct ListGroupsResponse {
  struct Group {
    std::string group_id;
    std::string protocol_type;
    std::string state;  // v4+
  };
  ErrorCode error = ErrorCode::kNone;
  std::vector<Group> groups;
};

struct DescribeGroupsRequest {
  std::vector<std::string_view> groups;
};
struct DescribeGroupsResponse {
  struct Member {
    std::string member_id;
    std::optional<std::string> group_instance_id;
    std::string client_id;
    std::string client_host;
    std::vector<std::byte> metadata;
    std::vector<std::byte> assignment;
  };
  struct Group {
    ErrorCode error = ErrorCode::kNone;
    std::string group_id;
    std::string state;
    std::string protocol_type;
    std::string protocol;
    std::vector<Member> members;
  };
  std::vector<Group> groups;
};

}  // namespace strata::kafka
