// The server's request semantics (see request_handler.h). Each API's handler turns a decoded request into
// engine calls and a response; errors are per partition wherever Kafka has a per-partition code.
#include "kafka/request_handler.h"

#include <algorithm>
#include <cstdio>

#include "strata/consumer_group.h"

namespace strata::kafka {

namespace {

constexpr std::size_t kReadersPerSessionMax = 4096;
constexpr const char* kNoTransactions =
    "strata serves no transactions: leave transactional.id unset (enable.idempotence alone is served)";
constexpr std::size_t kGroupMetadataBytesMax = 4096;  // consumer_group.h's limit
constexpr std::int32_t kFetchWaitMaxMs = 30'000;
// A long-polling Fetch looks at the server's stopping flag at least this often.
constexpr auto kStopCheck = std::chrono::milliseconds(200);

template <typename Response>
void encode_into(const Response& response, std::int16_t version, PendingResponse& pending) {
  encode(response, version, pending.frame);
}

std::chrono::milliseconds produce_timeout(std::int32_t timeout_ms) {
  return std::chrono::milliseconds(std::clamp(timeout_ms, 1000, 120'000));
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
          FindCoordinatorResponse response;
          if (body.key_type != 0) {
            // Not COORDINATOR_NOT_AVAILABLE, which clients retry until init_transactions times out: this
            // error is fatal for librdkafka's and Java's transaction managers, so init_transactions fails
            // now.
            response.error = ErrorCode::kTransactionalIdAuthorizationFailed;
            response.error_message = kNoTransactions;
          } else {
            response.node_id = options_.node_id;
            response.host = options_.advertised_host;
            response.port = options_.advertised_port;
          }
          encode_into(response, version, pending);
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

void RequestHandler::metadata(const MetadataRequest& request, std::int16_t version, ResponseFrame& out) {
  MetadataResponse response;
  response.brokers.push_back({options_.node_id, options_.advertised_host, options_.advertised_port});
  response.cluster_id = options_.cluster_id;
  response.controller_id = options_.node_id;  // kafkajs sends InitProducerId to the controller
  auto add = [&](const TopicEntry& topic) {
    MetadataResponse::Topic entry;
    entry.name = topic.name;
    for (std::uint32_t p = 0; p < topic.partitions; ++p) {
      entry.partitions.push_back({ErrorCode::kNone, static_cast<std::int32_t>(p), options_.node_id});
    }
    response.topics.push_back(std::move(entry));
  };
  if (request.all_topics) {
    for (const TopicEntry& topic : topics_.all()) add(topic);
  } else {
    for (std::string_view name : request.topics) {
      ErrorCode error = ErrorCode::kNone;
      auto topic = topic_for(name, request.allow_auto_topic_creation, &error);
      if (topic) {
        add(*topic);
      } else {
        response.topics.push_back({error, std::string(name), {}});
      }
    }
  }
  encode(response, version, out);
}

void RequestHandler::produce(const ProduceRequest& request, std::int16_t version, Session& session,
                             PendingResponse& pending) {
  struct InFlight {
    std::size_t topic = 0;
    std::size_t partition = 0;
    TopicId topic_id = 0;
    Ticket ticket;
  };
  auto response = std::make_shared<ProduceResponse>();
  auto in_flight = std::make_shared<std::vector<InFlight>>();
  bool refused = false;
  for (const auto& topic : request.topics) {
    ProduceResponse::Topic& topic_out = response->topics.emplace_back();
    topic_out.name = std::string(topic.name);
    ErrorCode topic_error = ErrorCode::kNone;
    std::optional<TopicEntry> entry;
    if (produce_request_error(request, version) == ErrorCode::kNone) {
      entry = topic_for(topic.name, /*create=*/true, &topic_error);
    }
    for (const auto& partition : topic.partitions) {
      ProduceResponse::Partition& partition_out = topic_out.partitions.emplace_back();
      partition_out.index = partition.index;
      partition_out.error = produce_partition_error(request, version, entry, topic_error, partition);
      if (partition_out.error != ErrorCode::kNone) {
        refused = true;
        continue;
      }
      const Bytes records = *partition.records;
      if (session.producer == nullptr) session.producer = &log_.shared_producer();
      auto ticket = session.producer->append_batch(entry->id, static_cast<std::uint32_t>(partition.index),
                                                   records, produce_timeout(request.timeout_ms));
      if (!ticket) {
        partition_out.error = error_for(ticket.status());
        std::fprintf(stderr, "strata serve: %s: produce to %s-%d refused: %s\n",
                     session.client_address.c_str(), entry->name.c_str(), partition.index,
                     ticket.status().to_string().c_str());
        continue;
      }
      in_flight->push_back(
          {response->topics.size() - 1, topic_out.partitions.size() - 1, entry->id, *ticket});
    }
  }
  if (request.acks == 0) {
    // No response at all; the appends complete on their own. A partition refused at once closes the
    // connection, as Kafka does, so that the client learns of it (it has no answer to read it from).
    pending.send = false;
    pending.close_connection = refused;
    if (in_flight->empty()) return;
  }
  Producer* producer = session.producer;
  const auto timeout = produce_timeout(request.timeout_ms);
  const std::string client = session.client_address;
  pending.finish = [this, response, in_flight, producer, timeout, version, client](ResponseFrame& out) {
    for (const InFlight& append : *in_flight) {
      ProduceResponse::Partition& partition = response->topics[append.topic].partitions[append.partition];
      auto offset = producer->wait(append.ticket, timeout);
      if (offset) {
        partition.base_offset = static_cast<std::int64_t>(*offset);
      } else {
        // An expired ticket (kNotFound: appends_in_flight_max later appends of the shared producer since)
        // leaves the outcome unknown: a timeout, which an idempotent client retries and the engine dedups.
        partition.error = offset.status().code() == StatusCode::kNotFound ? ErrorCode::kRequestTimedOut
                                                                          : error_for(offset.status());
        std::fprintf(stderr, "strata serve: %s: produce to %s-%d failed: %s\n", client.c_str(),
                     response->topics[append.topic].name.c_str(), partition.index,
                     offset.status().to_string().c_str());
      }
      if (auto offsets = log_.offsets(append.topic_id, static_cast<std::uint32_t>(partition.index))) {
        partition.log_start_offset = static_cast<std::int64_t>(offsets->log_start);
      }
    }
    encode(*response, version, out);
  };
}

ErrorCode produce_request_error(const ProduceRequest& request, std::int16_t version) {
  if (version < kProduceServedMin) return ErrorCode::kUnsupportedVersion;  // magic 0/1 message sets
  if (request.acks != 0 && request.acks != 1 && request.acks != -1) return ErrorCode::kInvalidRequiredAcks;
  return ErrorCode::kNone;
}

ErrorCode produce_partition_error(const ProduceRequest& request, std::int16_t version,
                                  const std::optional<TopicEntry>& entry, ErrorCode topic_error,
                                  const ProduceRequest::Partition& partition) {
  if (ErrorCode error = produce_request_error(request, version); error != ErrorCode::kNone) return error;
  if (!entry) return topic_error;
  if (partition.index < 0 || static_cast<std::uint32_t>(partition.index) >= entry->partitions) {
    return ErrorCode::kUnknownTopicOrPartition;
  }
  if (request.transactional_id) return ErrorCode::kTransactionalIdAuthorizationFailed;
  if (!partition.records || partition.records->empty()) return ErrorCode::kInvalidRecord;
  const Bytes records = *partition.records;
  // attributes (bits 0-2: codec) sit 21 bytes into a v2 batch; zstd needs Produce v7 (KIP-110).
  if (version < 7 && records.size() > 22 && (std::to_integer<int>(records[22]) & 7) == 4) {
    return ErrorCode::kUnsupportedCompressionType;
  }
  return ErrorCode::kNone;
}

void RequestHandler::fetch(const FetchRequest& request, std::int16_t version, Session& session,
                           ResponseFrame& out) {
  FetchResponse response;
  response.read_committed = request.isolation_level == 1;
  struct Slot {
    FetchResponse::Partition* partition;
    TopicEntry topic;
    Reader* reader;
    std::size_t bytes_max;
    bool done;
  };
  std::vector<Slot> slots;
  for (const auto& topic : request.topics) {
    FetchResponse::Topic& topic_out = response.topics.emplace_back();
    topic_out.name = std::string(topic.name);
    topic_out.partitions.reserve(topic.partitions.size());  // Slots point at these
  }
  for (std::size_t t = 0; t < request.topics.size(); ++t) {
    const auto& topic = request.topics[t];
    ErrorCode topic_error = ErrorCode::kNone;
    auto entry = topic_for(topic.name, /*create=*/false, &topic_error);
    for (const auto& partition : topic.partitions) {
      FetchResponse::Partition& partition_out = response.topics[t].partitions.emplace_back();
      partition_out.index = partition.index;
      PartitionOffsets offsets;
      partition_out.error = partition_offsets(entry, topic_error, partition.index, &offsets);
      if (partition_out.error != ErrorCode::kNone) continue;
      const auto index = static_cast<std::uint32_t>(partition.index);
      partition_out.high_watermark = static_cast<std::int64_t>(offsets.durable);
      partition_out.log_start_offset = static_cast<std::int64_t>(offsets.log_start);
      if (partition.fetch_offset < partition_out.log_start_offset ||
          partition.fetch_offset > partition_out.high_watermark) {
        partition_out.error = ErrorCode::kOffsetOutOfRange;
        continue;
      }
      Reader* reader = reader_for(session, *entry, index);
      if (reader == nullptr) {
        partition_out.error = ErrorCode::kUnknownServerError;
        continue;
      }
      const auto fetch_offset = static_cast<std::uint64_t>(partition.fetch_offset);
      if (reader->position() != fetch_offset) {
        Status sought = reader->seek(fetch_offset);
        if (!sought.is_ok()) {
          partition_out.error = error_for(sought);
          continue;
        }
      }
      slots.push_back({&partition_out, *entry, reader,
                       static_cast<std::size_t>(std::max(partition.partition_max_bytes, 0)), false});
    }
  }

  const std::size_t response_max = static_cast<std::size_t>(std::max(request.max_bytes, 0));
  const std::size_t min_bytes = static_cast<std::size_t>(std::max(request.min_bytes, 0));
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::milliseconds(std::clamp(request.max_wait_ms, 0, kFetchWaitMaxMs));
  std::size_t total = 0;
  std::vector<Reader*> waiting;
  for (;;) {
    for (Slot& slot : slots) {
      if (slot.done) continue;
      std::size_t partition_bytes = slot.partition->bytes();
      if (total > 0 && (total >= response_max || partition_bytes >= slot.bytes_max)) continue;
      const std::size_t limit = std::min(slot.bytes_max - std::min(slot.bytes_max, partition_bytes),
                                         response_max - std::min(response_max, total));
      auto polled = slot.reader->poll_batches(limit, [&](const BatchView& batch) {
        const std::size_t size = batch.bytes.size();
        // KIP-74: the first batch of the response is sent whole whatever the limits; any other must fit.
        if (total > 0 && (partition_bytes + size > slot.bytes_max || total + size > response_max)) {
          slot.done = true;  // the reader moved past it: the next Fetch seeks back
          return false;
        }
        slot.partition->batches.push_back(batch);
        total += size;
        partition_bytes += size;
        return partition_bytes < slot.bytes_max && total < response_max;
      });
      if (!polled) {
        std::fprintf(stderr, "strata serve: fetch %s-%d: %s\n", slot.topic.name.c_str(),
                     slot.partition->index, polled.status().to_string().c_str());
        // A topic deleted meanwhile (DeleteTopics on another connection) is one the server no longer knows.
        const auto current = topics_.find(slot.topic.name);
        slot.partition->error = current && current->id == slot.topic.id ? error_for(polled.status())
                                                                        : ErrorCode::kUnknownTopicOrPartition;
        slot.partition->batches.clear();
        slot.done = true;
      }
    }
    const auto now = std::chrono::steady_clock::now();
    const bool stopping = session.stopping != nullptr && session.stopping->load(std::memory_order_relaxed);
    waiting.clear();
    for (Slot& slot : slots) {
      if (!slot.done) waiting.push_back(slot.reader);
    }
    if (total >= min_bytes || total >= response_max || now >= deadline || stopping || waiting.empty()) break;
    const auto left = std::chrono::duration_cast<std::chrono::nanoseconds>(deadline - now);
    // The engine's wake-up: one partition's, or the log's for several (no polling either way).
    (void)Reader::wait_any(waiting, std::min<std::chrono::nanoseconds>(left, kStopCheck));
  }
  // The high watermark after the reads: at least the end of every batch returned.
  for (Slot& slot : slots) {
    if (auto offsets = log_.offsets(slot.topic.id, static_cast<std::uint32_t>(slot.partition->index))) {
      slot.partition->high_watermark = static_cast<std::int64_t>(offsets->durable);
      slot.partition->log_start_offset = static_cast<std::int64_t>(offsets->log_start);
    }
  }
  metrics_.count_fetched(response);
  encode(response, version, out);
}

void RequestHandler::list_offsets(const ListOffsetsRequest& request, std::int16_t version, Session& session,
                                  ResponseFrame& out) {
  ListOffsetsResponse response;
  for (const auto& topic : request.topics) {
    ListOffsetsResponse::Topic& topic_out = response.topics.emplace_back();
    topic_out.name = std::string(topic.name);
    ErrorCode topic_error = ErrorCode::kNone;
    auto entry = topic_for(topic.name, /*create=*/false, &topic_error);
    for (const auto& partition : topic.partitions) {
      ListOffsetsResponse::Partition& partition_out = topic_out.partitions.emplace_back();
      partition_out.index = partition.index;
      PartitionOffsets offsets;
      partition_out.error = partition_offsets(entry, topic_error, partition.index, &offsets);
      if (partition_out.error != ErrorCode::kNone) continue;
      const auto index = static_cast<std::uint32_t>(partition.index);
      if (partition.timestamp == -1) {
        partition_out.offset = static_cast<std::int64_t>(offsets.durable);
        continue;
      }
      if (partition.timestamp == -2) {
        partition_out.offset = static_cast<std::int64_t>(offsets.log_start);
        continue;
      }
      if (partition.timestamp < 0) {  // -3 (max timestamp) and others need versions not served
        partition_out.error = ErrorCode::kUnsupportedVersion;
        continue;
      }
      Reader* reader = reader_for(session, *entry, index);
      if (reader == nullptr) {
        partition_out.error = ErrorCode::kUnknownServerError;
        continue;
      }
      const std::int64_t timestamp_us =
          partition.timestamp > INT64_MAX / 1000 ? INT64_MAX : partition.timestamp * 1000;
      Status sought = reader->seek_time(timestamp_us);
      if (!sought.is_ok()) {
        partition_out.error = error_for(sought);
        continue;
      }
      // The first event at or after the time: its offset and its own timestamp; none: -1, -1.
      auto polled = reader->poll(1, [&](const Event& event) {
        partition_out.offset = static_cast<std::int64_t>(event.offset);
        partition_out.timestamp = event.timestamp_us / 1000;
      });
      if (!polled) partition_out.error = error_for(polled.status());
    }
  }
  encode(response, version, out);
}

void RequestHandler::init_producer_id(const InitProducerIdRequest& request, std::int16_t version,
                                      ResponseFrame& out) {
  InitProducerIdResponse response;
  if (request.transactional_id) {
    response.error = ErrorCode::kTransactionalIdAuthorizationFailed;  // fatal for clients, as above
  } else if (auto identity = log_.allocate_producer_id()) {
    response.producer_id = identity->producer_id;
    response.producer_epoch = identity->epoch;
  } else {
    std::fprintf(stderr, "strata serve: allocating a producer id: %s\n",
                 identity.status().to_string().c_str());
    response.error = ErrorCode::kKafkaStorageError;
  }
  encode(response, version, out);
}

// Kafka answers a name it does not know, valid or not, with UNKNOWN_TOPIC_OR_PARTITION.
void RequestHandler::delete_topics(const DeleteTopicsRequest& request, std::int16_t version,
                                   ResponseFrame& out) {
  DeleteTopicsResponse response;
  for (std::string_view name : request.names) {
    DeleteTopicsResponse::Topic& result = response.topics.emplace_back();
    result.name = std::string(name);
    const Status deleted = topics_.remove(name);
    if (deleted.is_ok()) continue;
    if (deleted.code() == StatusCode::kNotFound || deleted.code() == StatusCode::kInvalidArgument) {
      result.error = ErrorCode::kUnknownTopicOrPartition;
    } else {
      std::fprintf(stderr, "strata serve: DeleteTopics %s: %s\n", result.name.c_str(),
                   deleted.to_string().c_str());
      result.error = error_for(deleted);
    }
  }
  encode(response, version, out);
}

void RequestHandler::create_topics(const CreateTopicsRequest& request, std::int16_t version,
                                   ResponseFrame& out) {
  CreateTopicsResponse response;
  for (const auto& topic : request.topics) {
    CreateTopicsResponse::Topic& result = response.topics.emplace_back();
    result.name = std::string(topic.name);
    Status valid = validate_topic_name(topic.name);
    const std::int32_t partitions = topic.partitions != -1       ? topic.partitions
                                    : !topic.assignments.empty() ? static_cast<std::int32_t>(topic.assignments.size())
                                                                 : static_cast<std::int32_t>(options_.default_partitions);
    TopicOptions topic_options;
    if (!valid.is_ok()) {
      result.error = ErrorCode::kInvalidTopic;
      result.message = valid.message();
    } else if (topics_.find(topic.name)) {
      result.error = ErrorCode::kTopicAlreadyExists;
      result.message = "topic " + result.name + " already exists";
    } else if (partitions < 1 || static_cast<std::uint32_t>(partitions) > kPartitionsMax) {
      result.error = ErrorCode::kInvalidPartitions;
      result.message = "partitions must be 1 to " + std::to_string(kPartitionsMax);
    } else if (topic.replication_factor != -1 && topic.replication_factor != 1) {
      result.error = ErrorCode::kInvalidReplicationFactor;
      result.message = "strata is one node: the replication factor is 1";
    } else if (!replicas_are_this_node(topic.assignments, options_.node_id, &result.message)) {
      result.error = ErrorCode::kInvalidReplicaAssignment;
    } else if ((result.error = create_topic_configs(topic, &topic_options.configs, &result.message)) !=
               ErrorCode::kNone) {
      // the message names the config
    } else if (!request.validate_only) {
      topic_options.partitions = static_cast<std::uint32_t>(partitions);
      auto created = topics_.create(topic.name, topic_options);
      if (!created) {
        result.error = ErrorCode::kUnknownServerError;
        result.message = created.status().to_string();
      }
    }
  }
  encode(response, version, out);
}

void RequestHandler::offset_commit(const OffsetCommitRequest& request, std::int16_t version,
                                   ResponseFrame& out) {
  OffsetCommitResponse response;
  const ErrorCode group_error =
      request.group_id.empty() ? ErrorCode::kInvalidGroupId
                               : coordinator_.commit_error(request.group_id, request.generation_id, request.member_id);
  // The partitions that may commit go to the group log as one record (one fdatasync, shared with others).
  std::vector<GroupPartitionOffset> accepted;
  std::vector<std::pair<std::size_t, std::size_t>> accepted_at;  // (topic, partition) in the response
  for (const auto& topic : request.topics) {
    OffsetCommitResponse::Topic& topic_out = response.topics.emplace_back();
    topic_out.name = std::string(topic.name);
    ErrorCode topic_error = group_error;
    std::optional<TopicEntry> entry;
    if (group_error == ErrorCode::kNone) entry = topic_for(topic.name, /*create=*/false, &topic_error);
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
        accepted_at.emplace_back(response.topics.size() - 1, topic_out.partitions.size() - 1);
      }
    }
  }
  if (!accepted.empty()) {
    const Status committed = commit_group_offsets(directory_, request.group_id, accepted);
    if (!committed.is_ok()) {
      std::fprintf(stderr, "strata serve: commit of group %.*s: %s\n", static_cast<int>(request.group_id.size()),
                   request.group_id.data(), committed.to_string().c_str());
      const ErrorCode error = committed.code() == StatusCode::kInvalidArgument ? ErrorCode::kInvalidRequest
                                                                                : ErrorCode::kKafkaStorageError;
      for (const auto& [t, p] : accepted_at) response.topics[t].partitions[p].error = error;
    }
  }
  encode(response, version, out);
}

void RequestHandler::offset_fetch(const OffsetFetchRequest& request, std::int16_t version,
                                  ResponseFrame& out) {
  OffsetFetchResponse response;
  const bool group_valid = !request.group_id.empty();
  if (!group_valid && version >= 2) {
    response.error = ErrorCode::kInvalidGroupId;
    encode(response, version, out);
    return;
  }
  if (request.all_topics) {
    auto all = list_group_offsets(directory_, request.group_id);
    if (all) {
      for (const GroupPartitionOffset& entry : *all) {
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

void RequestHandler::list_groups(std::int16_t version, ResponseFrame& out) {
  ListGroupsResponse response;
  response.groups = coordinator_.list();
  if (auto stored = strata::list_groups(directory_)) {
    for (const std::string& name : *stored) {
      const bool listed = std::any_of(response.groups.begin(), response.groups.end(),
                                      [&](const auto& group) { return group.group_id == name; });
      if (!listed) response.groups.push_back({name, ""});  // offsets only, no members now
    }
  }
  encode(response, version, out);
}

void RequestHandler::describe_groups(const DescribeGroupsRequest& request, std::int16_t version,
                                     ResponseFrame& out) {
  DescribeGroupsResponse response;
  for (std::string_view group_id : request.groups) {
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
