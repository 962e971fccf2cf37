#include "bench/e2e/kafka_commit_workload.h"

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "bench/e2e/kafka_workload.h"
#include "kafka/server.h"
#include "strata/consumer_group.h"

namespace strata::bench {

namespace {

using Clock = std::chrono::steady_clock;
constexpr const char* kTopic = "bench-commit";
constexpr const char* kGroup = "bench-commit";
constexpr double kSyncFloorSeconds = 2;

Status fill(Log& log, TopicId topic, std::uint64_t per_partition, std::size_t value_bytes) {
  auto producer = log.producer();
  const std::vector<std::byte> value(value_bytes, std::byte{'v'});
  for (std::uint64_t i = 0; i < per_partition; ++i) {
    for (std::uint32_t p = 0; p < kCommitConsumers; ++p) {
      auto ticket = producer->append(topic, p, {}, value, {});
      if (!ticket) return ticket.status();
    }
  }
  return producer->wait_all();
}

// One consumer: its partition from the start, a synchronous commit after each message; the latency of
// each commit into *latencies_us. An error ends it with the error's text in *error.
void consume_and_commit(const std::string& bootstrap, std::uint32_t partition, std::uint64_t messages,
                        std::atomic<unsigned>* ready, std::vector<double>* latencies_us, std::string* error) {
  auto consumer = make_client(RD_KAFKA_CONSUMER, {{"bootstrap.servers", bootstrap},
                                                  {"group.id", kGroup},
                                                  {"enable.auto.commit", "false"},
                                                  {"fetch.wait.max.ms", "100"},
                                                  {"log_level", "3"}});
  if (!consumer) {
    *error = consumer.status().to_string();
    ready->fetch_add(1);
    return;
  }
  rd_kafka_topic_partition_list_t* assignment = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(assignment, kTopic, static_cast<std::int32_t>(partition))->offset =
      RD_KAFKA_OFFSET_BEGINNING;
  rd_kafka_assign(consumer->get(), assignment);
  rd_kafka_topic_partition_list_destroy(assignment);
  ready->fetch_add(1);
  latencies_us->reserve(messages);
  const auto give_up = Clock::now() + std::chrono::seconds(120);
  while (latencies_us->size() < messages && error->empty()) {
    if (Clock::now() > give_up) *error = "timed out after " + std::to_string(latencies_us->size()) + " commits";
    rd_kafka_message_t* message = rd_kafka_consumer_poll(consumer->get(), 100);
    if (message == nullptr) continue;
    if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      const auto start = Clock::now();
      const rd_kafka_resp_err_t committed = rd_kafka_commit_message(consumer->get(), message, /*async=*/0);
      latencies_us->push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
      if (committed != RD_KAFKA_RESP_ERR_NO_ERROR) *error = std::string("commit: ") + rd_kafka_err2str(committed);
    }
    rd_kafka_message_destroy(message);
  }
  rd_kafka_consumer_close(consumer->get());
}

}  // namespace

Result<WorkloadResult> run_kafka_commit(const WorkloadOptions& options) {
  const std::uint64_t per_consumer = std::max<std::uint64_t>(1, options.events / kCommitConsumers);
  LogOptions log_options;
  log_options.directory = options.directory;
  log_options.durability = options.durability;
  log_options.allow_buffered_io = options.allow_buffered_io;
  auto log = Log::open(log_options);
  if (!log) return log.status();
  auto topic = log.value()->topic(kTopic, TopicOptions{kCommitConsumers, Compression::kNone});
  if (!topic) return topic.status();
  STRATA_RETURN_IF_ERROR(fill(*log.value(), *topic, per_consumer, options.value_bytes));
  auto floor = measure_sync_floor(options.directory, kSyncFloorSeconds, options.allow_buffered_io);
  if (!floor) return Status(floor.status().code(), "sync floor: " + floor.status().message());
  kafka::ServerOptions server_options;
  server_options.listen_port = 0;
  auto server = kafka::Server::start(*log.value(), server_options);
  if (!server) return server.status();
  const std::string bootstrap = server.value()->listen_address();

  std::vector<std::vector<double>> latencies(kCommitConsumers);
  std::vector<std::string> errors(kCommitConsumers);
  std::atomic<unsigned> ready{0};
  std::vector<std::thread> consumers;
  const auto start = Clock::now();
  for (std::uint32_t c = 0; c < kCommitConsumers; ++c) {
    consumers.emplace_back(consume_and_commit, bootstrap, c, per_consumer, &ready, &latencies[c], &errors[c]);
  }
  for (auto& consumer : consumers) consumer.join();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  server.value()->stop();
  for (const std::string& error : errors) {
    if (!error.empty()) return io_error("kafka-commit consumer: " + error);
  }
  for (std::uint32_t c = 0; c < kCommitConsumers; ++c) {
    auto committed = read_group_offset(options.directory, kGroup, kTopic, c);
    if (!committed || committed->offset != per_consumer) {
      return corruption("kafka-commit: partition " + std::to_string(c) + " holds commit " +
                        (committed ? std::to_string(committed->offset) : committed.status().to_string()) +
                        ", expected " + std::to_string(per_consumer));
    }
  }
  WorkloadResult result = base_result("kafka-commit", options, 0);
  result.readers = kCommitConsumers;
  result.events = per_consumer * kCommitConsumers;
  result.seconds = seconds;
  result.partitions = kCommitConsumers;
  result.key_bytes = 0;
  result.sync_floor = *floor;
  std::vector<double> all;
  for (const auto& one : latencies) all.insert(all.end(), one.begin(), one.end());
  result.ack_latency = summarize(all);
  result.ack_latencies_us = std::move(all);
  result.io_backend = log.value()->stats().io_backend;
  result.peak_rss_mb = peak_rss_mb();
  STRATA_RETURN_IF_ERROR(log.value()->close());
  return result;
}

}  // namespace strata::bench
