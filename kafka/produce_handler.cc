// Produce and InitProducerId: client batches appended through the log's shared producer, answered when the
// engine acknowledges them (on the connection's reactor, woken by the acknowledgement).
#include "kafka/request_handler.h"

#include <algorithm>
#include <cstdio>

namespace strata::kafka {

namespace {

std::chrono::milliseconds produce_timeout(std::int32_t timeout_ms) {
  return std::chrono::milliseconds(std::clamp(timeout_ms, 1000, 120'000));
}

}  // namespace

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
      entry = topic_for(session, security::AclOperation::kWrite, topic.name, /*create=*/true, &topic_error);
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
  // A continuation: ready once every append is acknowledged (or at the deadline, when the waits below time
  // out at once); the reactor wakes for the producer's acknowledgements.
  pending.ready = [producer, in_flight] {
    return std::all_of(in_flight->begin(), in_flight->end(),
                       [&](const InFlight& append) { return producer->is_acknowledged(append.ticket); });
  };
  pending.woken_by = producer;
  pending.deadline = PendingResponse::Clock::now() + timeout;
  pending.finish = [this, response, in_flight, producer, version, client](ResponseFrame& out) {
    for (const InFlight& append : *in_flight) {
      ProduceResponse::Partition& partition = response->topics[append.topic].partitions[append.partition];
      auto offset = producer->wait(append.ticket, std::chrono::nanoseconds(0));
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
    return true;
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

void RequestHandler::init_producer_id(const InitProducerIdRequest& request, std::int16_t version,
                                      ResponseFrame& out) {
  InitProducerIdResponse response;
  if (request.transactional_id) {
    response.error = ErrorCode::kTransactionalIdAuthorizationFailed;  // fatal for clients (see find_coordinator)
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

}  // namespace strata::kafka
