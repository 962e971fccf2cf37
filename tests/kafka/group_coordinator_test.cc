// GroupCoordinator without a network: the classic protocol's joins, syncs, heartbeats, leaves, session
// timeouts and the rules for committing offsets. No threads and no sleeps: waiting requests are parked
// (start_join / start_sync) and polled, timeouts run on a clock the test moves.
#include "kafka/group_coordinator.h"

#include <gtest/gtest.h>

#include <variant>

#include "kafka/group_state.h"
#include "kafka/wire.h"
#include "strata/consumer_group.h"
#include "tests/engine/test_dir.h"

namespace strata::kafka {
namespace {

using namespace std::chrono_literals;

JoinGroupRequest join_request(std::string_view member_id, std::string_view protocol = "range",
                              std::int32_t session_timeout_ms = 1000) {
  JoinGroupRequest request;
  request.group_id = "g";
  request.session_timeout_ms = session_timeout_ms;
  request.rebalance_timeout_ms = 5000;
  request.member_id = member_id;
  request.protocol_type = "consumer";
  request.protocols.push_back({protocol, as_bytes("meta")});
  return request;
}

SyncGroupRequest sync_request(const JoinGroupResponse& joined,
                              std::vector<SyncGroupRequest::Assignment> assignments = {}) {
  SyncGroupRequest request;
  request.group_id = "g";
  request.generation_id = joined.generation_id;
  request.member_id = joined.member_id;
  request.assignments = std::move(assignments);
  return request;
}

HeartbeatRequest heartbeat_request(const JoinGroupResponse& joined) {
  return {"g", joined.generation_id, joined.member_id, std::nullopt};
}

// What a request that must wait parks on (the test fails when it was answered at once).
template <typename Response, typename Wait>
Wait parked(std::variant<Response, Wait> started) {
  EXPECT_TRUE(std::holds_alternative<Wait>(started)) << "answered at once";
  return std::holds_alternative<Wait>(started) ? std::get<Wait>(std::move(started)) : Wait{};
}

// A clock the test moves: timeouts without sleeping.
struct ManualClock {
  std::chrono::steady_clock::time_point now = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);
  GroupCoordinatorOptions options() {
    GroupCoordinatorOptions options;
    options.clock = [this] { return now; };
    return options;
  }
};

TEST(GroupCoordinator, FirstMemberJoinsAloneAsLeaderWithAnAssignedId) {
  GroupCoordinator coordinator;
  const JoinGroupResponse a = coordinator.join(join_request(""), "client-a", "/127.0.0.1");
  EXPECT_EQ(a.error, ErrorCode::kNone);
  EXPECT_EQ(a.generation_id, 1);
  EXPECT_EQ(a.member_id.rfind("client-a-", 0), 0u) << a.member_id;
  EXPECT_EQ(a.leader, a.member_id);
  EXPECT_EQ(a.protocol_name, "range");
  ASSERT_EQ(a.members.size(), 1u);
  const SyncGroupResponse synced = coordinator.sync(sync_request(a, {{a.member_id, as_bytes("all")}}));
  EXPECT_EQ(synced.error, ErrorCode::kNone);
  EXPECT_EQ(as_text(synced.assignment), "all");
  EXPECT_EQ(coordinator.heartbeat(heartbeat_request(a)).error, ErrorCode::kNone);
}

TEST(GroupCoordinator, ASecondMemberRebalancesBothIntoTheNextGeneration) {
  GroupCoordinator coordinator;
  const JoinGroupResponse a1 = coordinator.join(join_request(""), "a", "h");
  ASSERT_EQ(coordinator.sync(sync_request(a1, {{a1.member_id, as_bytes("all")}})).error, ErrorCode::kNone);

  const auto b_join = parked(coordinator.start_join(join_request(""), "b", "h"));
  // a learns of the rebalance from its heartbeat, then rejoins; both joins complete together.
  EXPECT_EQ(coordinator.heartbeat(heartbeat_request(a1)).error, ErrorCode::kRebalanceInProgress);
  EXPECT_FALSE(coordinator.poll_join(b_join)) << "b waits for a";
  const JoinGroupResponse a2 = coordinator.join(join_request(a1.member_id), "a", "h");
  const JoinGroupResponse b2 = coordinator.poll_join(b_join).value();
  EXPECT_EQ(a2.generation_id, 2);
  EXPECT_EQ(b2.generation_id, 2);
  EXPECT_EQ(a2.leader, a1.member_id) << "the leader stays the leader";
  EXPECT_EQ(a2.members.size(), 2u);
  EXPECT_TRUE(b2.members.empty()) << "only the leader gets the members";

  // The follower's sync waits for the leader's assignments.
  const auto b_sync = parked(coordinator.start_sync(sync_request(b2)));
  EXPECT_FALSE(coordinator.poll_sync(b_sync));
  EXPECT_EQ(
      coordinator.sync(sync_request(a2, {{a2.member_id, as_bytes("p0")}, {b2.member_id, as_bytes("p1")}}))
          .assignment.size(),
      2u);
  EXPECT_EQ(as_text(coordinator.poll_sync(b_sync).value().assignment), "p1");
  EXPECT_EQ(coordinator.heartbeat(heartbeat_request(a1)).error, ErrorCode::kIllegalGeneration);
}

TEST(GroupCoordinator, LeaveRebalancesTheRest) {
  GroupCoordinator coordinator;
  const JoinGroupResponse a1 = coordinator.join(join_request(""), "a", "h");
  const auto b_join = parked(coordinator.start_join(join_request(""), "b", "h"));
  const JoinGroupResponse a2 = coordinator.join(join_request(a1.member_id), "a", "h");
  const JoinGroupResponse b2 = coordinator.poll_join(b_join).value();
  ASSERT_EQ(a2.generation_id, 2);
  ASSERT_EQ(coordinator.sync(sync_request(a2)).error, ErrorCode::kNone);

  LeaveGroupRequest leave;
  leave.group_id = "g";
  leave.members.push_back({b2.member_id, std::nullopt});
  EXPECT_EQ(coordinator.leave(leave).error, ErrorCode::kNone);
  EXPECT_EQ(coordinator.heartbeat(heartbeat_request(a2)).error, ErrorCode::kRebalanceInProgress);
  const JoinGroupResponse a3 = coordinator.join(join_request(a1.member_id), "a", "h");
  EXPECT_EQ(a3.generation_id, 3);
  EXPECT_EQ(a3.members.size(), 1u);
  EXPECT_EQ(coordinator.leave(leave).error, ErrorCode::kUnknownMemberId) << "b already left";
}

TEST(GroupCoordinator, AMemberWithoutHeartbeatsExpiresAfterItsSessionTimeout) {
  ManualClock clock;
  GroupCoordinator coordinator(clock.options());
  const JoinGroupResponse a1 = coordinator.join(join_request(""), "a", "h");  // a 1000 ms session
  ASSERT_EQ(coordinator.sync(sync_request(a1)).error, ErrorCode::kNone);
  clock.now += 900ms;
  coordinator.tick();
  EXPECT_EQ(coordinator.heartbeat(heartbeat_request(a1)).error, ErrorCode::kNone) << "within its session";
  clock.now += 1001ms;
  coordinator.tick();
  EXPECT_EQ(coordinator.heartbeat(heartbeat_request(a1)).error, ErrorCode::kUnknownMemberId);
  EXPECT_FALSE(coordinator.describe("g")) << "an empty group is forgotten (its offsets stay on disk)";
}

TEST(GroupCoordinator, RefusesBadTimeoutsAndProtocolsNobodyShares) {
  GroupCoordinator coordinator;
  EXPECT_EQ(coordinator.join(join_request("", "range", 10), "a", "h").error,
            ErrorCode::kInvalidSessionTimeout);
  const JoinGroupResponse a = coordinator.join(join_request(""), "a", "h");
  EXPECT_EQ(coordinator.join(join_request("", "cooperative-sticky"), "b", "h").error,
            ErrorCode::kInconsistentGroupProtocol);
  EXPECT_EQ(coordinator.join(join_request("nobody"), "c", "h").error, ErrorCode::kUnknownMemberId);
  (void)a;
}

TEST(GroupCoordinator, CommitRules) {
  GroupCoordinator coordinator;
  EXPECT_EQ(coordinator.commit_error("g", -1, ""), ErrorCode::kNone) << "a simple commit to an empty group";
  const JoinGroupResponse a = coordinator.join(join_request(""), "a", "h");
  EXPECT_EQ(coordinator.commit_error("g", a.generation_id, a.member_id), ErrorCode::kRebalanceInProgress)
      << "before the leader's sync";
  ASSERT_EQ(coordinator.sync(sync_request(a)).error, ErrorCode::kNone);
  EXPECT_EQ(coordinator.commit_error("g", a.generation_id, a.member_id), ErrorCode::kNone);
  EXPECT_EQ(coordinator.commit_error("g", a.generation_id + 1, a.member_id), ErrorCode::kIllegalGeneration);
  EXPECT_EQ(coordinator.commit_error("g", -1, ""), ErrorCode::kUnknownMemberId) << "the group has members";
}

TEST(GroupCoordinator, ShutdownAnswersParkedJoins) {
  GroupCoordinator coordinator;
  const JoinGroupResponse a = coordinator.join(join_request(""), "a", "h");
  const auto b_join = parked(coordinator.start_join(join_request(""), "b", "h"));
  coordinator.shutdown();
  EXPECT_EQ(coordinator.poll_join(b_join).value().error, ErrorCode::kCoordinatorNotAvailable);
  (void)a;
}

GroupCoordinatorOptions persisted_in(const strata::testing::TestDir& dir) {
  GroupCoordinatorOptions options;
  options.state_directory = dir.path();
  return options;
}

TEST(GroupCoordinatorRestart, AStableGroupResumesWithItsGenerationMembersAndAssignments) {
  strata::testing::TestDir dir;
  JoinGroupResponse a;
  {
    GroupCoordinator coordinator(persisted_in(dir));
    a = coordinator.join(join_request(""), "a", "h");
    ASSERT_EQ(coordinator.sync(sync_request(a, {{a.member_id, as_bytes("all")}})).error, ErrorCode::kNone);
  }
  GroupCoordinator restarted(persisted_in(dir));
  EXPECT_EQ(restarted.heartbeat(heartbeat_request(a)).error, ErrorCode::kNone);
  EXPECT_EQ(restarted.commit_error("g", a.generation_id, a.member_id), ErrorCode::kNone);
  const SyncGroupResponse again = restarted.sync(sync_request(a));
  EXPECT_EQ(again.error, ErrorCode::kNone);
  EXPECT_EQ(as_text(again.assignment), "all");
  const auto described = restarted.describe("g");
  ASSERT_TRUE(described);
  EXPECT_EQ(described->state, "Stable");
  ASSERT_EQ(described->members.size(), 1u);
  EXPECT_EQ(described->members[0].member_id, a.member_id);
  // The session counts from the restart: a member that never comes back expires, and the group empties.
  restarted.tick();
  EXPECT_EQ(restarted.heartbeat(heartbeat_request(a)).error, ErrorCode::kNone);
}

TEST(GroupCoordinatorRestart, AGroupThatEmptiedIsNotResumed) {
  strata::testing::TestDir dir;
  {
    GroupCoordinator coordinator(persisted_in(dir));
    const JoinGroupResponse a = coordinator.join(join_request(""), "a", "h");
    ASSERT_EQ(coordinator.sync(sync_request(a)).error, ErrorCode::kNone);
    LeaveGroupRequest leave;
    leave.group_id = "g";
    leave.members.push_back({a.member_id, std::nullopt});
    ASSERT_EQ(coordinator.leave(leave).error, ErrorCode::kNone);
  }
  EXPECT_TRUE(strata::read_group_coordinator_states(dir.path()).value().empty());
  GroupCoordinator restarted(persisted_in(dir));
  EXPECT_FALSE(restarted.describe("g"));
}

TEST(GroupCoordinatorRestart, UndecodableStoredStateStartsTheGroupEmpty) {
  strata::testing::TestDir dir;
  ASSERT_TRUE(strata::store_group_coordinator_state(dir.path(), "g", "not a group state").is_ok());
  GroupCoordinator restarted(persisted_in(dir));
  EXPECT_FALSE(restarted.describe("g"));
}

TEST(GroupState, RoundTripsAndRefusesEveryTruncation) {
  StoredGroup group{"consumer", 7, "range", "m-1", true, {}};
  group.members.push_back({"m-1", "instance-1", "client", "/127.0.0.1", 10000, 30000,
                           {{"range", {std::byte{1}, std::byte{2}}}, {"roundrobin", {}}}, {std::byte{9}}});
  group.members.push_back({"m-2", std::nullopt, "client", "/127.0.0.1", 10000, 30000, {{"range", {}}}, {}});
  const std::string bytes = encode_group_state(group);
  const auto decoded = decode_group_state(bytes);
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->generation, 7);
  EXPECT_EQ(decoded->leader, "m-1");
  ASSERT_EQ(decoded->members.size(), 2u);
  EXPECT_EQ(decoded->members[0].instance_id, std::optional<std::string>("instance-1"));
  EXPECT_EQ(decoded->members[0].protocols.size(), 2u);
  EXPECT_EQ(decoded->members[0].assignment, std::vector<std::byte>{std::byte{9}});
  EXPECT_FALSE(decoded->members[1].instance_id);
  for (std::size_t length = 0; length < bytes.size(); ++length) {
    EXPECT_FALSE(decode_group_state(std::string_view(bytes).substr(0, length))) << length;
  }
}

