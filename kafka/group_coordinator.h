// GroupCoordinator: Kafka's classic consumer-group protocol with this node as the only coordinator.
//
//   Empty ──join──► PreparingRebalance ──all known members joined, or the rebalance timeout──►
//   CompletingRebalance ──the leader's SyncGroup──► Stable ──join / leave / session timeout──► Preparing...
//
// A JoinGroup parks until every known member has rejoined (or the rebalance timeout passes, and those that
// did not rejoin are dropped); then the generation goes up, the protocol is chosen by Kafka's vote, and
// the leader (the previous one if still a member, else the first to join) gets the members' metadata. A
// follower's SyncGroup parks until the leader's brings the assignments. Member ids are assigned on the first
// join (client_id-<random>), without KIP-394's MEMBER_ID_REQUIRED round trip, which some clients loop on.
//
// With a state_directory, what the coordinator knows of a group (generation, protocol, leader, members and
// their assignments; kafka/group_state.h) is stored durably in that log directory's group log whenever a
// generation completes, its assignments arrive or the group empties, and loaded on construction: after a
// restart, members heartbeat and commit with their generation as before, and a session counts from the
// restart. A static member (group.instance.id) that joins again with no member id while the group is
// stable gets a new member id and its old assignment, without a rebalance (KIP-345). Committed offsets do
// not live here: they are strata's group checkpoints (strata/consumer_group.h), which the request handler
// writes once commit_error() allows the commit.
//
// Threads: any. One mutex guards every group; parked requests wait on one condition variable. tick() must
// be called now and then (the server calls it every 100 ms) to apply rebalance and session timeouts.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "kafka/messages.h"

namespace strata::kafka {

struct GroupCoordinatorOptions {
  std::int32_t session_timeout_min_ms = 1000;  // Kafka's default minimum is 6000; tests use short sessions
  std::int32_t session_timeout_max_ms = 1'800'000;
  std::string state_directory;  // the log directory whose group log keeps the groups' state; empty: none
  // Kafka's group.initial.rebalance.delay.ms: the first rebalance of an empty group waits this long for more
  // members (each one that joins meanwhile adds as much again, up to the rebalance timeout). 0: none.
  std::int32_t initial_rebalance_delay_ms = 0;
  std::function<std::chrono::steady_clock::time_point()> clock;  // for tests; empty: steady_clock::now
};

// Whether a member's stored protocols are exactly the request's (names, order and metadata).
bool same_protocols(const std::vector<std::pair<std::string, std::vector<std::byte>>>& stored,
                    const JoinGroupRequest& request);

class GroupCoordinator {
 public:
  using Clock = std::chrono::steady_clock;

  explicit GroupCoordinator(GroupCoordinatorOptions options = {});
  GroupCoordinator(const GroupCoordinator&) = delete;
  GroupCoordinator& operator=(const GroupCoordinator&) = delete;

  // What a parked JoinGroup or SyncGroup waits for (poll_join / poll_sync look).
  struct JoinWait {
    std::string group_id;
    std::string member_id;
    std::uint64_t ticket = 0;  // Member::join_ticket of this join
    Clock::time_point deadline;
  };
  struct SyncWait {
    std::string group_id;
    std::string member_id;
    std::int32_t generation = 0;
    Clock::time_point deadline;
  };

  // Block until the rebalance (or the sync) completes, a timeout applies, or shutdown().
  JoinGroupResponse join(const JoinGroupRequest& request, std::string_view client_id,
                         std::string_view client_host);
  SyncGroupResponse sync(const SyncGroupRequest& request);
  // The same without blocking (the server's continuations): the answer now, or what to wait for, which
  // poll_join / poll_sync answer once the rebalance or the sync completes, a timeout applies (by this
  // coordinator's clock) or shutdown(); nullopt until then.
  std::variant<JoinGroupResponse, JoinWait> start_join(const JoinGroupRequest& request, std::string_view client_id,
                                                       std::string_view client_host);
  std::optional<JoinGroupResponse> poll_join(const JoinWait& wait);
  std::variant<SyncGroupResponse, SyncWait> start_sync(const SyncGroupRequest& request);
  std::optional<SyncGroupResponse> poll_sync(const SyncWait& wait);
  HeartbeatResponse heartbeat(const HeartbeatRequest& request);
  LeaveGroupResponse leave(const LeaveGroupRequest& request);

