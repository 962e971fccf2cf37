#include "bench/e2e/kafka_workload.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "kafka/server.h"

namespace strata::bench {

namespace {

using Clock = std::chrono::steady_clock;
constexpr const char* kTopic = "bench";

void on_delivery(rd_kafka_t*, const rd_kafka_message_t* message, void*);

}  // namespace

Result<KafkaHandle> make_client(rd_kafka_type_t type, const std::vector<std::pair<std::string, std::string>>& settings) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  if (type == RD_KAFKA_PRODUCER) rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
  char error[512];
  for (const auto& [name, value] : settings) {
    if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), error, sizeof error) != RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      return invalid_argument(std::string("librdkafka ") + name + ": " + error);
    }
  }
  rd_kafka_t* rk = rd_kafka_new(type, conf, error, sizeof error);
  if (rk == nullptr) return invalid_argument(std::string("librdkafka: ") + error);
  return KafkaHandle(rk);
}

namespace {

struct Delivery {
  std::uint64_t delivered = 0;
  std::uint64_t failed = 0;
  std::string first_error;
};

// The per-message opaque (message->_private) is the producing call's Delivery.
void on_delivery(rd_kafka_t*, const rd_kafka_message_t* message, void*) {
  auto* delivery = static_cast<Delivery*>(message->_private);
  if (delivery == nullptr) return;
  if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    if (delivery->failed++ == 0) delivery->first_error = rd_kafka_err2str(message->err);
  } else {
    ++delivery->delivered;
  }
}

