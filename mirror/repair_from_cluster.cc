// repair_from_cluster: for each damaged run of offsets, a consumer assigned to that partition at its first
// offset reads the copy's events up to its end; they replace the damaged batch (strata/repair.h).
#include "mirror/repair_from_cluster.h"

#include <chrono>
#include <map>

#include "mirror/kafka_client.h"
#include "mirror/local_batch.h"
#include "mirror/source_offset_header.h"

namespace strata::mirror {

namespace {

const ClientConfig kConsumerDefaults = {
    {"enable.partition.eof", "true"}, {"enable.auto.commit", "false"}, {"auto.offset.reset", "error"},
    {"group.id", "strata-repair"}};  // assign() needs one in librdkafka; nothing is committed under it

// The events the copy holds for the damaged run, in offset order, each checked against its source offset.
Result<std::vector<Message>> fetch_run(rd_kafka_t* consumer, const DamagedBatch& damaged) {
  const std::string where = partition_name(damaged.topic, damaged.partition);
  PartitionList assignment(rd_kafka_topic_partition_list_new(1));
  rd_kafka_topic_partition_list_add(assignment.get(), damaged.topic.c_str(), static_cast<std::int32_t>(damaged.partition))
      ->offset = static_cast<std::int64_t>(damaged.first_offset);
  if (rd_kafka_resp_err_t error = rd_kafka_assign(consumer, assignment.get()); error != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return kafka_error(error, "assigning " + where + " of the copy");
  }
  std::vector<Message> messages;
  const auto deadline = std::chrono::steady_clock::now() + kClusterTimeout;
  while (messages.size() < damaged.end_offset - damaged.first_offset) {
    if (std::chrono::steady_clock::now() >= deadline) {
      return Status(StatusCode::kTimedOut, "the copy gave " + std::to_string(messages.size()) + " of the events at " +
                                               where + " offsets " + std::to_string(damaged.first_offset) + "-" +
                                               std::to_string(damaged.end_offset - 1) + " within " +
                                               std::to_string(kClusterTimeout.count() / 1000) + " s");
    }
    Message message(rd_kafka_consumer_poll(consumer, 100));
    if (!message) continue;
    if (message->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      return Status(StatusCode::kNotFound, "the copy's " + where + " ends at offset " +
                                               std::to_string(message->offset) + ", before the damaged offsets end (" +
                                               std::to_string(damaged.end_offset) + ")");
    }
    if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) return kafka_error(message->err, "reading " + where + " of the copy");
    const auto offset = static_cast<std::uint64_t>(message->offset);
    const std::uint64_t wanted = damaged.first_offset + messages.size();
    if (offset != wanted) {
      return Status(StatusCode::kNotFound, "the copy's " + where + " has no event at offset " + std::to_string(wanted) +
                                               " (it gave " + std::to_string(offset) + ")");
    }
    messages.push_back(std::move(message));
  }
  (void)rd_kafka_assign(consumer, nullptr);
  return messages;
}

// The source offset a copied event names, when it carries strata.source-offset.
std::optional<std::uint64_t> source_offset(const rd_kafka_message_t& message) {
  rd_kafka_headers_t* headers = nullptr;
  if (rd_kafka_message_headers(&message, &headers) != RD_KAFKA_RESP_ERR_NO_ERROR) return std::nullopt;
  const void* value = nullptr;
  size_t size = 0;
  if (rd_kafka_header_get_last(headers, std::string(kSourceOffsetHeader).c_str(), &value, &size) !=
      RD_KAFKA_RESP_ERR_NO_ERROR) {
    return std::nullopt;
  }
  return parse_source_offset(std::span(static_cast<const std::byte*>(value), size));
}

Result<RepairOutcome> repair_one(const RepairOptions& options, rd_kafka_t* consumer, const DamagedBatch& damaged) {
  auto messages = fetch_run(consumer, damaged);
  if (!messages) return messages.status();
  std::vector<std::vector<EventHeader>> headers(messages->size());
  std::vector<RepairRecord> records(messages->size());
  for (std::size_t i = 0; i < messages->size(); ++i) {
    const rd_kafka_message_t& message = *(*messages)[i];
    const auto offset = static_cast<std::uint64_t>(message.offset);
    if (const auto source = source_offset(message); source && *source != offset) {
      return Status(StatusCode::kInvalidArgument,
                    "the copy's event at " + partition_name(damaged.topic, damaged.partition) + " offset " +
                        std::to_string(offset) + " came from source offset " + std::to_string(*source) +
                        ": its offsets are not the log's (a mirror into a partition that was not empty)");
    }
    copy_headers(message, &headers[i]);
    records[i] = {offset,
                  timestamp_ms(message),
                  std::span(static_cast<const std::byte*>(message.key), message.key_len),
                  std::span(static_cast<const std::byte*>(message.payload), message.len),
                  headers[i],
                  message.key == nullptr,
                  message.payload == nullptr};
  }
  return repair_batch(options.dir, damaged, records);
}

// repair_one, once the copy answered with its topics (`topics`, asked once for every batch) and has this one.
Result<RepairOutcome> repair_from_copy(const RepairOptions& options,
                                       const Result<std::map<std::string, std::uint32_t>>& topics,
                                       rd_kafka_t* consumer, const DamagedBatch& damaged) {
  if (!topics) return topics.status();
  if (!topics->contains(damaged.topic)) {
    return Status(StatusCode::kNotFound, "the copy at " + options.bootstrap + " has no topic " + damaged.topic);
  }
  return repair_one(options, consumer, damaged);
}

}  // namespace

Result<std::vector<RepairResult>> repair_from_cluster(const RepairOptions& options,
                                                      const std::function<void(const RepairResult&)>& progress) {
  auto damaged = find_damaged_batches(options.dir, options.topic);
  if (!damaged) return damaged.status();
  std::vector<RepairResult> results;
  if (damaged->empty()) return results;
  auto config = make_config(options.bootstrap, kConsumerDefaults, options.client_config);
  if (!config) return config.status();
  auto consumer = new_handle(RD_KAFKA_CONSUMER, std::move(config.value()));
  if (!consumer) return consumer.status();
  // Asked once: an unreachable copy, or one without the topic, is said so for each batch (not a fetch that
  // times out on each).
  const auto topics = cluster_topics(consumer->get(), options.bootstrap);
  for (const DamagedBatch& batch : *damaged) {
    RepairResult result;
    result.batch = batch;
    auto outcome = repair_from_copy(options, topics, consumer->get(), batch);
    if (outcome) {
      result.repaired = true;
      result.byte_identical = outcome->byte_identical;
    } else {
      result.problem = outcome.status().to_string();
    }
    if (progress) progress(result);
    results.push_back(std::move(result));
  }
  (void)rd_kafka_consumer_close(consumer->get());
  return results;
}

}  // namespace strata::mirror
