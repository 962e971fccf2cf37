// The server's request semantics (see request_handler.h): the dispatch of a decoded request to its API's
// handler, and what the handlers share (topic lookups, readers, error mapping). The handlers are split by API
// family like the codecs: produce_handler.cc, fetch_handler.cc, topic_admin_handler.cc, group_handler.cc and
// config_admin.cc. Errors are per partition wherever Kafka has a per-partition code.
#include "kafka/request_handler.h"

#include <cstdio>
#include <utility>

namespace strata::kafka {

namespace {

constexpr std::size_t kReadersPerSessionMax = 4096;

// An overload set of one handler per request type; the deleted template catches any type without an exact one.
template <typename... F>
struct Handlers : F... {
  using F::operator()...;
  template <typename T>
  void operator()(const T&) const = delete;
};
template <typename... F>
Handlers(F...) -> Handlers<F...>;

}  // namespace

ErrorCode error_for(const Status& status) {
  switch (status.code()) {
    case StatusCode::kOk:
      return ErrorCode::kNone;
    case StatusCode::kInvalidArgument:
    case StatusCode::kConflict:  // a record's strata.expected-offset failed: the batch was not stored
      return ErrorCode::kInvalidRecord;
    case StatusCode::kCorruption:
      return ErrorCode::kCorruptMessage;
    case StatusCode::kTooLarge:
      return ErrorCode::kMessageTooLarge;
    case StatusCode::kOutOfOrderSequence:
      return ErrorCode::kOutOfOrderSequenceNumber;
    case StatusCode::kProducerFenced:
      return ErrorCode::kInvalidProducerEpoch;
    case StatusCode::kTimedOut:
      return ErrorCode::kRequestTimedOut;
    case StatusCode::kClosed:
      return ErrorCode::kNotLeaderOrFollower;  // retriable: the client reconnects
    case StatusCode::kIoError:
    case StatusCode::kNoSpace:
      return ErrorCode::kKafkaStorageError;
    case StatusCode::kNotFound:
      return ErrorCode::kOffsetOutOfRange;
    default:
      return ErrorCode::kUnknownServerError;
  }
}

RequestHandler::RequestHandler(Log& log, HandlerOptions options, GroupCoordinator& coordinator)
    : log_(log),
      options_(std::move(options)),
      coordinator_(coordinator),
      topics_(log),
      directory_(log.options().directory),
      group_commits_(GroupCommits::of_directory(directory_)) {}

ErrorCode RequestHandler::partition_offsets(const std::optional<TopicEntry>& entry, ErrorCode topic_error,
                                            std::int32_t partition, PartitionOffsets* offsets) {
  if (!entry) return topic_error;
  if (partition < 0 || static_cast<std::uint32_t>(partition) >= entry->partitions) {
    return ErrorCode::kUnknownTopicOrPartition;
  }
  auto found = log_.offsets(entry->id, static_cast<std::uint32_t>(partition));
  if (!found) return error_for(found.status());
  *offsets = *found;
  return ErrorCode::kNone;
}

std::optional<TopicEntry> RequestHandler::topic_for(std::string_view name, bool create, ErrorCode* error) {
  *error = ErrorCode::kNone;
  if (auto found = topics_.find(name)) return found;
  if (!validate_topic_name(name).is_ok()) {
    *error = ErrorCode::kInvalidTopic;
    return std::nullopt;
  }
  if (!create || !options_.auto_create_topics) {
    *error = ErrorCode::kUnknownTopicOrPartition;
    return std::nullopt;
  }
  auto created = topics_.create(name, options_.default_partitions);
  if (!created) {
    std::fprintf(stderr, "strata serve: creating topic %.*s: %s\n", static_cast<int>(name.size()),
                 name.data(), created.status().to_string().c_str());
    *error = ErrorCode::kUnknownServerError;
    return std::nullopt;
  }
  return *created;
}

Reader* RequestHandler::reader_for(Session& session, const TopicEntry& topic, std::uint32_t partition) {
  auto key = std::make_pair(topic.id, partition);
  auto it = session.readers.find(key);
  if (it != session.readers.end()) return it->second.get();
  if (session.readers.size() >= kReadersPerSessionMax) session.readers.clear();  // bounded
  auto reader = log_.reader(topic.name, partition);
  if (!reader) return nullptr;
  return session.readers.emplace(key, std::move(reader.value())).first->second.get();
}

PendingResponse RequestHandler::handle(Request& request, Session& session) {
  PendingResponse pending;
  pending.correlation_id = request.header.correlation_id;
  const std::int16_t version = request.header.api_version;
  if (request.header.client_id) session.client_id = std::string(*request.header.client_id);
  if (refused_before_login(request, session, pending) || refused_by_acls(request, session, pending)) return pending;
  ResponseFrame& out = pending.frame;
  // One handler per request type of the API table: a type without one (or one that would only match a base
  // class, as IncrementalAlterConfigs would AlterConfigs') picks the deleted template and fails to compile.
  const Handlers handlers{
      [&](const ApiVersionsRequest&) {
        const auto apis = supported_apis();
        encode(ApiVersionsResponse{ErrorCode::kNone, {apis.begin(), apis.end()}}, version, out);
      },
      [&](const MetadataRequest& body) { metadata(body, version, session, out); },
      [&](const ProduceRequest& body) { produce(body, version, session, pending); },
      [&](const FetchRequest& body) { fetch(body, version, session, pending); },
      [&](const ListOffsetsRequest& body) { list_offsets(body, version, session, out); },
      [&](const InitProducerIdRequest& body) { init_producer_id(body, version, out); },
      [&](const FindCoordinatorRequest& body) { find_coordinator(body, version, session, out); },
      [&](const JoinGroupRequest& body) { join_group(body, version, session, pending); },
      [&](const SyncGroupRequest& body) { sync_group(body, version, pending); },
      [&](const HeartbeatRequest& body) { encode(coordinator_.heartbeat(body), version, out); },
      [&](const LeaveGroupRequest& body) { encode(coordinator_.leave(body), version, out); },
      [&](const OffsetCommitRequest& body) { offset_commit(body, version, session, pending); },
      [&](const OffsetFetchRequest& body) { offset_fetch(body, version, session, out); },
      [&](const CreateTopicsRequest& body) { create_topics(body, version, session, out); },
      [&](const DeleteTopicsRequest& body) { delete_topics(body, version, session, out); },
      [&](const CreatePartitionsRequest& body) { create_partitions(body, version, session, out); },
      [&](const DescribeConfigsRequest& body) { describe_configs(body, version, session, out); },
      [&](const AlterConfigsRequest& body) { alter_configs(body, /*incremental=*/false, version, session, out); },
      [&](const IncrementalAlterConfigsRequest& body) {
        alter_configs(body, /*incremental=*/true, version, session, out);
      },
      [&](const ListGroupsRequest& body) { list_groups(body, version, session, out); },
      [&](const DescribeGroupsRequest& body) { describe_groups(body, version, session, out); },
      [&](const SaslHandshakeRequest& body) { sasl_handshake(body, version, session, out); },
      [&](const SaslAuthenticateRequest& body) { sasl_authenticate(body, version, session, pending); },
      [&](const DescribeAclsRequest& body) { describe_acls(body, version, session, out); },
      [&](const CreateAclsRequest& body) { create_acls(body, version, session, out); },
      [&](const DeleteAclsRequest& body) { delete_acls(body, version, session, out); },
  };
  std::visit(handlers, std::as_const(request.body));
  return pending;
}

}  // namespace strata::kafka