// Produces options.events events to `bootstrap`; returns the seconds until the last delivery report.
Result<double> produce(const std::string& bootstrap, const WorkloadOptions& options) {
  Delivery delivery;
  auto producer = make_client(RD_KAFKA_PRODUCER, {{"bootstrap.servers", bootstrap},
                                                  {"acks", "all"},
                                                  {"enable.idempotence", "true"},
                                                  {"linger.ms", "5"},
                                                  {"queue.buffering.max.messages", "1000000"},
                                                  {"log_level", "3"}});
  if (!producer) return producer.status();
  std::vector<char> key(options.key_bytes, 'k');
  std::vector<char> value(options.value_bytes, 'v');
  const auto start = Clock::now();
  for (std::uint64_t i = 0; i < options.events; ++i) {
    std::memcpy(key.data(), &i, std::min(key.size(), sizeof i));
    while (true) {
      const rd_kafka_resp_err_t error =
          rd_kafka_producev(producer->get(), RD_KAFKA_V_TOPIC(kTopic), RD_KAFKA_V_KEY(key.data(), key.size()),
                            RD_KAFKA_V_VALUE(value.data(), value.size()), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                            RD_KAFKA_V_OPAQUE(&delivery), RD_KAFKA_V_END);
      if (error == RD_KAFKA_RESP_ERR_NO_ERROR) break;
      if (error != RD_KAFKA_RESP_ERR__QUEUE_FULL) return io_error(std::string("produce: ") + rd_kafka_err2str(error));
      rd_kafka_poll(producer->get(), 10);
    }
    if ((i & 1023) == 0) rd_kafka_poll(producer->get(), 0);
  }
  while (delivery.delivered + delivery.failed < options.events) {
    rd_kafka_poll(producer->get(), 100);
    if (Clock::now() - start > std::chrono::minutes(5)) return Status(StatusCode::kTimedOut, "deliveries took over 5 minutes");
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  if (delivery.failed > 0) {
    return io_error(std::to_string(delivery.failed) + " deliveries failed, the first: " + delivery.first_error);
  }
  return seconds;
}

void assign_from(rd_kafka_t* consumer, std::uint32_t partitions, std::int64_t offset) {
  rd_kafka_topic_partition_list_t* assignment = rd_kafka_topic_partition_list_new(static_cast<int>(partitions));
  for (std::uint32_t p = 0; p < partitions; ++p) {
    rd_kafka_topic_partition_list_add(assignment, kTopic, static_cast<std::int32_t>(p))->offset = offset;
  }
  rd_kafka_assign(consumer, assignment);
  rd_kafka_topic_partition_list_destroy(assignment);
}

// A consumer assigned every partition of the bench topic from its start (no group membership), with
// `settings` added to the common ones.
Result<KafkaHandle> consumer_from_the_start(const std::string& bootstrap, std::uint32_t partitions,
                                            std::vector<std::pair<std::string, std::string>> settings) {
  settings.insert(settings.end(), {{"bootstrap.servers", bootstrap},
                                   {"group.id", "bench"},
                                   {"enable.auto.commit", "false"},
                                   {"log_level", "3"}});
  auto consumer = make_client(RD_KAFKA_CONSUMER, settings);
  if (!consumer) return consumer.status();
  assign_from(consumer->get(), partitions, RD_KAFKA_OFFSET_BEGINNING);
  return consumer;
}

// kafka-fetch reads a window of the topic again and again from its start: librdkafka's mock cluster keeps at
// most 5 MiB per partition (dropping the oldest past it), so a reference that reads N events once from the
// start finds them gone. Both brokers serve the same window the same number of times. The window keeps each
// partition at kFetchWindowBytes of values and keys (with the record overhead, well under the mock's 5 MiB).
constexpr std::uint64_t kFetchWindowBytes = 3u << 20;

std::uint64_t fetch_window_events(const WorkloadOptions& options) {
  const std::uint64_t event_bytes = options.value_bytes + options.key_bytes + 16;  // 16: a record's framing
  const std::uint64_t per_partition = std::max<std::uint64_t>(1, kFetchWindowBytes / event_bytes);
  return std::min<std::uint64_t>(options.events, per_partition * options.partitions);
}

// Reads the `window` events from the start of every partition, again from the start each time, until
// options.events were read; returns the seconds it took.
Result<double> consume(const std::string& bootstrap, const WorkloadOptions& options, std::uint64_t window) {
  // A fetch at the end of the window must not long-poll the next round away (the default waits 500 ms).
  auto consumer = consumer_from_the_start(bootstrap, options.partitions, {{"fetch.wait.max.ms", "5"}});
  if (!consumer) return consumer.status();
  std::uint64_t received = 0;
  std::uint64_t in_round = 0;
  const auto start = Clock::now();
  while (received < options.events) {
    rd_kafka_message_t* message = rd_kafka_consumer_poll(consumer->get(), 100);
    if (message != nullptr) {
      if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        ++received;
        ++in_round;
      }
      rd_kafka_message_destroy(message);
    }
    if (in_round == window && received < options.events) {
      rd_kafka_assign(consumer->get(), nullptr);  // drops what was fetched ahead
      assign_from(consumer->get(), options.partitions, 0);  // both brokers start partitions at 0
      in_round = 0;
    }
    if (Clock::now() - start > std::chrono::seconds(60)) {
      return Status(StatusCode::kTimedOut, "read " + std::to_string(received) + " events in 60 s");
    }
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  rd_kafka_consumer_close(consumer->get());
  return seconds;
}

// Produce-to-consume latency at a low rate: a consumer (assigned every partition, from the start) runs while
// a producer (acks=all, idempotent, linger 0: one event per request at this rate) sends options.events
// events paced at kLatencyEventsPerSecond, each value starting with its send time (steady clock, ns); the
// consumer records receive minus send. Both run in this process, so the clocks agree.
constexpr double kLatencyEventsPerSecond = 1000;
constexpr std::int64_t kWarmUpStamp = -1;  // the value stamp of the events sent before measuring

Result<double> measure_latency(const std::string& bootstrap, const WorkloadOptions& options,
                               std::vector<double>* latencies_us) {
  auto consumer = consumer_from_the_start(bootstrap, options.partitions, {{"fetch.wait.max.ms", "500"}});
  if (!consumer) return consumer.status();
  latencies_us->clear();
  latencies_us->reserve(options.events);
  std::atomic<bool> consumer_failed{false};
  std::atomic<bool> warmed_up{false};
  std::thread receiver([&] {
    const auto give_up = Clock::now() + std::chrono::seconds(30) +
                         std::chrono::milliseconds(static_cast<std::int64_t>(options.events));
    while (latencies_us->size() < options.events && Clock::now() < give_up) {
      rd_kafka_message_t* message = rd_kafka_consumer_poll(consumer->get(), 100);
      if (message == nullptr) continue;
      if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR && message->len >= sizeof(std::int64_t)) {
        std::int64_t sent_ns = 0;
        std::memcpy(&sent_ns, message->payload, sizeof sent_ns);
        const std::int64_t now_ns = Clock::now().time_since_epoch().count();
        if (sent_ns == kWarmUpStamp) {
          warmed_up = true;
        } else {
          latencies_us->push_back(static_cast<double>(now_ns - sent_ns) / 1e3);
        }
      }
      rd_kafka_message_destroy(message);
    }
    if (latencies_us->size() < options.events) consumer_failed = true;
  });
  Delivery delivery;
  auto producer = make_client(RD_KAFKA_PRODUCER, {{"bootstrap.servers", bootstrap},
                                                  {"acks", "all"},
                                                  {"enable.idempotence", "true"},
                                                  {"linger.ms", "0"},
                                                  {"log_level", "3"}});
  if (!producer) {
    receiver.join();
    return producer.status();
  }
  std::vector<char> value(std::max(options.value_bytes, sizeof(std::int64_t)), 'v');
  const auto send = [&](std::int64_t stamp, std::uint32_t partition) {
    std::memcpy(value.data(), &stamp, sizeof stamp);
    const rd_kafka_resp_err_t error = rd_kafka_producev(
        producer->get(), RD_KAFKA_V_TOPIC(kTopic), RD_KAFKA_V_PARTITION(static_cast<std::int32_t>(partition)),
        RD_KAFKA_V_VALUE(value.data(), value.size()), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_OPAQUE(&delivery), RD_KAFKA_V_END);
    rd_kafka_poll(producer->get(), 0);
    return error;
  };
  // Measured events start once the consumer received a first one: connecting and the first fetches are
  // start-up, not latency.
  const auto warm_up_until = Clock::now() + std::chrono::seconds(30);
  for (std::uint32_t p = 0; p < options.partitions; ++p) (void)send(kWarmUpStamp, p);
  while (!warmed_up && Clock::now() < warm_up_until)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  const auto interval = std::chrono::nanoseconds(static_cast<std::int64_t>(1e9 / kLatencyEventsPerSecond));
  const auto start = Clock::now();
  for (std::uint64_t i = 0; i < options.events; ++i) {
    std::this_thread::sleep_until(start + interval * static_cast<std::int64_t>(i));
    const rd_kafka_resp_err_t error =
        send(Clock::now().time_since_epoch().count(), static_cast<std::uint32_t>(i % options.partitions));
    if (error != RD_KAFKA_RESP_ERR_NO_ERROR) {
      receiver.join();
      return io_error(std::string("produce: ") + rd_kafka_err2str(error));
    }
  }
  rd_kafka_flush(producer->get(), 30'000);
  receiver.join();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  rd_kafka_consumer_close(consumer->get());
  if (delivery.failed > 0) {
    return io_error(std::to_string(delivery.failed) +
                    " deliveries failed, the first: " + delivery.first_error);
  }
  if (consumer_failed) {
    return Status(StatusCode::kTimedOut, "the consumer received " + std::to_string(latencies_us->size()) +
                                             " of " + std::to_string(options.events) + " events");
  }
  return seconds;
}

WorkloadResult base(const char* name, const WorkloadOptions& options, double seconds) {
  WorkloadResult result;
  result.workload = name;
  result.events = options.events;
  result.producers = 1;
  result.value_bytes = options.value_bytes;
  result.key_bytes = options.key_bytes;
  result.durability = options.durability;
  result.seconds = seconds;
  result.partitions = options.partitions;
  result.peak_rss_mb = peak_rss_mb();
  return result;
}

// Runs `measure` against strata serve (on a fresh log in options.directory) and then against the mock
// cluster; first produces fill->events events when `fill` is set (the measure reads).
template <typename Measure>
Result<KafkaWorkloadResult> run_both(const char* name, const WorkloadOptions& options, const WorkloadOptions* fill,
                                     Measure measure) {
  KafkaWorkloadResult both;
  {
    LogOptions log_options;
    log_options.directory = options.directory;
    log_options.durability = options.durability;
    auto log = Log::open(log_options);
    if (!log) return log.status();
    auto topic = log.value()->topic(kTopic, TopicOptions{options.partitions, Compression::kNone});
    if (!topic) return topic.status();
    kafka::ServerOptions server_options;
    server_options.listen_port = 0;
    auto server = kafka::Server::start(*log.value(), server_options);
    if (!server) return server.status();
    const std::string bootstrap = server.value()->listen_address();
    if (fill != nullptr) {
      auto filled = produce(bootstrap, *fill);
      if (!filled) return filled.status();
    }
    auto seconds = measure(bootstrap);
    if (!seconds) return seconds.status();
    both.result = base(name, options, *seconds);
    const LogStats stats = log.value()->stats();
    both.result.disk_bytes = stats.disk_bytes_written;
    both.result.syncs = stats.syncs;
    both.result.io_backend = stats.io_backend;
    server.value()->stop();
    STRATA_RETURN_IF_ERROR(log.value()->close());
  }
  {
    // The mock cluster lives in a client handle of its own.
    auto host = make_client(RD_KAFKA_PRODUCER, {{"log_level", "3"}});
    if (!host) return host.status();
    rd_kafka_mock_cluster_t* cluster = rd_kafka_mock_cluster_new(host->get(), 1);
    if (cluster == nullptr) return io_error("librdkafka's mock cluster did not start");
    rd_kafka_mock_topic_create(cluster, kTopic, static_cast<int>(options.partitions), 1);
    const std::string bootstrap = rd_kafka_mock_cluster_bootstraps(cluster);
    Result<double> seconds = 0.0;
    if (fill != nullptr) {
      auto filled = produce(bootstrap, *fill);
      if (!filled) seconds = filled.status();
    }
    if (seconds) seconds = measure(bootstrap);
    rd_kafka_mock_cluster_destroy(cluster);
    // Should the mock cluster fail anyway, report the reference as missing rather than fail the run.
    both.reference = base(name, options, seconds ? *seconds : 0);
    both.reference.io_backend = seconds ? "librdkafka mock cluster (in memory)"
                                        : "librdkafka mock cluster failed: " + seconds.status().to_string();
  }
  both.ratio = both.reference.events_per_s() > 0 ? both.result.events_per_s() / both.reference.events_per_s() : 0;
  return both;
}

}  // namespace

Result<KafkaWorkloadResult> run_kafka_produce(const WorkloadOptions& options) {
  return run_both("kafka-produce", options, nullptr, [&](const std::string& bootstrap) { return produce(bootstrap, options); });
}

Result<KafkaWorkloadResult> run_kafka_latency(const WorkloadOptions& options) {
  std::vector<double> latencies_us[2];  // strata serve, then the mock cluster
  int run = 0;
  auto measured = run_both("kafka-latency", options, nullptr, [&](const std::string& bootstrap) {
    return measure_latency(bootstrap, options, &latencies_us[run++]);
  });
  if (!measured) return measured.status();
  measured->result.tail_latency = summarize(latencies_us[0]);
  if (!latencies_us[1].empty()) measured->reference.tail_latency = summarize(latencies_us[1]);
  return measured;
}

Result<KafkaWorkloadResult> run_kafka_fetch(const WorkloadOptions& options) {
  const std::uint64_t window = fetch_window_events(options);
  WorkloadOptions fill = options;
  fill.events = window;
  return run_both("kafka-fetch", options, &fill,
                  [&](const std::string& bootstrap) { return consume(bootstrap, options, window); });
}

}  // namespace strata::bench
