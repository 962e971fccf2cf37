#include "bench/e2e/mirror_workload.h"

#include <chrono>
#include <cstring>
#include <filesystem>
#include <vector>

#include "kafka/server.h"
#include "mirror/mirror.h"

namespace strata::bench {

namespace {

constexpr const char* kTopic = "bench";

Status fill_source(const std::string& dir, const WorkloadOptions& options) {
  LogOptions log_options;
  log_options.directory = dir;
  log_options.durability = Durability::kNone;
  auto log = Log::open(log_options);
  if (!log) return log.status();
  auto topic = log.value()->topic(kTopic, TopicOptions{options.partitions, Compression::kNone});
  if (!topic) return topic.status();
  auto producer = log.value()->producer();
  std::vector<std::byte> key(options.key_bytes, std::byte{'k'});
  const std::vector<std::byte> value(options.value_bytes, std::byte{'v'});
  for (std::uint64_t i = 0; i < options.events; ++i) {
    std::memcpy(key.data(), &i, std::min(key.size(), sizeof i));
    auto ticket = producer->append(topic.value(), kAnyPartition, key, value);
    if (!ticket) return ticket.status();
  }
  STRATA_RETURN_IF_ERROR(producer->wait_all());
  producer.reset();
  return log.value()->close();  // the mirror reads what the log synced
}

Result<WorkloadResult> mirror_to_server(const std::string& source, const std::string& target,
                                        const WorkloadOptions& options) {
  LogOptions log_options;
  log_options.directory = target;
  log_options.durability = options.durability;
  auto log = Log::open(log_options);
  if (!log) return log.status();
  kafka::ServerOptions server_options;
  server_options.listen_port = 0;
  auto server = kafka::Server::start(*log.value(), server_options);
  if (!server) return server.status();
  const auto start = std::chrono::steady_clock::now();
  mirror::MirrorOptions mirror_options;
  mirror_options.dir = source;
  mirror_options.bootstrap = server.value()->listen_address();
  mirror_options.topics = {kTopic};
  auto copied = mirror::mirror_to_cluster(mirror_options, nullptr);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!copied) return copied.status();
  if (copied->events != options.events) {
    return io_error("the mirror copied " + std::to_string(copied->events) + " of " + std::to_string(options.events) +
                    " events");
  }
  WorkloadResult result = base_result("mirror", options, 1);
  result.seconds = seconds;
  result.partitions = options.partitions;
  const LogStats stats = log.value()->stats();
  result.disk_bytes = stats.disk_bytes_written;
  result.syncs = stats.syncs;
  result.io_backend = stats.io_backend;
  result.peak_rss_mb = peak_rss_mb();
  server.value()->stop();
  STRATA_RETURN_IF_ERROR(log.value()->close());
  return result;
}

}  // namespace

Result<KafkaWorkloadResult> run_mirror(const WorkloadOptions& options) {
  std::error_code error;
  std::filesystem::create_directories(options.directory, error);
  if (error) return io_error("creating " + options.directory + ": " + error.message());
  const std::string source = options.directory + "/source";
  STRATA_RETURN_IF_ERROR(fill_source(source, options));
  auto mirrored = mirror_to_server(source, options.directory + "/target", options);
  if (!mirrored) return mirrored.status();
  WorkloadOptions reference_options = options;
  reference_options.directory = options.directory + "/reference";
  auto produced = run_kafka_produce(reference_options);  // its strata serve run is the reference
  if (!produced) return produced.status();
  KafkaWorkloadResult both{.result = mirrored.value(), .reference = produced->result, .ratio = 0};
  both.ratio = both.reference.events_per_s() > 0 ? both.result.events_per_s() / both.reference.events_per_s() : 0;
  return both;
}

}  // namespace strata::bench
