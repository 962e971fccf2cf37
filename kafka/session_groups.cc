// The consumer-group APIs of a Session: FindCoordinator, JoinGroup, SyncGroup, Heartbeat, LeaveGroup,
// OffsetCommit and OffsetFetch. Committed offsets are strata's durable group checkpoints.
#include "kafka/protocol.h"
#include "kafka/session.h"
#include "strata/consumer_group.h"

namespace strata::kafka {

namespace {
std::string to_string(std::span<const std::byte> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}
std::span<const std::byte> to_bytes(const std::string& text) {
  return std::as_bytes(std::span(text.data(), text.size()));
}
}  // namespace

Session::Outcome Session::find_coordinator(const RequestHeader& header, Decoder& in, Encoder& out) {
  const std::int16_t v = header.api_version;
  (void)in.string();  // key (the group)
  std::int8_t key_type = 0;
  if (v >= 1) key_type = in.i8();
  if (!in.ok()) return Outcome::kClose;
  const std::int16_t error = key_type == 0 ? error::kNone : error::kCoordinatorNotAvailable;  // no transactions
  if (v >= 1) out.i32(0);  // throttle_time_ms
  out.i16(error);
  if (v >= 1) out.nullable_string(nullptr);  // error_message
  out.i32(error == error::kNone ? options_.node_id : -1);
  out.string(error == error::kNone ? options_.advertise_host : "");
  out.i32(error == error::kNone ? options_.advertise_port : -1);
  return Outcome::kRespond;
}

Session::Outcome Session::join_group(const RequestHeader& header, Decoder& in, Encoder& out) {
  const std::int16_t v = header.api_version;
  JoinRequest request;
  request.group = std::string(in.string());
  request.session_timeout = std::chrono::milliseconds(in.i32());
  request.rebalance_timeout = v >= 1 ? std::chrono::milliseconds(in.i32()) : request.session_timeout;
  request.member_id = std::string(in.string());
  if (v >= 5) (void)in.string();  // group_instance_id: static membership is not implemented
  request.protocol_type = std::string(in.string());
  const std::int32_t protocols = in.array_count(6);
  for (std::int32_t i = 0; i < protocols; ++i) {
    std::string name(in.string());
    request.protocols.emplace_back(std::move(name), to_string(in.bytes()));
  }
  if (!in.ok()) return Outcome::kClose;
  request.client_id = header.client_id;
  const JoinResponse response = groups_.join(request);
  if (v >= 2) out.i32(0);  // throttle_time_ms
  out.i16(response.error);
  out.i32(response.generation);
  out.string(response.protocol);
  out.string(response.leader);
  out.string(response.member_id);
  out.i32(static_cast<std::int32_t>(response.members.size()));
  for (const auto& [id, metadata] : response.members) {
    out.string(id);
    if (v >= 5) out.nullable_string(nullptr);
    out.bytes(to_bytes(metadata));
  }
  return Outcome::kRespond;
}

Session::Outcome Session::sync_group(const RequestHeader& header, Decoder& in, Encoder& out) {
  const std::int16_t v = header.api_version;
  const std::string group(in.string());
  const std::int32_t generation = in.i32();
  const std::string member_id(in.string());
  if (v >= 3) (void)in.string();  // group_instance_id
  std::vector<std::pair<std::string, std::string>> assignments;
  const std::int32_t count = in.array_count(6);
  for (std::int32_t i = 0; i < count; ++i) {
    std::string id(in.string());
    assignments.emplace_back(std::move(id), to_string(in.bytes()));
  }
  if (!in.ok()) return Outcome::kClose;
  std::string assignment;
  const std::int16_t error = groups_.sync(group, generation, member_id, assignments, &assignment);
  if (v >= 1) out.i32(0);
  out.i16(error);
  out.bytes(to_bytes(assignment));
  return Outcome::kRespond;
}

Session::Outcome Session::heartbeat(const RequestHeader& header, Decoder& in, Encoder& out) {
  const std::string group(in.string());
  const std::int32_t generation = in.i32();
  const std::string member_id(in.string());
  if (header.api_version >= 3) (void)in.string();
  if (!in.ok()) return Outcome::kClose;
  const std::int16_t error = groups_.heartbeat(group, generation, member_id);
  if (header.api_version >= 1) out.i32(0);
  out.i16(error);
  return Outcome::kRespond;
}

Session::Outcome Session::leave_group(const RequestHeader& header, Decoder& in, Encoder& out) {
  const std::string group(in.string());
  std::vector<std::string> members;
  if (header.api_version < 3) {
    members.emplace_back(in.string());
  } else {
    const std::int32_t count = in.array_count(4);
    for (std::int32_t i = 0; i < count; ++i) {
      members.emplace_back(in.string());
      (void)in.string();  // group_instance_id
    }
  }
  if (!in.ok()) return Outcome::kClose;
  std::vector<std::int16_t> errors;
  for (const std::string& member : members) errors.push_back(groups_.leave(group, member));
  if (header.api_version >= 1) out.i32(0);
  if (header.api_version < 3) {
    out.i16(errors.front());
    return Outcome::kRespond;
  }
  out.i16(error::kNone);
  out.i32(static_cast<std::int32_t>(members.size()));
  for (std::size_t i = 0; i < members.size(); ++i) {
    out.string(members[i]);
    out.nullable_string(nullptr);
    out.i16(errors[i]);
  }
  return Outcome::kRespond;
}

Session::Outcome Session::offset_commit(const RequestHeader& header, Decoder& in, Encoder& out) {
  const std::int16_t v = header.api_version;
  const std::string group(in.string());
  const std::int32_t generation = in.i32();
  const std::string member_id(in.string());
  if (v >= 7) (void)in.string();                 // group_instance_id
  if (v >= 2 && v <= 4) (void)in.i64();          // retention_time_ms
  struct Partition {
    std::int32_t index;
    std::int64_t offset;
    std::string metadata;
    std::int16_t error = error::kNone;
  };
  std::vector<std::pair<std::string, std::vector<Partition>>> topics(static_cast<std::size_t>(in.array_count(6)));
  for (auto& [name, partitions] : topics) {
    name = std::string(in.string());
    partitions.resize(static_cast<std::size_t>(in.array_count(14)));
    for (Partition& partition : partitions) {
      partition.index = in.i32();
      partition.offset = in.i64();
      if (v >= 6) (void)in.i32();  // committed_leader_epoch
      if (v == 1) (void)in.i64();  // commit_timestamp
      partition.metadata = std::string(in.string());
    }
  }
  if (!in.ok()) return Outcome::kClose;
  const std::int16_t group_error = groups_.check_commit(group, generation, member_id);
  for (auto& [name, partitions] : topics) {
    for (Partition& partition : partitions) {
      if (group_error != error::kNone) {
        partition.error = group_error;
        continue;
      }
      if (partition.offset < 0 || partition.index < 0) {
        partition.error = error::kInvalidRequest;
        continue;
      }
      Status status = commit_group_offset(log_.options().directory, group, name,
                                          static_cast<std::uint32_t>(partition.index),
                                          {static_cast<std::uint64_t>(partition.offset), partition.metadata});
      if (!status.is_ok()) {
        log_refusal(header, status.to_string());
        partition.error = status.code() == StatusCode::kInvalidArgument ? error::kInvalidRequest
                                                                       : error::kUnknownServerError;
      }
    }
  }
  if (v >= 3) out.i32(0);
  out.i32(static_cast<std::int32_t>(topics.size()));
  for (const auto& [name, partitions] : topics) {
    out.string(name);
    out.i32(static_cast<std::int32_t>(partitions.size()));
    for (const Partition& partition : partitions) {
      out.i32(partition.index);
      out.i16(partition.error);
    }
  }
  return Outcome::kRespond;
}

Session::Outcome Session::offset_fetch(const RequestHeader& header, Decoder& in, Encoder& out) {
  const std::int16_t v = header.api_version;
  const std::string group(in.string());
  bool all = false;
  std::vector<std::pair<std::string, std::vector<std::int32_t>>> topics(
      static_cast<std::size_t>(in.array_count(6, &all)));
  for (auto& [name, partitions] : topics) {
    name = std::string(in.string());
    partitions.resize(static_cast<std::size_t>(in.array_count(4)));
    for (std::int32_t& partition : partitions) partition = in.i32();
  }
  if (!in.ok()) return Outcome::kClose;
  if (all) {
    auto committed = list_group_offsets(log_.options().directory, group);
    if (committed) {
      for (const GroupPartitionOffset& entry : *committed) {
        if (topics.empty() || topics.back().first != entry.topic) topics.push_back({entry.topic, {}});
        topics.back().second.push_back(static_cast<std::int32_t>(entry.partition));
      }
    }
  }
  if (v >= 3) out.i32(0);
  out.i32(static_cast<std::int32_t>(topics.size()));
  for (const auto& [name, partitions] : topics) {
    out.string(name);
    out.i32(static_cast<std::int32_t>(partitions.size()));
    for (const std::int32_t partition : partitions) {
      std::int64_t offset = -1;  // uncommitted: offset -1 and no error, as Kafka answers
      std::string metadata;
      std::int16_t error = error::kNone;
      if (partition >= 0) {
        auto committed = read_group_offset(log_.options().directory, group, name, static_cast<std::uint32_t>(partition));
        if (committed) {
          offset = static_cast<std::int64_t>(committed->offset);
          metadata = committed->metadata;
        } else if (committed.status().code() != StatusCode::kNotFound &&
                   committed.status().code() != StatusCode::kInvalidArgument) {
          error = error::kUnknownServerError;
          log_refusal(header, committed.status().to_string());
        }
      }
      out.i32(partition);
      out.i64(offset);
      if (v >= 5) out.i32(-1);  // committed_leader_epoch
      out.nullable_string(&metadata);
      out.i16(error);
    }
  }
  if (v >= 2) out.i16(error::kNone);
  return Outcome::kRespond;
}

}  // namespace strata::kafka
