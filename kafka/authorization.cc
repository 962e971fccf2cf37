// Authorization (serve --authorize): which ACL each request needs, as Kafka's KafkaApis asks for it.
//   Produce: Write on the topic (auto-creation: Create on the topic or the cluster);
//   Fetch: Read on the topic; ListOffsets, Metadata: Describe on the topic (Metadata lists only those);
//   OffsetCommit: Read on the group and the topic; OffsetFetch: Describe on the group and the topic;
//   JoinGroup, SyncGroup, Heartbeat, LeaveGroup: Read on the group; FindCoordinator, DescribeGroups: Describe
//   on the group; ListGroups: Describe on the cluster, else the groups it may Describe;
//   CreateTopics: Create on the topic or the cluster; DeleteTopics: Delete on the topic; CreatePartitions: Alter
//   on the topic;
//   DescribeConfigs / AlterConfigs / IncrementalAlterConfigs: DescribeConfigs / AlterConfigs on the topic, or
//   on the cluster for the broker's configs.
// InitProducerId (idempotence, no transactions) needs nothing: every write it enables is checked.
// Refusals carry Kafka's TOPIC_, GROUP_ and CLUSTER_AUTHORIZATION_FAILED where the response has an error.
#include <utility>

#include "kafka/request_handler.h"

namespace strata::kafka {

namespace {

using security::AclOperation;
using security::ResourceType;

template <typename... F>
struct Overloads : F... {
  using F::operator()...;
};
template <typename... F>
Overloads(F...) -> Overloads<F...>;

}  // namespace

bool RequestHandler::authorizing(const Session& session) {
  return session.listener != nullptr && session.listener->security != nullptr &&
         session.listener->security->authorizing();
}

bool RequestHandler::may(const Session& session, AclOperation operation, ResourceType type, std::string_view name) {
  if (!authorizing(session)) return true;
  return session.listener->security->allowed(session.principal, operation, {type, std::string(name)},
                                             session.client_host);
}

bool RequestHandler::may_create_topic(const Session& session, std::string_view name) {
  return may(session, AclOperation::kCreate, ResourceType::kTopic, name) ||
         may(session, AclOperation::kCreate, ResourceType::kCluster, security::kClusterResourceName);
}

std::optional<TopicEntry> RequestHandler::topic_for(const Session& session, AclOperation operation,
                                                    std::string_view name, bool create, ErrorCode* error) {
  if (!may(session, operation, ResourceType::kTopic, name)) {
    *error = ErrorCode::kTopicAuthorizationFailed;
    return std::nullopt;
  }
  if (create && authorizing(session) && !topics_.find(name)) create = may_create_topic(session, name);
  return topic_for(name, create, error);
}

ErrorCode RequestHandler::config_resource_refusal(const Session& session, AclOperation operation,
                                                  std::int8_t resource_type, std::string_view name) {
  if (resource_type == kResourceTopic) {
    return may(session, operation, ResourceType::kTopic, name) ? ErrorCode::kNone
                                                               : ErrorCode::kTopicAuthorizationFailed;
  }
  return may(session, operation, ResourceType::kCluster, security::kClusterResourceName)
             ? ErrorCode::kNone
             : ErrorCode::kClusterAuthorizationFailed;
}

bool RequestHandler::refused_by_acls(const Request& request, const Session& session, PendingResponse& pending) {
  if (!authorizing(session)) return false;
  const std::int16_t version = request.header.api_version;
  // The group APIs whose whole answer is one error: GROUP_AUTHORIZATION_FAILED without Read on the group.
  auto group = [&]<typename Response>(std::string_view group_id, AclOperation operation, Response response) {
    if (may(session, operation, ResourceType::kGroup, group_id)) return false;
    response.error = ErrorCode::kGroupAuthorizationFailed;
    encode(response, version, pending.frame);
    return true;
  };
  const Overloads checks{
      [&](const JoinGroupRequest& body) { return group(body.group_id, AclOperation::kRead, JoinGroupResponse{}); },
      [&](const SyncGroupRequest& body) { return group(body.group_id, AclOperation::kRead, SyncGroupResponse{}); },
      [&](const HeartbeatRequest& body) { return group(body.group_id, AclOperation::kRead, HeartbeatResponse{}); },
      [&](const LeaveGroupRequest& body) { return group(body.group_id, AclOperation::kRead, LeaveGroupResponse{}); },
      [&](const FindCoordinatorRequest& body) {
        if (body.key_type != 0) return false;  // transactions: answered as not served
        for (std::string_view key : body.keys) {
          FindCoordinatorResponse response;
          response.keys.assign(body.keys.begin(), body.keys.end());
          if (group(key, AclOperation::kDescribe, std::move(response))) return true;
        }
        return false;
      },
      [](const auto&) { return false; },
  };
  return std::visit(checks, request.body);
}

}  // namespace strata::kafka
