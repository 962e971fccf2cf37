// GroupCoordinator without a network: the classic protocol's joins, syncs, heartbeats, leaves, session
// timeouts and the rules for committing offsets.
#include "kafka/group_coordinator.h"

#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "kafka/wire.h"

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

  auto b_join = std::async(std::launch::async, [&] { return coordinator.join(join_request(""), "b", "h"); });
  // a learns of the rebalance from its heartbeat, then rejoins; both joins complete together.
  ErrorCode heartbeat = ErrorCode::kNone;
  for (int i = 0; i < 100 && heartbeat == ErrorCode::kNone; ++i) {
    heartbeat = coordinator.heartbeat(heartbeat_request(a1)).error;
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(heartbeat, ErrorCode::kRebalanceInProgress);
  const JoinGroupResponse a2 = coordinator.join(join_request(a1.member_id), "a", "h");
  const JoinGroupResponse b2 = b_join.get();
  EXPECT_EQ(a2.generation_id, 2);
  EXPECT_EQ(b2.generation_id, 2);
  EXPECT_EQ(a2.leader, a1.member_id) << "the leader stays the leader";
  EXPECT_EQ(a2.members.size(), 2u);
  EXPECT_TRUE(b2.members.empty()) << "only the leader gets the members";

  // The follower's sync waits for the leader's assignments.
  auto b_sync = std::async(std::launch::async, [&] { return coordinator.sync(sync_request(b2)); });
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(b_sync.wait_for(0ms), std::future_status::timeout);
  EXPECT_EQ(
      coordinator.sync(sync_request(a2, {{a2.member_id, as_bytes("p0")}, {b2.member_id, as_bytes("p1")}}))
          .assignment.size(),
      2u);
  EXPECT_EQ(as_text(b_sync.get().assignment), "p1");
  EXPECT_EQ(coordinator.heartbeat(heartbeat_request(a1)).error, ErrorCode::kIllegalGeneration);
}

TEST(GroupCoordinator, LeaveRebalancesTheRest) {
  GroupCoordinator coordinator;
  const JoinGroupResponse a1 = coordinator.join(join_request(""), "a", "h");
  auto b_join = std::async(std::launch::async, [&] { return coordinator.join(join_request(""), "b", "h"); });
  std::this_thread::sleep_for(50ms);
  const JoinGroupResponse a2 = coordinator.join(join_request(a1.member_id), "a", "h");
  const JoinGroupResponse b2 = b_join.get();
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
  GroupCoordinator coordinator;
  const JoinGroupResponse a1 = coordinator.join(join_request(""), "a", "h");
  ASSERT_EQ(coordinator.sync(sync_request(a1)).error, ErrorCode::kNone);
  const auto until = std::chrono::steady_clock::now() + 1500ms;
  while (std::chrono::steady_clock::now() < until) {
    coordinator.tick();
    std::this_thread::sleep_for(50ms);
  }
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
  auto b_join = std::async(std::launch::async, [&] { return coordinator.join(join_request(""), "b", "h"); });
  std::this_thread::sleep_for(50ms);
  coordinator.shutdown();
  EXPECT_EQ(b_join.get().error, ErrorCode::kCoordinatorNotAvailable);
  (void)a;
}

}  // namespace
}  // namespace strata::kafka