  // Whether an OffsetCommit from (generation, member) may commit now: kNone, or the error for every
  // partition of the request. generation -1 with an empty member id is a "simple" commit (a consumer that
  // assigns partitions itself), allowed while the group has no members.
  ErrorCode commit_error(std::string_view group_id, std::int32_t generation, std::string_view member_id,
                         std::optional<std::string_view> group_instance_id = std::nullopt);

  // The groups with members here, with their protocol type.
  std::vector<ListGroupsResponse::Group> list() const;
  // One group; nullopt when no member is known (the caller reports it as Empty or Dead).
  std::optional<DescribeGroupsResponse::Group> describe(std::string_view group_id) const;

  // Applies the rebalance, sync and session timeouts that have passed.
  void tick();
  // Wakes every parked request (they answer COORDINATOR_NOT_AVAILABLE); later calls answer the same.
  void shutdown();

 private:
  enum class State : std::uint8_t { kEmpty, kPreparingRebalance, kCompletingRebalance, kStable };

  struct Member {
    std::string id;
    std::optional<std::string> instance_id;
    std::string client_id;
    std::string client_host;
    std::int32_t session_timeout_ms = 0;
    std::int32_t rebalance_timeout_ms = 0;
    std::vector<std::pair<std::string, std::vector<std::byte>>>
        protocols;  // in the member's preference order
    std::vector<std::byte> assignment;
    Clock::time_point last_seen;
    bool join_pending = false;
    std::uint64_t join_ticket = 0;  // which parked JoinGroup join_result answers
    std::optional<JoinGroupResponse> join_result;
    std::optional<SyncGroupResponse> sync_result;
  };

  struct Group {
    std::string id;
    State state = State::kEmpty;
    std::int32_t generation = 0;
    std::string protocol_type;
    std::string protocol;
    std::string leader;
    std::vector<std::unique_ptr<Member>> members;  // in join order
    Clock::time_point rebalance_deadline;
    Clock::time_point sync_deadline;
    Clock::time_point join_not_before;      // the initial rebalance delay's end
    Clock::time_point initial_delay_limit;  // how far joins may push it

    Member* find(std::string_view member_id) const;
    // KIP-345: a request naming a static member's group.instance.id with another member id comes from an
    // instance that a newer one with the same id replaced; it is fenced (FENCED_INSTANCE_ID) so that it stops.
    bool fences(std::optional<std::string_view> instance_id, std::string_view member_id) const;
    Member* find_instance(std::string_view instance_id) const;
  };

  std::variant<JoinGroupResponse, JoinWait> start_join_locked(const JoinGroupRequest& request,
                                                              std::string_view client_id,
                                                              std::string_view client_host);
  std::optional<JoinGroupResponse> poll_join_locked(const JoinWait& wait);
  std::variant<SyncGroupResponse, SyncWait> start_sync_locked(const SyncGroupRequest& request);
  std::optional<SyncGroupResponse> poll_sync_locked(const SyncWait& wait);
  static std::string_view state_name(State state);
  static ErrorCode leaving_member_error(const Group* group, std::string_view member_id,
                                       std::optional<std::string_view> instance_id);
  Clock::time_point now() const { return options_.clock ? options_.clock() : Clock::now(); }
  void delay_initial_join(Group& group, bool from_empty, const Member& member);
  Group* find_group(std::string_view group_id) const;
  std::string new_member_id(std::string_view client_id);
  void prepare_rebalance(Group& group);
  void maybe_complete_join(Group& group);
  void complete_join(Group& group);
  void remove_member(Group& group, std::string_view member_id);
  static std::string vote_protocol(const Group& group);
  JoinGroupResponse join_response(const Group& group, const Member& member) const;
  // The group's state into the group log (removed when it has no members); a failure is logged, not fatal.
  void persist(const Group& group);
  void load_persisted();
  // A static member joining again without its member id: true (and *response set) when it took its old
  // place without a rebalance; false when the group must rebalance (then *member is its entry).
  bool rejoin_static_member(Group& group, const JoinGroupRequest& request, std::string_view client_id,
                            std::string_view client_host, Member** member, JoinGroupResponse* response);
  // Takes the request's client, timeouts and protocols into the member.
  void adopt_request(Member& member, const JoinGroupRequest& request, std::string_view client_id,
                            std::string_view client_host);
  bool supports_common_protocol(const Group& group, const JoinGroupRequest& request) const;

  const GroupCoordinatorOptions options_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::map<std::string, std::unique_ptr<Group>, std::less<>> groups_;
  std::mt19937_64 random_;
  bool shut_down_ = false;
};

}  // namespace strata::kafka
