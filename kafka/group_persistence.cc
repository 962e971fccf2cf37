// GroupCoordinator's durable side (see group_coordinator.h): its groups' state into the log directory's
// group log and back after a restart, and a static member taking its old place again (KIP-345).
#include <algorithm>
#include <cstdio>

#include "kafka/group_coordinator.h"
#include "kafka/group_state.h"
#include "strata/consumer_group.h"

namespace strata::kafka {

void GroupCoordinator::adopt_request(Member& member, const JoinGroupRequest& request, std::string_view client_id,
                                     std::string_view client_host) {
  member.instance_id =
      request.group_instance_id ? std::optional<std::string>(*request.group_instance_id) : std::nullopt;
  member.client_id = std::string(client_id);
  member.client_host = std::string(client_host);
  member.session_timeout_ms = request.session_timeout_ms;
  member.rebalance_timeout_ms = std::max(request.rebalance_timeout_ms, request.session_timeout_ms);
  member.protocols.clear();
  for (const auto& protocol : request.protocols) {
    member.protocols.emplace_back(std::string(protocol.name),
                                  std::vector<std::byte>(protocol.metadata.begin(), protocol.metadata.end()));
  }
  member.last_seen = now();
}

void GroupCoordinator::persist(const Group& group) {
  if (options_.state_directory.empty()) return;
  std::string state;
  if (!group.members.empty()) {
    StoredGroup stored{group.protocol_type, group.generation, group.protocol, group.leader,
                       group.state == State::kStable, {}};
    for (const auto& member : group.members) {
      stored.members.push_back({member->id, member->instance_id, member->client_id, member->client_host,
                                member->session_timeout_ms, member->rebalance_timeout_ms, member->protocols,
                                member->assignment});
    }
    state = encode_group_state(stored);
  }
  const Status stored = store_group_coordinator_state(options_.state_directory, group.id, state);
  if (!stored.is_ok()) {
    std::fprintf(stderr, "strata serve: group %s: storing its state: %s (a restart will rebalance it)\n",
                 group.id.c_str(), stored.to_string().c_str());
  }
}

void GroupCoordinator::load_persisted() {
  if (options_.state_directory.empty()) return;
  auto states = read_group_coordinator_states(options_.state_directory);
  if (!states) {
    std::fprintf(stderr, "strata serve: reading the groups' state: %s (groups start empty)\n",
                 states.status().to_string().c_str());
    return;
  }
  const auto restarted = now();
  for (const auto& [id, bytes] : *states) {
    auto stored = decode_group_state(bytes);
    if (!stored || stored->members.empty()) {
      std::fprintf(stderr, "strata serve: group %s: its stored state does not decode; it starts empty\n", id.c_str());
      continue;
    }
    auto group = std::make_unique<Group>();
    group->id = id;
    group->state = stored->stable ? State::kStable : State::kCompletingRebalance;
    group->generation = stored->generation;
    group->protocol_type = stored->protocol_type;
    group->protocol = stored->protocol;
    group->leader = stored->leader;
    std::int32_t rebalance_timeout_ms = 0;
    for (StoredMember& entry : stored->members) {
      auto member = std::make_unique<Member>();
      member->id = std::move(entry.id);
      member->instance_id = std::move(entry.instance_id);
      member->client_id = std::move(entry.client_id);
      member->client_host = std::move(entry.client_host);
      member->session_timeout_ms = entry.session_timeout_ms;
      member->rebalance_timeout_ms = entry.rebalance_timeout_ms;
      member->protocols = std::move(entry.protocols);
      member->assignment = std::move(entry.assignment);
      member->last_seen = restarted;  // a session counts from the restart
      rebalance_timeout_ms = std::max(rebalance_timeout_ms, member->rebalance_timeout_ms);
      group->members.push_back(std::move(member));
    }
    group->sync_deadline = restarted + std::chrono::milliseconds(rebalance_timeout_ms);
    groups_.emplace(id, std::move(group));
  }
}

bool GroupCoordinator::rejoin_static_member(Group& group, const JoinGroupRequest& request,
                                            std::string_view client_id, std::string_view client_host,
                                            Member** member, JoinGroupResponse* response) {
  Member* known = group.find_instance(*request.group_instance_id);
  if (known == nullptr) return false;
  Member& entry = *known;
  const std::string old_leader = group.leader;
  const bool unchanged = same_protocols(entry.protocols, request);
  if (group.leader == entry.id) group.leader = std::string();  // set below, once the new id is known
  entry.id = new_member_id(client_id);
  if (group.leader.empty()) group.leader = entry.id;
  adopt_request(entry, request, client_id, client_host);
  *member = &entry;
  if (group.state != State::kStable || !unchanged) return false;
  persist(group);
  // The old leader id: a replaced leader must not take itself for the leader and assign again (Kafka's
  // answer); its SyncGroup gets its assignment.
  response->generation_id = group.generation;
  response->protocol_name = group.protocol;
  response->leader = old_leader;
  response->member_id = entry.id;
  return true;
}

}  // namespace strata::kafka