JoinGroupRequest static_join_request(std::string_view member_id, std::string_view instance_id) {
  JoinGroupRequest request = join_request(member_id);
  request.group_instance_id = instance_id;
  return request;
}

TEST(GroupCoordinator, AStaticMemberJoiningAgainGetsItsAssignmentBackWithoutARebalance) {
  GroupCoordinator coordinator;
  const JoinGroupResponse a = coordinator.join(static_join_request("", "instance-a"), "a", "h");
  ASSERT_EQ(coordinator.sync(sync_request(a, {{a.member_id, as_bytes("p0")}})).error, ErrorCode::kNone);
  // The client restarted: it joins with no member id and the same group.instance.id.
  const JoinGroupResponse again = coordinator.join(static_join_request("", "instance-a"), "a", "h");
  ASSERT_EQ(again.error, ErrorCode::kNone);
  EXPECT_EQ(again.generation_id, a.generation_id) << "no new generation";
  EXPECT_NE(again.member_id, a.member_id);
  EXPECT_EQ(again.leader, a.member_id) << "the old leader id, so that it does not assign again";
  const SyncGroupResponse synced = coordinator.sync(sync_request(again));
  EXPECT_EQ(synced.error, ErrorCode::kNone);
  EXPECT_EQ(as_text(synced.assignment), "p0");
  EXPECT_EQ(coordinator.heartbeat(heartbeat_request(again)).error, ErrorCode::kNone);
  EXPECT_EQ(coordinator.heartbeat(heartbeat_request(a)).error, ErrorCode::kUnknownMemberId) << "the old id is gone";
}

