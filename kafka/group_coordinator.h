// GroupCoordinator: Kafka's classic consumer-group protocol with this node the only coordinator. Members
// join (the join parks until every known member rejoined or the rebalance timeout passed), the leader's
// SyncGroup hands out assignments (followers park until it does), heartbeats keep members alive, a
// member that misses its session timeout or leaves starts a rebalance. Membership lives in memory: after a
// restart members get UNKNOWN_MEMBER_ID and rejoin. Committed offsets are not here: they are strata's
// durable group checkpoints (strata/consumer_group.h).
//
// Threads: any; one mutex. The calls that park block their (connection's) thread, as a Kafka broker
// holds the response on that connection.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace strata::kafka {

struct JoinRequest {
  std::string group;
  std::string member_id;  // empty: a new member (an id is assigned directly, no MEMBER_ID_REQUIRED)
  std::string client_id;
  std::chrono::milliseconds session_timeout{10'000};
  std::chrono::milliseconds rebalance_timeout{10'000};
  std::string protocol_type;
  std::vector<std::pair<std::string, std::string>> protocols;  // name, metadata
};

struct JoinResponse {
  std::int16_t error = 0;
  std::int32_t generation = -1;
  std::string protocol;
  std::string leader;
  std::string member_id;
  std::vector<std::pair<std::string, std::string>> members;  // the leader's response only: id, metadata
};

struct GroupListing {
  std::string group;
  std::string protocol_type;
};

class GroupCoordinator {
 public:
  GroupCoordinator();
  ~GroupCoordinator();

  JoinResponse join(const JoinRequest& request);
  // The member's assignment (leader: `assignments` for every member).
  std::int16_t sync(const std::string& group, std::int32_t generation, const std::string& member_id,
                    const std::vector<std::pair<std::string, std::string>>& assignments, std::string* assignment);
  std::int16_t heartbeat(const std::string& group, std::int32_t generation, const std::string& member_id);
  std::int16_t leave(const std::string& group, const std::string& member_id);
  // Whether an offset commit from this member of this generation may be stored (Kafka's rules: a member of
  // the current generation, or generation -1 with no member id while the group has no members).
  std::int16_t check_commit(const std::string& group, std::int32_t generation, const std::string& member_id);
  std::vector<GroupListing> list();
  // Wakes every parked call (the server is stopping).
  void shutdown();

 private:
  enum class State : std::uint8_t { kEmpty, kPreparingRebalance, kCompletingRebalance, kStable };
  struct Member {
    std::string client_id;
    std::chrono::milliseconds session_timeout;
    std::chrono::milliseconds rebalance_timeout;
    std::vector<std::pair<std::string, std::string>> protocols;
    std::chrono::steady_clock::time_point last_seen;
    bool joined = false;  // has (re)joined the rebalance in progress
    std::string assignment;
  };
  struct Group {
    State state = State::kEmpty;
    std::int32_t generation = 0;
    std::string protocol_type;
    std::string protocol;
    std::string leader;
    std::map<std::string, Member> members;
    std::chrono::steady_clock::time_point rebalance_deadline;
    bool assignments_ready = false;
  };

  void start_rebalance(Group& group);
  // A member left or expired: rebalance the rest, or become empty. REQUIRES: mutex_ held.
  void members_changed(Group& group);
  // Completes the rebalance when every member joined or the deadline passed. REQUIRES: mutex_ held.
  void maybe_complete(Group& group, bool deadline_passed);
  void expire_members();  // REQUIRES: mutex_ held
  void reaper();

  std::mutex mutex_;
  std::condition_variable changed_;
  std::map<std::string, Group> groups_;
  std::uint64_t next_member_ = 0;
  bool stopping_ = false;
  std::thread reaper_;
};

}  // namespace strata::kafka
