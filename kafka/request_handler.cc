// The server's request semantics (see request_handler.h): the dispatch of a decoded request to its API's
// handler, and what the handlers share (topic lookups, readers, error mapping). The handlers are split by API
// family like the codecs: produce_handler.cc, fetch_handler.cc, topic_admin_handler.cc, group_handler.cc and
// config_admin.cc. Errors are per partition wherever Kafka has a per-partition code.
#include "kafka/request_handler.h"

#include <cstdio>

namespace strata::kafka {

namespace {

constexpr std::size_t kReadersPerSessionMax = 4096;

template <typename Response>
void encode_into(const Response& response, std::int16_t version, PendingResponse& pending) {
  encode(response, version, pending.frame);
}

}  // namespace

ErrorCode error_for(const Status& status) {
  switch (status.code()) {
    case StatusCode::kOk:
      return ErrorCode::kNone;
    case StatusCode::kInvalidArgument:
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
      directory_(log.options().directory) {}

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
  std::visit(
      [&](auto& body) {
        using T = std::decay_t<decltype(body)>;
        if constexpr (std::is_same_v<T, ApiVersionsRequest>) {
          const auto apis = supported_apis();
          encode_into(ApiVersionsResponse{ErrorCode::kNone, {apis.begin(), apis.end()}}, version, pending);
        } else if constexpr (std::is_same_v<T, MetadataRequest>) {
          metadata(body, version, pending.frame);
        } else if constexpr (std::is_same_v<T, ProduceRequest>) {
          produce(body, version, session, pending);
        } else if constexpr (std::is_same_v<T, FetchRequest>) {
          fetch(body, version, session, pending.frame);
        } else if constexpr (std::is_same_v<T, ListOffsetsRequest>) {
          list_offsets(body, version, session, pending.frame);
        } else if constexpr (std::is_same_v<T, InitProducerIdRequest>) {
          init_producer_id(body, version, pending.frame);
        } else if constexpr (std::is_same_v<T, FindCoordinatorRequest>) {
          find_coordinator(body, version, pending.frame);
        } else if constexpr (std::is_same_v<T, JoinGroupRequest>) {
          encode_into(coordinator_.join(body, session.client_id, session.client_address), version, pending);
        } else if constexpr (std::is_same_v<T, SyncGroupRequest>) {
          encode_into(coordinator_.sync(body), version, pending);
        } else if constexpr (std::is_same_v<T, HeartbeatRequest>) {
          encode_into(coordinator_.heartbeat(body), version, pending);
        } else if constexpr (std::is_same_v<T, LeaveGroupRequest>) {
          encode_into(coordinator_.leave(body), version, pending);
        } else if constexpr (std::is_same_v<T, OffsetCommitRequest>) {
          offset_commit(body, version, pending.frame);
        } else if constexpr (std::is_same_v<T, OffsetFetchRequest>) {
          offset_fetch(body, version, pending.frame);
        } else if constexpr (std::is_same_v<T, CreateTopicsRequest>) {
          create_topics(body, version, pending.frame);
        } else if constexpr (std::is_same_v<T, DeleteTopicsRequest>) {
          delete_topics(body, version, pending.frame);
        } else if constexpr (std::is_same_v<T, DescribeConfigsRequest>) {
          describe_configs(body, version, pending.frame);
        } else if constexpr (std::is_same_v<T, IncrementalAlterConfigsRequest>) {
          alter_configs(body, /*incremental=*/true, version, pending.frame);
        } else if constexpr (std::is_same_v<T, AlterConfigsRequest>) {
          alter_configs(body, /*incremental=*/false, version, pending.frame);
        } else if constexpr (std::is_same_v<T, ListGroupsRequest>) {
          list_groups(version, pending.frame);
        } else if constexpr (std::is_same_v<T, DescribeGroupsRequest>) {
          describe_groups(body, version, pending.frame);
        }
      },
      request.body);
  return pending;
}

}  // namespace strata::kafka