// KIP-345: once a restarted instance took over group.instance.id "instance-a", the old one's requests are
// fenced (FENCED_INSTANCE_ID: librdkafka stops that consumer with a fatal error) instead of disturbing the group.
TEST(GroupCoordinator, AReplacedStaticMemberIsFencedInEveryRequest) {
  GroupCoordinator coordinator;
  const JoinGroupResponse old = coordinator.join(static_join_request("", "instance-a"), "a", "h");
  ASSERT_EQ(coordinator.sync(sync_request(old, {{old.member_id, as_bytes("p0")}})).error, ErrorCode::kNone);
  const JoinGroupResponse replacement = coordinator.join(static_join_request("", "instance-a"), "a", "h");
  ASSERT_EQ(replacement.error, ErrorCode::kNone);
  ASSERT_EQ(coordinator.sync(sync_request(replacement)).error, ErrorCode::kNone);

  EXPECT_EQ(coordinator.heartbeat({"g", old.generation_id, old.member_id, "instance-a"}).error,
            ErrorCode::kFencedInstanceId);
  SyncGroupRequest sync = sync_request(old);
  sync.group_instance_id = "instance-a";
  EXPECT_EQ(coordinator.sync(sync).error, ErrorCode::kFencedInstanceId);
  EXPECT_EQ(coordinator.commit_error("g", old.generation_id, old.member_id, "instance-a"),
            ErrorCode::kFencedInstanceId);
  EXPECT_EQ(coordinator.join(static_join_request(old.member_id, "instance-a"), "a", "h").error,
            ErrorCode::kFencedInstanceId);
  LeaveGroupRequest leave;
  leave.group_id = "g";
  leave.members.push_back({old.member_id, "instance-a"});
  EXPECT_EQ(coordinator.leave(leave).error, ErrorCode::kFencedInstanceId);
  EXPECT_EQ(coordinator.heartbeat({"g", replacement.generation_id, replacement.member_id, "instance-a"}).error,
            ErrorCode::kNone)
      << "the fenced requests changed nothing";
  EXPECT_EQ(coordinator.commit_error("g", replacement.generation_id, replacement.member_id, "instance-a"),
            ErrorCode::kNone);

  // A static member leaves by its instance id alone (LeaveGroup v3+ with no member id).
  leave.members = {{"", "instance-a"}};
  EXPECT_EQ(coordinator.leave(leave).error, ErrorCode::kNone);
  EXPECT_EQ(coordinator.heartbeat(heartbeat_request(replacement)).error, ErrorCode::kUnknownMemberId);
  EXPECT_EQ(coordinator.leave(leave).error, ErrorCode::kUnknownMemberId) << "nobody holds instance-a now";
}

