// FindCoordinator, the committed offsets (OffsetCommit, OffsetFetch) and the group listings (ListGroups,
// DescribeGroups). Membership (JoinGroup, SyncGroup, Heartbeat, LeaveGroup) is the GroupCoordinator's; a
// JoinGroup or SyncGroup that waits for the rest of its group is a continuation that polls it.
#include "kafka/request_handler.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <memory>
#include <optional>
#include <variant>

#include "strata/consumer_group.h"

namespace strata::kafka {

namespace {

constexpr const char* kNoTransactions =
    "strata serves no transactions: leave transactional.id unset (enable.idempotence alone is served)";
constexpr std::size_t kGroupMetadataBytesMax = 4096;  // consumer_group.h's limit
// An OffsetCommit whose fdatasync has not ended by then answers REQUEST_TIMED_OUT (clients retry it).
constexpr auto kCommitSyncTimeout = std::chrono::seconds(30);

// A JoinGroup's or SyncGroup's answer now, or a continuation that polls the coordinator for it.
template <typename Response, typename Wait>
void park_or_encode(GroupCoordinator& group_coordinator, std::variant<Response, Wait> started,
                    std::int16_t version, PendingResponse& pending) {
  if (auto* response = std::get_if<Response>(&started)) {
    encode(*response, version, pending.frame);
    return;
  }
  // A continuation: the coordinator answers it (or its timeout, by the coordinator's clock) when polled.
  auto wait = std::make_shared<Wait>(std::move(std::get<Wait>(started)));
  auto answer = std::make_shared<std::optional<Response>>();
  GroupCoordinator* coordinator = &group_coordinator;
  auto poll = [coordinator, wait, answer] {
    if (!*answer) {
      if constexpr (std::is_same_v<Wait, GroupCoordinator::JoinWait>) {
        *answer = coordinator->poll_join(*wait);
      } else {
        *answer = coordinator->poll_sync(*wait);
      }
    }
    return answer->has_value();
  };
  pending.holds_connection = true;
  pending.ready = poll;
  pending.finish = [poll, answer, version](ResponseFrame& out) {
    if (!poll()) return false;
    encode(**answer, version, out);
    return true;
  };
}

}  // namespace

void RequestHandler::join_group(const JoinGroupRequest& request, std::int16_t version, Session& session,
                                PendingResponse& pending) {
  park_or_encode(coordinator_, coordinator_.start_join(request, session.client_id, session.client_address),
                 version, pending);
}

void RequestHandler::sync_group(const SyncGroupRequest& request, std::int16_t version, PendingResponse& pending) {
  park_or_encode(coordinator_, coordinator_.start_sync(request), version, pending);
}

void RequestHandler::find_coordinator(const FindCoordinatorRequest& request, std::int16_t version,
                                      const Session& session, ResponseFrame& out) {
  FindCoordinatorResponse response;
  response.keys.assign(request.keys.begin(), request.keys.end());
  if (request.key_type != 0) {
    // Not COORDINATOR_NOT_AVAILABLE, which clients retry until init_transactions times out: this error is
    // fatal for librdkafka's and Java's transaction managers, so init_transactions fails now.
    response.error = ErrorCode::kTransactionalIdAuthorizationFailed;
    response.error_message = kNoTransactions;
  } else {
    response.node_id = options_.node_id;
    response.host = session.listener->advertised_host;
    response.port = session.listener->advertised_port;
  }
  encode(response, version, out);
}

void RequestHandler::offset_commit(const OffsetCommitRequest& request, std::int16_t version, const Session& session,
                                   PendingResponse& pending) {
  auto response = std::make_shared<OffsetCommitResponse>();
  const ErrorCode group_error =
      request.group_id.empty() ? ErrorCode::kInvalidGroupId
      : !may(session, security::AclOperation::kRead, security::ResourceType::kGroup, request.group_id)
          ? ErrorCode::kGroupAuthorizationFailed
          : coordinator_.commit_error(request.group_id, request.generation_id, request.member_id,
                                      request.group_instance_id);
  // The partitions that may commit go to the group log as one record (one fdatasync, shared with others).
  std::vector<GroupPartitionOffset> accepted;
  std::vector<std::pair<std::size_t, std::size_t>> accepted_at;  // (topic, partition) in the response
  for (const auto& topic : request.topics) {
    OffsetCommitResponse::Topic& topic_out = response->topics.emplace_back();
    topic_out.name = std::string(topic.name);
    ErrorCode topic_error = group_error;
    std::optional<TopicEntry> entry;
    if (group_error == ErrorCode::kNone) {
      entry = topic_for(session, security::AclOperation::kRead, topic.name, /*create=*/false, &topic_error);
    }
    for (const auto& partition : topic.partitions) {
      OffsetCommitResponse::Partition& partition_out = topic_out.partitions.emplace_back();
      partition_out.index = partition.index;
      const std::string_view metadata = partition.metadata.value_or("");
      if (!entry) {
        partition_out.error = topic_error;
      } else if (partition.index < 0 || static_cast<std::uint32_t>(partition.index) >= entry->partitions) {
        partition_out.error = ErrorCode::kUnknownTopicOrPartition;
      } else if (partition.offset < 0) {
        partition_out.error = ErrorCode::kInvalidRequest;
      } else if (metadata.size() > kGroupMetadataBytesMax) {
        partition_out.error = ErrorCode::kOffsetMetadataTooLarge;
      } else {
        accepted.push_back({std::string(topic.name), static_cast<std::uint32_t>(partition.index),
                            GroupOffset{static_cast<std::uint64_t>(partition.offset), std::string(metadata)}});
        accepted_at.emplace_back(response->topics.size() - 1, topic_out.partitions.size() - 1);
      }
    }
  }
  // Answered once the group log's background fdatasync covers the record: the reactor does not block on it, and
  // commits from every connection share syncs. The connection waits too, as Kafka handles one request of a
  // connection at a time.
  auto ticket = accepted.empty()         ? Result<std::uint64_t>(std::uint64_t{0})
                : group_commits_.is_ok() ? group_commits_->start(request.group_id, accepted)
                                         : Result<std::uint64_t>(group_commits_.status());
  const std::string group(request.group_id);
  const auto fail = [response, accepted_at, group](const Status& why) {
    std::fprintf(stderr, "strata serve: commit of group %s: %s\n", group.c_str(), why.to_string().c_str());
    const ErrorCode error = why.code() == StatusCode::kInvalidArgument ? ErrorCode::kInvalidRequest
                            : why.code() == StatusCode::kTimedOut      ? ErrorCode::kRequestTimedOut
                                                                       : ErrorCode::kKafkaStorageError;
    for (const auto& [t, p] : accepted_at) response->topics[t].partitions[p].error = error;
  };
  if (!ticket || accepted.empty()) {
    if (!ticket) fail(ticket.status());
    encode(*response, version, pending.frame);
    return;
  }
  GroupCommits* commits = &group_commits_.value();
  pending.holds_connection = true;
  pending.woken_by = commits;
  pending.deadline = PendingResponse::Clock::now() + kCommitSyncTimeout;
  pending.ready = [commits, ticket = *ticket] {
    auto durable = commits->durable(ticket);
    return !durable || *durable;
  };
  pending.finish = [commits, ticket = *ticket, response, fail, version](ResponseFrame& out) {
    auto durable = commits->durable(ticket);
    if (!durable) fail(durable.status());
    if (durable && !*durable) fail(Status(StatusCode::kTimedOut, "its fdatasync did not end in time"));
    encode(*response, version, out);
    return true;
  };
}

void RequestHandler::offset_fetch(const OffsetFetchRequest& request, std::int16_t version, const Session& session,
                                  ResponseFrame& out) {
  OffsetFetchResponse response;
  const bool group_valid = !request.group_id.empty();
  if (!group_valid && version >= 2) {
    response.error = ErrorCode::kInvalidGroupId;
    encode(response, version, out);
    return;
  }
  if (!may(session, security::AclOperation::kDescribe, security::ResourceType::kGroup, request.group_id)) {
    response.error = ErrorCode::kGroupAuthorizationFailed;  // v0-1 have no top-level error: every partition's
    for (const auto& topic : request.topics) {
      auto& topic_out = response.topics.emplace_back();
      topic_out.name = std::string(topic.name);
      for (std::int32_t index : topic.partitions) {
        topic_out.partitions.push_back({index, -1, {}, ErrorCode::kGroupAuthorizationFailed});
      }
    }
    encode(response, version, out);
    return;
  }
  const auto may_describe = [&](std::string_view topic) {
    return may(session, security::AclOperation::kDescribe, security::ResourceType::kTopic, topic);
  };
  if (request.all_topics) {
    auto all = list_group_offsets(directory_, request.group_id);
    if (all) {
      for (const GroupPartitionOffset& entry : *all) {
        if (!may_describe(entry.topic)) continue;
        if (response.topics.empty() || response.topics.back().name != entry.topic) {
          response.topics.push_back({entry.topic, {}});
        }
        response.topics.back().partitions.push_back({static_cast<std::int32_t>(entry.partition),
                                                     static_cast<std::int64_t>(entry.committed.offset),
                                                     entry.committed.metadata, ErrorCode::kNone});
      }
    }
    encode(response, version, out);
    return;
  }
  for (const auto& topic : request.topics) {
    OffsetFetchResponse::Topic& topic_out = response.topics.emplace_back();
    topic_out.name = std::string(topic.name);
    for (std::int32_t index : topic.partitions) {
      OffsetFetchResponse::Partition& partition_out = topic_out.partitions.emplace_back();
      partition_out.index = index;
      if (!group_valid) {
        partition_out.error = ErrorCode::kInvalidGroupId;
        continue;
      }
      if (!may_describe(topic.name)) {
        partition_out.error = ErrorCode::kTopicAuthorizationFailed;
        continue;
      }
      if (index < 0 || !validate_topic_name(topic.name).is_ok()) continue;  // nothing committed: -1
      auto committed =
          read_group_offset(directory_, request.group_id, topic.name, static_cast<std::uint32_t>(index));
      if (committed) {
        partition_out.offset = static_cast<std::int64_t>(committed->offset);
        partition_out.metadata = committed->metadata;
      } else if (committed.status().code() != StatusCode::kNotFound) {
        std::fprintf(stderr, "strata serve: reading group %.*s's offset: %s\n",
                     static_cast<int>(request.group_id.size()), request.group_id.data(),
                     committed.status().to_string().c_str());
        partition_out.error = ErrorCode::kUnknownServerError;
      }
    }
  }
  encode(response, version, out);
}

void RequestHandler::list_groups(const ListGroupsRequest& request, std::int16_t version, const Session& session,
                                 ResponseFrame& out) {
  ListGroupsResponse response;
  response.groups = coordinator_.list();
  if (auto stored = strata::list_groups(directory_)) {
    for (const std::string& name : *stored) {
      const bool listed = std::any_of(response.groups.begin(), response.groups.end(),
                                      [&](const auto& group) { return group.group_id == name; });
      if (!listed) response.groups.push_back({name, "", "Empty"});  // offsets only, no members now
    }
  }
  if (!may(session, security::AclOperation::kDescribe, security::ResourceType::kCluster,
           security::kClusterResourceName)) {  // then only the groups it may describe, as in Kafka
    std::erase_if(response.groups, [&](const ListGroupsResponse::Group& group) {
      return !may(session, security::AclOperation::kDescribe, security::ResourceType::kGroup, group.group_id);
    });
  }
  if (!request.states.empty()) {  // v4's states_filter (Kafka compares the states case-insensitively)
    const auto unwanted = [&](const ListGroupsResponse::Group& group) {
      return std::none_of(request.states.begin(), request.states.end(), [&](std::string_view state) {
        return std::equal(state.begin(), state.end(), group.state.begin(), group.state.end(),
                          [](char a, char b) { return std::tolower(a) == std::tolower(b); });
      });
    };
    std::erase_if(response.groups, unwanted);
  }
  encode(response, version, out);
}

void RequestHandler::describe_groups(const DescribeGroupsRequest& request, std::int16_t version,
                                     const Session& session, ResponseFrame& out) {
  DescribeGroupsResponse response;
  for (std::string_view group_id : request.groups) {
    if (!may(session, security::AclOperation::kDescribe, security::ResourceType::kGroup, group_id)) {
      DescribeGroupsResponse::Group& refused = response.groups.emplace_back();
      refused.group_id = std::string(group_id);
      refused.error = ErrorCode::kGroupAuthorizationFailed;
      continue;
    }
    if (auto described = coordinator_.describe(group_id)) {
      response.groups.push_back(std::move(*described));
      continue;
    }
    DescribeGroupsResponse::Group group;
    group.group_id = std::string(group_id);
    auto offsets = group_id.empty() ? Result<std::vector<GroupPartitionOffset>>(
                                          Status(StatusCode::kInvalidArgument, "empty group id"))
                                    : list_group_offsets(directory_, group_id);
    group.state = offsets && !offsets->empty() ? "Empty" : "Dead";
    response.groups.push_back(std::move(group));
  }
  encode(response, version, out);
}

}  // namespace strata::kafka
