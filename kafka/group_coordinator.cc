// The classic group protocol's state machine (see group_coordinator.h). Parked JoinGroup and SyncGroup
// requests wait on changed_ in bounded slices and re-check their member, so a member removed by a leave or
// a timeout, a newer join of the same member, or shutdown() each end the wait with an error.
#include "kafka/group_coordinator.h"

#include <algorithm>
#include <cstdio>

namespace strata::kafka {

namespace {

constexpr auto kWaitSlice = std::chrono::milliseconds(100);
// A parked request is answered at the latest this long after its own timeout, whatever tick() does.
constexpr auto kParkSlack = std::chrono::seconds(5);

}  // namespace

bool same_protocols(const std::vector<std::pair<std::string, std::vector<std::byte>>>& stored,
                    const JoinGroupRequest& request) {
  if (stored.size() != request.protocols.size()) return false;
  for (std::size_t i = 0; i < stored.size(); ++i) {
    const auto& metadata = request.protocols[i].metadata;
    if (stored[i].first != request.protocols[i].name ||
        !std::equal(stored[i].second.begin(), stored[i].second.end(), metadata.begin(), metadata.end())) {
      return false;
    }
  }
  return true;
}

GroupCoordinator::GroupCoordinator(GroupCoordinatorOptions options)
    : options_(std::move(options)), random_(std::random_device{}()) {
  load_persisted();
}

GroupCoordinator::Member* GroupCoordinator::Group::find(std::string_view member_id) const {
  for (const auto& member : members) {
    if (member->id == member_id) return member.get();
  }
  return nullptr;
}

GroupCoordinator::Member* GroupCoordinator::Group::find_instance(std::string_view instance_id) const {
  for (const auto& member : members) {
    if (member->instance_id == instance_id) return member.get();
  }
  return nullptr;
}

bool GroupCoordinator::Group::fences(std::optional<std::string_view> instance_id, std::string_view member_id) const {
  if (!instance_id) return false;
  const Member* current = find_instance(*instance_id);
  return current != nullptr && current->id != member_id;
}

std::string_view GroupCoordinator::state_name(State state) {
  switch (state) {
    case State::kEmpty:
      return "Empty";
    case State::kPreparingRebalance:
      return "PreparingRebalance";
    case State::kCompletingRebalance:
      return "CompletingRebalance";
    case State::kStable:
      return "Stable";
  }
  return "Dead";
}

GroupCoordinator::Group* GroupCoordinator::find_group(std::string_view group_id) const {
  auto it = groups_.find(group_id);
  return it == groups_.end() ? nullptr : it->second.get();
}

std::string GroupCoordinator::new_member_id(std::string_view client_id) {
  char suffix[24];
  std::snprintf(suffix, sizeof suffix, "-%016llx", static_cast<unsigned long long>(random_()));
  // Bounded so that the id fits a protocol string whatever the client's id.
  return std::string(client_id.substr(0, 200)) + suffix;
}

bool GroupCoordinator::supports_common_protocol(const Group& group, const JoinGroupRequest& request) const {
  for (const auto& offered : request.protocols) {
    const bool everyone = std::all_of(group.members.begin(), group.members.end(), [&](const auto& member) {
      return std::any_of(member->protocols.begin(), member->protocols.end(),
                         [&](const auto& p) { return p.first == offered.name; });
    });
    if (everyone) return true;
  }
  return false;
}

JoinGroupResponse GroupCoordinator::join_response(const Group& group, const Member& member) const {
  JoinGroupResponse response;
  response.generation_id = group.generation;
  response.protocol_type = group.protocol_type;
  response.protocol_name = group.protocol;
  response.leader = group.leader;
  response.member_id = member.id;
  if (member.id == group.leader) {
    for (const auto& other : group.members) {
      auto chosen = std::find_if(other->protocols.begin(), other->protocols.end(),
                                 [&](const auto& p) { return p.first == group.protocol; });
      response.members.push_back(
          {other->id, other->instance_id,
           chosen == other->protocols.end() ? std::vector<std::byte>{} : chosen->second});
    }
  }
  return response;
}

void GroupCoordinator::prepare_rebalance(Group& group) {
  std::int32_t timeout_ms = 0;
  for (const auto& member : group.members) {
    timeout_ms = std::max(timeout_ms, member->rebalance_timeout_ms);
    // A follower parked in SyncGroup learns that this generation is over.
    if (!member->sync_result) member->sync_result = SyncGroupResponse{ErrorCode::kRebalanceInProgress, {}};
  }
  group.state = State::kPreparingRebalance;
  group.rebalance_deadline = now() + std::chrono::milliseconds(timeout_ms);
  changed_.notify_all();
}

void GroupCoordinator::delay_initial_join(Group& group, bool from_empty, const Member& member) {
  if (options_.initial_rebalance_delay_ms <= 0) return;
  const auto delay = std::chrono::milliseconds(options_.initial_rebalance_delay_ms);
  if (from_empty) {
    group.initial_delay_limit = now() + std::chrono::milliseconds(member.rebalance_timeout_ms);
    group.join_not_before = std::min(now() + delay, group.initial_delay_limit);
  } else if (now() < group.join_not_before) {
    group.join_not_before = std::min(now() + delay, group.initial_delay_limit);
  }
}

void GroupCoordinator::maybe_complete_join(Group& group) {
  if (group.state != State::kPreparingRebalance || now() < group.join_not_before) return;
  const bool all_joined = std::all_of(group.members.begin(), group.members.end(),
                                      [](const auto& member) { return member->join_pending; });
  if (all_joined) complete_join(group);
}

void GroupCoordinator::complete_join(Group& group) {
  // Members that did not rejoin in time leave the group.
  std::erase_if(group.members, [](const auto& member) { return !member->join_pending; });
  ++group.generation;
  if (group.members.empty()) {
    group.state = State::kEmpty;
    group.protocol.clear();
    group.leader.clear();
    persist(group);
    changed_.notify_all();
    return;
  }
  if (group.find(group.leader) == nullptr) group.leader = group.members.front()->id;
  group.protocol = vote_protocol(group);
  group.state = State::kCompletingRebalance;
  std::int32_t timeout_ms = 0;
  for (const auto& member : group.members) timeout_ms = std::max(timeout_ms, member->rebalance_timeout_ms);
  group.sync_deadline = now() + std::chrono::milliseconds(timeout_ms);
  for (const auto& member : group.members) {
    member->join_pending = false;
    member->join_result = join_response(group, *member);
    member->sync_result.reset();
    member->assignment.clear();
    member->last_seen = now();
  }
  persist(group);
  changed_.notify_all();
}

// Kafka's vote: the candidates are the protocols every member supports; each member votes for the first
// candidate in its own order of preference; the most votes win, a tie going to the leader's preference.
std::string GroupCoordinator::vote_protocol(const Group& group) {
  const auto supported_by_all = [&](std::string_view name) {
    return std::all_of(group.members.begin(), group.members.end(), [&](const auto& member) {
      return std::any_of(member->protocols.begin(), member->protocols.end(),
                         [&](const auto& p) { return p.first == name; });
    });
  };
  std::map<std::string_view, int> votes;
  for (const auto& member : group.members) {
    for (const auto& [name, metadata] : member->protocols) {
      if (!supported_by_all(name)) continue;
      ++votes[name];
      break;
    }
  }
  const Member* leader = group.find(group.leader);
  std::string chosen;
  int most = 0;
  for (const auto& [name, metadata] : leader->protocols) {
    auto it = votes.find(name);
    if (it != votes.end() && it->second > most) {
      chosen = name;
      most = it->second;
    }
  }
  return chosen;
}

void GroupCoordinator::remove_member(Group& group, std::string_view member_id) {
  std::erase_if(group.members, [&](const auto& member) { return member->id == member_id; });
  changed_.notify_all();
}

JoinGroupResponse GroupCoordinator::join(const JoinGroupRequest& request, std::string_view client_id,
                                         std::string_view client_host) {
  std::unique_lock lock(mutex_);
  auto started = start_join_locked(request, client_id, client_host);
  if (auto* response = std::get_if<JoinGroupResponse>(&started)) return std::move(*response);
  const JoinWait& wait = std::get<JoinWait>(started);
  for (;;) {
    if (auto response = poll_join_locked(wait)) return std::move(*response);
    changed_.wait_for(lock, kWaitSlice);
  }
}

std::variant<JoinGroupResponse, GroupCoordinator::JoinWait> GroupCoordinator::start_join(
    const JoinGroupRequest& request, std::string_view client_id, std::string_view client_host) {
  std::lock_guard lock(mutex_);
  return start_join_locked(request, client_id, client_host);
}

std::optional<JoinGroupResponse> GroupCoordinator::poll_join(const JoinWait& wait) {
  std::lock_guard lock(mutex_);
  return poll_join_locked(wait);
}

std::variant<JoinGroupResponse, GroupCoordinator::JoinWait> GroupCoordinator::start_join_locked(
    const JoinGroupRequest& request, std::string_view client_id, std::string_view client_host) {
  JoinGroupResponse error;
  error.member_id = std::string(request.member_id);
  if (shut_down_) {
    error.error = ErrorCode::kCoordinatorNotAvailable;
    return error;
  }
  if (request.group_id.empty()) {
    error.error = ErrorCode::kInvalidGroupId;
    return error;
  }
  if (request.session_timeout_ms < options_.session_timeout_min_ms ||
      request.session_timeout_ms > options_.session_timeout_max_ms) {
    error.error = ErrorCode::kInvalidSessionTimeout;
    return error;
  }
  if (request.protocol_type.empty() || request.protocols.empty()) {
    error.error = ErrorCode::kInconsistentGroupProtocol;
    return error;
  }
  auto [it, created] = groups_.try_emplace(std::string(request.group_id));
  if (created) {
    it->second = std::make_unique<Group>();
    it->second->id = std::string(request.group_id);
  }
  Group& group = *it->second;
  if (!group.members.empty() &&
      (group.protocol_type != request.protocol_type || !supports_common_protocol(group, request))) {
    error.error = ErrorCode::kInconsistentGroupProtocol;
    return error;
  }
  Member* member = nullptr;
  if (request.member_id.empty() && request.group_instance_id) {
    JoinGroupResponse response;
    if (rejoin_static_member(group, request, client_id, client_host, &member, &response)) return response;
  }
  if (member == nullptr && request.member_id.empty()) {
    auto fresh = std::make_unique<Member>();
    fresh->id = new_member_id(client_id);
    member = fresh.get();
    group.members.push_back(std::move(fresh));
  } else if (member == nullptr) {
    if (group.fences(request.group_instance_id, request.member_id)) {
      error.error = ErrorCode::kFencedInstanceId;
      return error;
    }
    member = group.find(request.member_id);
    if (member == nullptr) {
      error.error = ErrorCode::kUnknownMemberId;
      return error;
    }
  }
  group.protocol_type = std::string(request.protocol_type);
  const bool unchanged = same_protocols(member->protocols, request);
  adopt_request(*member, request, client_id, client_host);

  // A known member rejoining with the same metadata while nothing changed gets the current generation back
  // (the leader too, once assignments are pending), as Kafka answers a duplicate join.
  if (unchanged && !request.member_id.empty() &&
      ((group.state == State::kStable && member->id != group.leader) ||
       group.state == State::kCompletingRebalance)) {
    return join_response(group, *member);
  }
  const bool from_empty = group.state == State::kEmpty;
  if (group.state != State::kPreparingRebalance) prepare_rebalance(group);
  delay_initial_join(group, from_empty, *member);
  member->join_pending = true;
  const std::uint64_t ticket = ++member->join_ticket;
  member->join_result.reset();
  const std::string member_id = member->id;
  maybe_complete_join(group);

  const auto deadline = now() + std::chrono::milliseconds(member->rebalance_timeout_ms) + kParkSlack;
  return JoinWait{std::string(request.group_id), member_id, ticket, deadline};
}

std::optional<JoinGroupResponse> GroupCoordinator::poll_join_locked(const JoinWait& wait) {
  JoinGroupResponse error;
  error.member_id = wait.member_id;
  Group* current = find_group(wait.group_id);
  Member* waiting = current == nullptr ? nullptr : current->find(wait.member_id);
  if (waiting == nullptr) {
    error.error = ErrorCode::kUnknownMemberId;
    return error;
  }
  if (waiting->join_ticket != wait.ticket) {  // a newer join of the same member took over
    error.error = ErrorCode::kRebalanceInProgress;
    return error;
  }
  if (waiting->join_result) {
    JoinGroupResponse response = std::move(*waiting->join_result);
    waiting->join_result.reset();
    return response;
  }
  if (shut_down_ || now() >= wait.deadline) {
    error.error = shut_down_ ? ErrorCode::kCoordinatorNotAvailable : ErrorCode::kRebalanceInProgress;
    return error;
  }
  return std::nullopt;
}

SyncGroupResponse GroupCoordinator::sync(const SyncGroupRequest& request) {
  std::unique_lock lock(mutex_);
  auto started = start_sync_locked(request);
  if (auto* response = std::get_if<SyncGroupResponse>(&started)) return std::move(*response);
  const SyncWait& wait = std::get<SyncWait>(started);
  for (;;) {
    if (auto response = poll_sync_locked(wait)) return std::move(*response);
    changed_.wait_for(lock, kWaitSlice);
  }
}

std::variant<SyncGroupResponse, GroupCoordinator::SyncWait> GroupCoordinator::start_sync(
    const SyncGroupRequest& request) {
  std::lock_guard lock(mutex_);
  return start_sync_locked(request);
}

std::optional<SyncGroupResponse> GroupCoordinator::poll_sync(const SyncWait& wait) {
  std::lock_guard lock(mutex_);
  return poll_sync_locked(wait);
}

std::variant<SyncGroupResponse, GroupCoordinator::SyncWait> GroupCoordinator::start_sync_locked(
    const SyncGroupRequest& request) {
  if (shut_down_) return SyncGroupResponse{ErrorCode::kCoordinatorNotAvailable, {}};
  Group* group = find_group(request.group_id);
  if (group != nullptr && group->fences(request.group_instance_id, request.member_id)) {
    return SyncGroupResponse{ErrorCode::kFencedInstanceId, {}};
  }
  Member* member = group == nullptr ? nullptr : group->find(request.member_id);
  if (member == nullptr) return SyncGroupResponse{ErrorCode::kUnknownMemberId, {}};
  if (request.generation_id != group->generation) return SyncGroupResponse{ErrorCode::kIllegalGeneration, {}};
  member->last_seen = now();
  switch (group->state) {
    case State::kEmpty:
      return SyncGroupResponse{ErrorCode::kUnknownMemberId, {}};
    case State::kPreparingRebalance:
      return SyncGroupResponse{ErrorCode::kRebalanceInProgress, {}};
    case State::kStable:
      return SyncGroupResponse{ErrorCode::kNone, member->assignment};
    case State::kCompletingRebalance:
      break;
  }
  if (member->id == group->leader) {
    for (const auto& member_entry : group->members) member_entry->assignment.clear();
    for (const auto& assignment : request.assignments) {
      if (Member* target = group->find(assignment.member_id)) {
        target->assignment.assign(assignment.assignment.begin(), assignment.assignment.end());
      }
    }
    group->state = State::kStable;
    persist(*group);
    for (const auto& member_entry : group->members) {
      member_entry->sync_result = SyncGroupResponse{ErrorCode::kNone, member_entry->assignment};
    }
    changed_.notify_all();
    member->sync_result.reset();
    return SyncGroupResponse{ErrorCode::kNone, member->assignment};
  }
  const auto deadline = now() + std::chrono::milliseconds(member->rebalance_timeout_ms) + kParkSlack;
  return SyncWait{group->id, member->id, group->generation, deadline};
}

std::optional<SyncGroupResponse> GroupCoordinator::poll_sync_locked(const SyncWait& wait) {
  Group* current = find_group(wait.group_id);
  Member* waiting = current == nullptr ? nullptr : current->find(wait.member_id);
  if (waiting == nullptr) return SyncGroupResponse{ErrorCode::kUnknownMemberId, {}};
  if (current->generation != wait.generation) return SyncGroupResponse{ErrorCode::kRebalanceInProgress, {}};
  if (waiting->sync_result) {
    SyncGroupResponse response = std::move(*waiting->sync_result);
    waiting->sync_result.reset();
    return response;
  }
  if (shut_down_) return SyncGroupResponse{ErrorCode::kCoordinatorNotAvailable, {}};
  if (now() >= wait.deadline) return SyncGroupResponse{ErrorCode::kRebalanceInProgress, {}};
  return std::nullopt;
}

HeartbeatResponse GroupCoordinator::heartbeat(const HeartbeatRequest& request) {
  std::lock_guard lock(mutex_);
  if (shut_down_) return {ErrorCode::kCoordinatorNotAvailable};
  Group* group = find_group(request.group_id);
  if (group != nullptr && group->fences(request.group_instance_id, request.member_id)) {
    return {ErrorCode::kFencedInstanceId};
  }
  Member* member = group == nullptr ? nullptr : group->find(request.member_id);
  if (member == nullptr) return {ErrorCode::kUnknownMemberId};
  if (request.generation_id != group->generation) return {ErrorCode::kIllegalGeneration};
  member->last_seen = now();
  if (group->state == State::kPreparingRebalance) return {ErrorCode::kRebalanceInProgress};
  return {ErrorCode::kNone};
}

ErrorCode GroupCoordinator::leaving_member_error(const Group* group, std::string_view member_id,
                                                 std::optional<std::string_view> instance_id) {
  if (group == nullptr) return ErrorCode::kUnknownMemberId;
  if (member_id.empty()) {
    return instance_id && group->find_instance(*instance_id) != nullptr ? ErrorCode::kNone
                                                                       : ErrorCode::kUnknownMemberId;
  }
  if (group->fences(instance_id, member_id)) return ErrorCode::kFencedInstanceId;
  return group->find(member_id) != nullptr ? ErrorCode::kNone : ErrorCode::kUnknownMemberId;
}

LeaveGroupResponse GroupCoordinator::leave(const LeaveGroupRequest& request) {
  std::lock_guard lock(mutex_);
  LeaveGroupResponse response;
  if (shut_down_) {
    response.error = ErrorCode::kCoordinatorNotAvailable;
    return response;
  }
  Group* group = find_group(request.group_id);
  bool removed = false;
  for (const auto& leaving : request.members) {
    LeaveGroupResponse::Member result{
        std::string(leaving.member_id),
        leaving.group_instance_id ? std::optional<std::string>(*leaving.group_instance_id) : std::nullopt,
        ErrorCode::kNone};
    result.error = leaving_member_error(group, leaving.member_id, leaving.group_instance_id);
    if (result.error == ErrorCode::kNone) {
      // A static member may leave by its group.instance.id alone (member id empty, LeaveGroup v3+).
      const Member* member = leaving.member_id.empty() ? group->find_instance(*leaving.group_instance_id)
                                                       : group->find(leaving.member_id);
      const std::string id = member->id;  // remove_member destroys the member
      remove_member(*group, id);
      removed = true;
    }
    response.members.push_back(std::move(result));
  }
  // v0-2 carry one member: its error is the response's.
  if (request.members.size() == 1) response.error = response.members.front().error;
  if (removed) {
    if (group->state == State::kStable || group->state == State::kCompletingRebalance)
      prepare_rebalance(*group);
    maybe_complete_join(*group);
  }
  return response;
}

ErrorCode GroupCoordinator::commit_error(std::string_view group_id, std::int32_t generation,
                                         std::string_view member_id,
                                         std::optional<std::string_view> group_instance_id) {
  std::lock_guard lock(mutex_);
  if (shut_down_) return ErrorCode::kCoordinatorNotAvailable;
  Group* group = find_group(group_id);
  if (group == nullptr || group->members.empty()) {
    return generation < 0 ? ErrorCode::kNone : ErrorCode::kIllegalGeneration;
  }
  if (group->fences(group_instance_id, member_id)) return ErrorCode::kFencedInstanceId;
  if (group->state == State::kCompletingRebalance) return ErrorCode::kRebalanceInProgress;
  Member* member = group->find(member_id);
  if (member == nullptr) return ErrorCode::kUnknownMemberId;
  if (generation != group->generation) return ErrorCode::kIllegalGeneration;
  member->last_seen = now();
  return ErrorCode::kNone;
}

std::vector<ListGroupsResponse::Group> GroupCoordinator::list() const {
  std::lock_guard lock(mutex_);
  std::vector<ListGroupsResponse::Group> out;
  for (const auto& [id, group] : groups_) {
    out.push_back({id, group->protocol_type, std::string(state_name(group->state))});
  }
  return out;
}

std::optional<DescribeGroupsResponse::Group> GroupCoordinator::describe(std::string_view group_id) const {
  std::lock_guard lock(mutex_);
  Group* group = find_group(group_id);
  if (group == nullptr) return std::nullopt;
  DescribeGroupsResponse::Group out;
  out.group_id = group->id;
  out.state = std::string(state_name(group->state));
  out.protocol_type = group->protocol_type;
  out.protocol = group->protocol;
  for (const auto& member : group->members) {
    DescribeGroupsResponse::Member described{
        member->id, member->instance_id, member->client_id, member->client_host, {}, member->assignment};
    for (const auto& [name, metadata] : member->protocols) {
      if (name == group->protocol) described.metadata = metadata;
    }
    out.members.push_back(std::move(described));
  }
  return out;
}

void GroupCoordinator::tick() {
  std::lock_guard lock(mutex_);
  const auto current = now();
  for (auto it = groups_.begin(); it != groups_.end();) {
    Group& group = *it->second;
    // Expire members whose session passed (a member parked in JoinGroup is alive by definition).
    std::vector<std::string> expired;
    for (const auto& member : group.members) {
      if (!member->join_pending &&
          current - member->last_seen > std::chrono::milliseconds(member->session_timeout_ms)) {
        expired.push_back(member->id);
      }
    }
    for (const auto& id : expired) {
      std::fprintf(stderr,
                   "strata serve: group %s: member %s expired (no heartbeat within its session timeout)\n",
                   group.id.c_str(), id.c_str());
      remove_member(group, id);
    }
    if (!expired.empty() && (group.state == State::kStable || group.state == State::kCompletingRebalance)) {
      prepare_rebalance(group);
    }
    if (group.state == State::kPreparingRebalance) {
      if (current >= group.rebalance_deadline) {
        complete_join(group);
      } else {
        maybe_complete_join(group);
      }
    } else if (group.state == State::kCompletingRebalance && current >= group.sync_deadline) {
      prepare_rebalance(group);  // the leader never sent the assignments
    }
    if (group.state == State::kEmpty && group.members.empty()) {
      it = groups_.erase(it);
    } else {
      ++it;
    }
  }
}

void GroupCoordinator::shutdown() {
  std::lock_guard lock(mutex_);
  shut_down_ = true;
  changed_.notify_all();
}

}  // namespace strata::kafka