TEST(GroupCoordinator, TheProtocolIsChosenByTheMembersVoteNotTheLeadersPreference) {
  GroupCoordinator coordinator;
  auto prefers = [](std::string_view member_id, std::string_view first, std::string_view second) {
    JoinGroupRequest request = join_request(member_id, first);
    request.protocols.push_back({second, as_bytes("meta")});
    return request;
  };
  const JoinGroupResponse a = coordinator.join(prefers("", "range", "roundrobin"), "a", "h");
  ASSERT_EQ(a.protocol_name, "range");
  ASSERT_EQ(coordinator.sync(sync_request(a)).error, ErrorCode::kNone);
  const auto b = parked(coordinator.start_join(prefers("", "roundrobin", "range"), "b", "h"));
  const auto c = parked(coordinator.start_join(prefers("", "roundrobin", "range"), "c", "h"));
  const JoinGroupResponse a2 = coordinator.join(prefers(a.member_id, "range", "roundrobin"), "a", "h");
  EXPECT_EQ(a2.leader, a.member_id);
  EXPECT_EQ(a2.protocol_name, "roundrobin") << "two votes to one";
  EXPECT_EQ(coordinator.poll_join(b).value().protocol_name, "roundrobin");
  EXPECT_EQ(coordinator.poll_join(c).value().protocol_name, "roundrobin");
}

