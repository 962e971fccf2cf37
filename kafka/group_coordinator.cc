#include "kafka/group_coordinator.h"

#include <algorithm>

#include "kafka/protocol.h"

namespace strata::kafka {

namespace {
using Clock = std::chrono::steady_clock;
constexpr std::chrono::milliseconds kSessionTimeoutMin{1'000};
constexpr std::chrono::milliseconds kSessionTimeoutMax{300'000};
}  // namespace

GroupCoordinator::GroupCoordinator() : reaper_([this] { reaper(); }) {}

GroupCoordinator::~GroupCoordinator() {
  shutdown();
  if (reaper_.joinable()) reaper_.join();
}

void GroupCoordinator::shutdown() {
  std::lock_guard lock(mutex_);
  stopping_ = true;
  changed_.notify_all();
}

void GroupCoordinator::start_rebalance(Group& group) {
  if (group.state != State::kPreparingRebalance) {
    std::chrono::milliseconds timeout{0};
    for (auto& [id, member] : group.members) {
      member.joined = false;
      timeout = std::max(timeout, member.rebalance_timeout);
    }
    group.state = State::kPreparingRebalance;
    group.rebalance_deadline = Clock::now() + timeout;
    group.assignments_ready = false;
  }
  changed_.notify_all();
}

void GroupCoordinator::maybe_complete(Group& group, bool deadline_passed) {
  if (group.state != State::kPreparingRebalance) return;
  const bool all_joined =
      std::all_of(group.members.begin(), group.members.end(), [](const auto& m) { return m.second.joined; });
  if (!all_joined && !deadline_passed) return;
  std::erase_if(group.members, [](const auto& m) { return !m.second.joined; });  // did not rejoin in time
  ++group.generation;
  if (group.members.empty()) {
    group.state = State::kEmpty;
    group.leader.clear();
    changed_.notify_all();
    return;
  }
  if (group.members.find(group.leader) == group.members.end()) group.leader = group.members.begin()->first;
  // The first protocol of the leader that every member supports.
  group.protocol.clear();
  for (const auto& [name, metadata] : group.members[group.leader].protocols) {
    const bool everyone = std::all_of(group.members.begin(), group.members.end(), [&](const auto& m) {
      return std::any_of(m.second.protocols.begin(), m.second.protocols.end(),
                         [&](const auto& p) { return p.first == name; });
    });
    if (everyone) {
      group.protocol = name;
      break;
    }
  }
  group.state = State::kCompletingRebalance;
  group.assignments_ready = false;
  changed_.notify_all();
}

void GroupCoordinator::members_changed(Group& group) {
  if (!group.members.empty()) {
    start_rebalance(group);
    maybe_complete(group, false);
    return;
  }
  group.state = State::kEmpty;
  group.leader.clear();
  ++group.generation;
  changed_.notify_all();
}

JoinResponse GroupCoordinator::join(const JoinRequest& request) {
  JoinResponse response;
  if (request.group.empty()) {
    response.error = error::kInvalidGroupId;
    return response;
  }
  if (request.session_timeout < kSessionTimeoutMin || request.session_timeout > kSessionTimeoutMax) {
    response.error = error::kInvalidSessionTimeout;
    return response;
  }
  std::unique_lock lock(mutex_);
  Group& group = groups_[request.group];
  if (!group.members.empty() && group.protocol_type != request.protocol_type) {
    response.error = error::kInconsistentGroupProtocol;
    return response;
  }
  std::string member_id = request.member_id;
  if (member_id.empty()) {
    member_id = (request.client_id.empty() ? "member" : request.client_id) + "-" + std::to_string(++next_member_);
  } else if (group.members.find(member_id) == group.members.end()) {
    response.error = error::kUnknownMemberId;
    return response;
  }
  group.protocol_type = request.protocol_type;
  Member& member = group.members[member_id];
  member.client_id = request.client_id;
  member.session_timeout = request.session_timeout;
  member.rebalance_timeout = request.rebalance_timeout;
  member.protocols = request.protocols;
  member.last_seen = Clock::now();
  start_rebalance(group);
  group.members[member_id].joined = true;
  maybe_complete(group, false);
  // Park until this rebalance completes (std::map nodes are stable: `group` stays valid).
  while (!stopping_ && group.state == State::kPreparingRebalance) {
    if (changed_.wait_until(lock, group.rebalance_deadline) == std::cv_status::timeout) {
      maybe_complete(group, true);
    }
  }
  Group& done = group;
  if (stopping_ || done.members.find(member_id) == done.members.end()) {
    response.error = stopping_ ? error::kCoordinatorNotAvailable : error::kUnknownMemberId;
    return response;
  }
  if (done.protocol.empty()) {
    response.error = error::kInconsistentGroupProtocol;
    return response;
  }
  response.generation = done.generation;
  response.protocol = done.protocol;
  response.leader = done.leader;
  response.member_id = member_id;
  if (member_id == done.leader) {
    for (const auto& [id, m] : done.members) {
      for (const auto& [name, metadata] : m.protocols) {
        if (name == done.protocol) response.members.emplace_back(id, metadata);
      }
    }
  }
  done.members[member_id].last_seen = Clock::now();
  return response;
}

std::int16_t GroupCoordinator::sync(const std::string& group_id, std::int32_t generation, const std::string& member_id,
                                    const std::vector<std::pair<std::string, std::string>>& assignments,
                                    std::string* assignment) {
  std::unique_lock lock(mutex_);
  auto it = groups_.find(group_id);
  if (it == groups_.end() || it->second.members.find(member_id) == it->second.members.end()) {
    return error::kUnknownMemberId;
  }
  Group& group = it->second;
  if (generation != group.generation) return error::kIllegalGeneration;
  if (group.state == State::kPreparingRebalance) return error::kRebalanceInProgress;
  group.members[member_id].last_seen = Clock::now();
  if (member_id == group.leader && group.state == State::kCompletingRebalance) {
    for (auto& [id, member] : group.members) member.assignment.clear();
    for (const auto& [id, bytes] : assignments) {
      if (auto member = group.members.find(id); member != group.members.end()) member->second.assignment = bytes;
    }
    group.assignments_ready = true;
    group.state = State::kStable;
    changed_.notify_all();
  }
  const auto deadline = Clock::now() + group.members[member_id].session_timeout;
  while (!stopping_ && group.generation == generation && !group.assignments_ready &&
         group.state == State::kCompletingRebalance) {
    if (changed_.wait_until(lock, deadline) == std::cv_status::timeout) break;
  }
  if (stopping_) return error::kCoordinatorNotAvailable;
  if (group.generation != generation || group.state == State::kPreparingRebalance) return error::kRebalanceInProgress;
  if (!group.assignments_ready) {
    start_rebalance(group);  // the leader never sent the assignments
    return error::kRebalanceInProgress;
  }
  auto member = group.members.find(member_id);
  if (member == group.members.end()) return error::kUnknownMemberId;
  *assignment = member->second.assignment;
  return error::kNone;
}

std::int16_t GroupCoordinator::heartbeat(const std::string& group_id, std::int32_t generation,
                                         const std::string& member_id) {
  std::lock_guard lock(mutex_);
  auto it = groups_.find(group_id);
  if (it == groups_.end()) return error::kUnknownMemberId;
  Group& group = it->second;
  auto member = group.members.find(member_id);
  if (member == group.members.end()) return error::kUnknownMemberId;
  member->second.last_seen = Clock::now();
  if (group.state == State::kPreparingRebalance) return error::kRebalanceInProgress;
  if (generation != group.generation) return error::kIllegalGeneration;
  return error::kNone;
}

std::int16_t GroupCoordinator::leave(const std::string& group_id, const std::string& member_id) {
  std::lock_guard lock(mutex_);
  auto it = groups_.find(group_id);
  if (it == groups_.end() || it->second.members.erase(member_id) == 0) return error::kUnknownMemberId;
  members_changed(it->second);
  return error::kNone;
}

std::int16_t GroupCoordinator::check_commit(const std::string& group_id, std::int32_t generation,
                                            const std::string& member_id) {
  std::lock_guard lock(mutex_);
  auto it = groups_.find(group_id);
  if (generation < 0 && member_id.empty()) {
    return it == groups_.end() || it->second.members.empty() ? error::kNone : error::kUnknownMemberId;
  }
  if (it == groups_.end() || it->second.members.find(member_id) == it->second.members.end()) {
    return error::kUnknownMemberId;
  }
  if (generation != it->second.generation) return error::kIllegalGeneration;
  if (it->second.state == State::kCompletingRebalance) return error::kRebalanceInProgress;
  it->second.members[member_id].last_seen = Clock::now();
  return error::kNone;
}

std::vector<GroupListing> GroupCoordinator::list() {
  std::lock_guard lock(mutex_);
  std::vector<GroupListing> listings;
  for (const auto& [name, group] : groups_) listings.push_back({name, group.protocol_type});
  return listings;
}

void GroupCoordinator::expire_members() {
  const auto now = Clock::now();
  for (auto& [name, group] : groups_) {
    const std::size_t before = group.members.size();
    std::erase_if(group.members, [&](const auto& m) { return now - m.second.last_seen > m.second.session_timeout; });
    if (group.members.size() != before) members_changed(group);
    if (group.state == State::kPreparingRebalance) maybe_complete(group, now >= group.rebalance_deadline);
  }
}

void GroupCoordinator::reaper() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    changed_.wait_for(lock, std::chrono::milliseconds(250));
    expire_members();
  }
}

}  // namespace strata::kafka
