// Codecs of the classic consumer-group APIs: JoinGroup 0-9, SyncGroup 0-5, Heartbeat 0-4, LeaveGroup 0-5,
// ListGroups 0-4, DescribeGroups 0-5 (flexible from JoinGroup 6, SyncGroup 4, Heartbeat 4, LeaveGroup 4,
// ListGroups 3, DescribeGroups 5).
#include "kafka/codec.h"

namespace strata::kafka {

bool decode(WireReader& in, std::int16_t version, JoinGroupRequest* out) {
  out->group_id = in.string();
  out->session_timeout_ms = in.int32();
  out->rebalance_timeout_ms = version >= 1 ? in.int32() : out->session_timeout_ms;
  out->member_id = in.string();
  if (version >= 5) out->group_instance_id = in.nullable_string();
  out->protocol_type = in.string();
  const std::size_t protocols = in.array_count(6);  // name(2) + metadata length(4)
  out->protocols.reserve(protocols);
  for (std::size_t i = 0; i < protocols && in.ok(); ++i) {
    JoinGroupRequest::Protocol protocol;
    protocol.name = in.string();
    protocol.metadata = in.bytes();
    in.tagged_fields();
    out->protocols.push_back(protocol);
  }
  if (version >= 8) (void)in.nullable_string();  // reason (KIP-800), for the broker's log only
  in.tagged_fields();
  return in.ok();
}

void encode(const JoinGroupResponse& response, std::int16_t version, ResponseFrame& out) {
  WireWriter& w = begin_response(ApiKey::kJoinGroup, version, out);
  if (version >= 2) w.int32(0);  // throttle_time_ms
  w.int16(code(response.error));
  w.int32(response.generation_id);
  if (version >= 7) w.nullable_string(response.protocol_type);
  w.string(response.protocol_name);  // nullable from v7; strata sends "" as before
  w.string(response.leader);
  if (version >= 9) w.boolean(false);  // skip_assignment: the leader assigns
  w.string(response.member_id);
  w.array_count(response.members.size());
  for (const auto& member : response.members) {
    w.string(member.member_id);
    if (version >= 5) w.nullable_string(member.group_instance_id);
    w.bytes(member.metadata);
    w.tagged_fields();
  }
  w.tagged_fields();
}

bool decode(WireReader& in, std::int16_t version, SyncGroupRequest* out) {
  out->group_id = in.string();
  out->generation_id = in.int32();
  out->member_id = in.string();
  if (version >= 3) out->group_instance_id = in.nullable_string();
  if (version >= 5) {
    (void)in.nullable_string();  // protocol_type: checked by the members' own JoinGroup
    (void)in.nullable_string();  // protocol_name
  }
  const std::size_t assignments = in.array_count(6);
  out->assignments.reserve(assignments);
  for (std::size_t i = 0; i < assignments && in.ok(); ++i) {
    SyncGroupRequest::Assignment assignment;
    assignment.member_id = in.string();
    assignment.assignment = in.bytes();
    in.tagged_fields();
    out->assignments.push_back(assignment);
  }
  in.tagged_fields();
  return in.ok();
}

void encode(const SyncGroupResponse& response, std::int16_t version, ResponseFrame& out) {
  WireWriter& w = begin_response(ApiKey::kSyncGroup, version, out);
  if (version >= 1) w.int32(0);  // throttle_time_ms
  w.int16(code(response.error));
  if (version >= 5) {  // null: clients check these only when set
    w.nullable_string(std::nullopt);  // protocol_type
    w.nullable_string(std::nullopt);  // protocol_name
  }
  w.bytes(response.assignment);
  w.tagged_fields();
}

bool decode(WireReader& in, std::int16_t version, HeartbeatRequest* out) {
  out->group_id = in.string();
  out->generation_id = in.int32();
  out->member_id = in.string();
  if (version >= 3) out->group_instance_id = in.nullable_string();
  in.tagged_fields();
  return in.ok();
}

void encode(const HeartbeatResponse& response, std::int16_t version, ResponseFrame& out) {
  WireWriter& w = begin_response(ApiKey::kHeartbeat, version, out);
  if (version >= 1) w.int32(0);  // throttle_time_ms
  w.int16(code(response.error));
  w.tagged_fields();
}

bool decode(WireReader& in, std::int16_t version, LeaveGroupRequest* out) {
  out->group_id = in.string();
  if (version <= 2) {
    out->members.push_back({in.string(), std::nullopt});
    return in.ok();
  }
  const std::size_t members = in.array_count(4);
  out->members.reserve(members);
  for (std::size_t i = 0; i < members && in.ok(); ++i) {
    LeaveGroupRequest::Member member;
    member.member_id = in.string();
    member.group_instance_id = in.nullable_string();
    if (version >= 5) (void)in.nullable_string();  // reason (KIP-800)
    in.tagged_fields();
    out->members.push_back(member);
  }
  in.tagged_fields();
  return in.ok();
}

void encode(const LeaveGroupResponse& response, std::int16_t version, ResponseFrame& out) {
  WireWriter& w = begin_response(ApiKey::kLeaveGroup, version, out);
  if (version >= 1) w.int32(0);  // throttle_time_ms
  w.int16(code(response.error));
  if (version >= 3) {
    w.array_count(response.members.size());
    for (const auto& member : response.members) {
      w.string(member.member_id);
      w.nullable_string(member.group_instance_id);
      w.int16(code(member.error));
      w.tagged_fields();
    }
  }
  w.tagged_fields();
}

bool decode(WireReader& in, std::int16_t version, ListGroupsRequest* out) {
  if (version >= 4) {  // states_filter: empty lists every group
    const std::size_t count = in.array_count(2);
    out->states.reserve(count);
    for (std::size_t i = 0; i < count && in.ok(); ++i) out->states.push_back(in.string());
  }
  in.tagged_fields();
  return in.ok();
}

void encode(const ListGroupsResponse& response, std::int16_t version, ResponseFrame& out) {
  WireWriter& w = begin_response(ApiKey::kListGroups, version, out);
  if (version >= 1) w.int32(0);  // throttle_time_ms
  w.int16(code(response.error));
  w.array_count(response.groups.size());
  for (const auto& group : response.groups) {
    w.string(group.group_id);
    w.string(group.protocol_type);
    if (version >= 4) w.string(group.state);
    w.tagged_fields();
  }
  w.tagged_fields();
}

bool decode(WireReader& in, std::int16_t version, DescribeGroupsRequest* out) {
  const std::size_t groups = in.array_count(2);
  out->groups.reserve(groups);
  for (std::size_t i = 0; i < groups && in.ok(); ++i) out->groups.push_back(in.string());
  if (version >= 3) (void)in.boolean();  // include_authorized_operations
  in.tagged_fields();
  return in.ok();
}

void encode(const DescribeGroupsResponse& response, std::int16_t version, ResponseFrame& out) {
  WireWriter& w = begin_response(ApiKey::kDescribeGroups, version, out);
  if (version >= 1) w.int32(0);  // throttle_time_ms
  w.array_count(response.groups.size());
  for (const auto& group : response.groups) {
    w.int16(code(group.error));
    w.string(group.group_id);
    w.string(group.state);
    w.string(group.protocol_type);
    w.string(group.protocol);
    w.array_count(group.members.size());
    for (const auto& member : group.members) {
      w.string(member.member_id);
      if (version >= 4) w.nullable_string(member.group_instance_id);
      w.string(member.client_id);
      w.string(member.client_host);
      w.bytes(member.metadata);
      w.bytes(member.assignment);
      w.tagged_fields();
    }
    if (version >= 3) w.int32(INT32_MIN);  // authorized_operations: not computed
    w.tagged_fields();
  }
  w.tagged_fields();
}

}  // namespace strata::kafka