// group.initial.rebalance.delay.ms on a clock the test moves: members that start together share the first
// generation instead of rebalancing once per member.
TEST(GroupCoordinator, TheFirstRebalanceOfAnEmptyGroupWaitsTheInitialDelayForMoreMembers) {
  ManualClock clock;
  GroupCoordinatorOptions options = clock.options();
  options.initial_rebalance_delay_ms = 3000;
  GroupCoordinator coordinator(options);
  const auto a = parked(coordinator.start_join(join_request(""), "a", "h"));
  clock.now += 2000ms;
  const auto b = parked(coordinator.start_join(join_request(""), "b", "h"));
  clock.now += 2500ms;  // past a's delay, not b's (which added 3 s from 2 s)
  coordinator.tick();
  EXPECT_FALSE(coordinator.poll_join(a)) << "completed before the delay that b extended";
  clock.now += 500ms;
  coordinator.tick();
  const JoinGroupResponse a1 = coordinator.poll_join(a).value();
  const JoinGroupResponse b1 = coordinator.poll_join(b).value();
  EXPECT_EQ(a1.generation_id, 1);
  EXPECT_EQ(b1.generation_id, 1);
  EXPECT_EQ(a1.members.size() + b1.members.size(), 2u) << "the leader got both members";
}

// Kafka removes a member that keeps heartbeating but does not rejoin within the rebalance timeout.
TEST(GroupCoordinator, AMemberThatDoesNotRejoinWithinTheRebalanceTimeoutIsRemoved) {
  ManualClock clock;
  GroupCoordinator coordinator(clock.options());
  const JoinGroupResponse a = coordinator.join(join_request("", "range", 2000), "a", "h");
  ASSERT_EQ(coordinator.sync(sync_request(a)).error, ErrorCode::kNone);
  const auto b = parked(coordinator.start_join(join_request("", "range", 2000), "b", "h"));
  clock.now += 4000ms;
  EXPECT_EQ(coordinator.heartbeat(heartbeat_request(a)).error, ErrorCode::kRebalanceInProgress);
  coordinator.tick();
  EXPECT_FALSE(coordinator.poll_join(b)) << "completed before the rebalance timeout";
  clock.now += 1001ms;  // join_request's rebalance timeout is 5000 ms
  coordinator.tick();
  const JoinGroupResponse b1 = coordinator.poll_join(b).value();
  EXPECT_EQ(b1.generation_id, 2);
  EXPECT_EQ(b1.leader, b1.member_id);
  EXPECT_EQ(coordinator.heartbeat(heartbeat_request(a)).error, ErrorCode::kUnknownMemberId);
}

}  // namespace
}  // namespace strata::kafka
