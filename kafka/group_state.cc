#include "kafka/group_state.h"

#include "kafka/wire.h"

namespace strata::kafka {

namespace {

constexpr std::int16_t kVersion = 1;

void encode_member(const StoredMember& member, WireWriter& out) {
  out.string(member.id);
  out.nullable_string(member.instance_id ? std::optional<std::string_view>(*member.instance_id) : std::nullopt);
  out.string(member.client_id);
  out.string(member.client_host);
  out.int32(member.session_timeout_ms);
  out.int32(member.rebalance_timeout_ms);
  out.array_count(member.protocols.size());
  for (const auto& [name, metadata] : member.protocols) {
    out.string(name);
    out.bytes(metadata);
  }
  out.bytes(member.assignment);
}

StoredMember decode_member(WireReader& in) {
  StoredMember member;
  member.id = std::string(in.string());
  if (auto instance = in.nullable_string()) member.instance_id = std::string(*instance);
  member.client_id = std::string(in.string());
  member.client_host = std::string(in.string());
  member.session_timeout_ms = in.int32();
  member.rebalance_timeout_ms = in.int32();
  const std::size_t protocols = in.array_count(2 + 4);
  for (std::size_t i = 0; i < protocols && in.ok(); ++i) {
    std::string name(in.string());
    const auto metadata = in.bytes();
    member.protocols.emplace_back(std::move(name), std::vector<std::byte>(metadata.begin(), metadata.end()));
  }
  const auto assignment = in.bytes();
  member.assignment.assign(assignment.begin(), assignment.end());
  return member;
}

}  // namespace

std::string encode_group_state(const StoredGroup& group) {
  WireWriter out;
  out.int16(kVersion);
  out.string(group.protocol_type);
  out.int32(group.generation);
  out.string(group.protocol);
  out.string(group.leader);
  out.int8(group.stable ? 1 : 0);
  out.array_count(group.members.size());
  for (const StoredMember& member : group.members) encode_member(member, out);
  return std::string(as_text(out.buffer()));
}

std::optional<StoredGroup> decode_group_state(std::string_view bytes) {
  WireReader in(as_bytes(bytes));
  if (in.int16() != kVersion) return std::nullopt;
  StoredGroup group;
  group.protocol_type = std::string(in.string());
  group.generation = in.int32();
  group.protocol = std::string(in.string());
  group.leader = std::string(in.string());
  group.stable = in.int8() != 0;
  const std::size_t members = in.array_count(2 + 2 + 2 + 2 + 4 + 4 + 4 + 4);
  for (std::size_t i = 0; i < members && in.ok(); ++i) group.members.push_back(decode_member(in));
  if (!in.ok() || in.remaining() != 0) return std::nullopt;
  return group;
}

}  // namespace strata::kafka
