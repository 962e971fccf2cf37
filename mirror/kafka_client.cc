#include "mirror/kafka_client.h"

#include <algorithm>
#include <thread>

namespace strata::mirror {

namespace {

int timeout_ms(std::chrono::milliseconds timeout) {
  return static_cast<int>(timeout.count());
}

Status set_config(rd_kafka_conf_t* conf, const std::string& key, const std::string& value) {
  char error[512];
  if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), error, sizeof error) != RD_KAFKA_CONF_OK) {
    return invalid_argument("client setting " + key + "=" + value + ": " + error);
  }
  return Status::ok();
}

struct MetadataDeleter {
  void operator()(const rd_kafka_metadata_t* metadata) const { rd_kafka_metadata_destroy(metadata); }
};
using Metadata = std::unique_ptr<const rd_kafka_metadata_t, MetadataDeleter>;

Result<Metadata> all_topics_metadata(rd_kafka_t* handle, const std::string& bootstrap) {
  const rd_kafka_metadata_t* metadata = nullptr;
  const rd_kafka_resp_err_t error = rd_kafka_metadata(handle, 1, nullptr, &metadata, timeout_ms(kClusterTimeout));
  if (error != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return kafka_error(error, "reading the metadata of the cluster at " + bootstrap + " (is it reachable?)");
  }
  return Metadata(metadata);
}

}  // namespace

void KafkaHandleDeleter::operator()(rd_kafka_t* handle) const {
  rd_kafka_destroy(handle);
}

Status kafka_error(rd_kafka_resp_err_t error, const std::string& what) {
  const StatusCode code = error == RD_KAFKA_RESP_ERR__TIMED_OUT || error == RD_KAFKA_RESP_ERR__TRANSPORT
                              ? StatusCode::kTimedOut
                              : StatusCode::kIoError;
  return {code, what + ": " + rd_kafka_err2str(error)};
}

std::string partition_name(const std::string& topic, std::uint32_t partition) {
  return topic + "/" + std::to_string(partition);
}

Result<KafkaConfig> make_config(const std::string& bootstrap, const ClientConfig& defaults,
                                const ClientConfig& overrides) {
  KafkaConfig conf(rd_kafka_conf_new());
  STRATA_RETURN_IF_ERROR(set_config(conf.get(), "bootstrap.servers", bootstrap));
  // Connection errors are reported by the requests that fail, with the topic and partition named; the
  // client's own log lines about each retry would only repeat them.
  STRATA_RETURN_IF_ERROR(set_config(conf.get(), "log_level", "3"));
  for (const auto& [key, value] : defaults) STRATA_RETURN_IF_ERROR(set_config(conf.get(), key, value));
  for (const auto& [key, value] : overrides) {
    // The cluster is the command's own argument: an override would send the copy somewhere its summary,
    // its resume point and its checks do not name.
    if (key == "bootstrap.servers" || key == "metadata.broker.list") {
      return invalid_argument(key + "=" + value + ": the cluster is given by --to, --from or --repair-from (" +
                              bootstrap + "), not by a client setting");
    }
    STRATA_RETURN_IF_ERROR(set_config(conf.get(), key, value));
  }
  return conf;
}

Result<KafkaHandle> new_handle(rd_kafka_type_t type, KafkaConfig config) {
  char error[512];
  rd_kafka_t* handle = rd_kafka_new(type, config.get(), error, sizeof error);
  if (handle == nullptr) return invalid_argument(std::string("creating a Kafka client: ") + error);
  (void)config.release();  // rd_kafka_new took it
  return KafkaHandle(handle);
}

Result<std::map<std::string, std::uint32_t>> cluster_topics(rd_kafka_t* handle, const std::string& bootstrap) {
  auto metadata = all_topics_metadata(handle, bootstrap);
  if (!metadata) return metadata.status();
  std::map<std::string, std::uint32_t> topics;
  for (int i = 0; i < metadata.value()->topic_cnt; ++i) {
    const rd_kafka_metadata_topic_t& topic = metadata.value()->topics[i];
    if (topic.err != RD_KAFKA_RESP_ERR_NO_ERROR) continue;
    topics[topic.topic] = static_cast<std::uint32_t>(topic.partition_cnt);
  }
  return topics;
}

Result<int> cluster_broker_count(rd_kafka_t* handle, const std::string& bootstrap) {
  auto metadata = all_topics_metadata(handle, bootstrap);
  if (!metadata) return metadata.status();
  return metadata.value()->broker_cnt;
}

namespace {

struct AdminDeleter {
  void operator()(rd_kafka_NewTopic_t* topic) const { rd_kafka_NewTopic_destroy(topic); }
  void operator()(rd_kafka_queue_t* queue) const { rd_kafka_queue_destroy(queue); }
  void operator()(rd_kafka_event_t* event) const { rd_kafka_event_destroy(event); }
};

// True when the topic was created, false when it already existed.
Result<bool> send_create_topic(rd_kafka_t* handle, const std::string& topic, std::uint32_t partitions,
                               int replication) {
  char error[512];
  std::unique_ptr<rd_kafka_NewTopic_t, AdminDeleter> new_topic(
      rd_kafka_NewTopic_new(topic.c_str(), static_cast<int>(partitions), replication, error, sizeof error));
  if (!new_topic) return invalid_argument("creating topic " + topic + " on the cluster: " + error);
  std::unique_ptr<rd_kafka_queue_t, AdminDeleter> queue(rd_kafka_queue_new(handle));
  rd_kafka_NewTopic_t* topics[] = {new_topic.get()};
  rd_kafka_CreateTopics(handle, topics, 1, nullptr, queue.get());
  std::unique_ptr<rd_kafka_event_t, AdminDeleter> event(rd_kafka_queue_poll(queue.get(), timeout_ms(kClusterTimeout)));
  if (!event) {
    return Status(StatusCode::kTimedOut, "creating topic " + topic +
                                             " on the cluster: no answer (create it yourself with " +
                                             std::to_string(partitions) + " partitions)");
  }
  if (rd_kafka_event_error(event.get()) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return kafka_error(rd_kafka_event_error(event.get()), "creating topic " + topic + " on the cluster");
  }
  size_t count = 0;
  const rd_kafka_topic_result_t** results =
      rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(event.get()), &count);
  bool created = count > 0;
  for (size_t i = 0; i < count; ++i) {
    const rd_kafka_resp_err_t result = rd_kafka_topic_result_error(results[i]);
    if (result == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
      created = false;
    } else if (result != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return kafka_error(result, "creating topic " + topic + " with " + std::to_string(partitions) +
                                     " partitions on the cluster (create it yourself with that count)");
    }
  }
  return created;
}

}  // namespace

Result<bool> create_cluster_topic(rd_kafka_t* handle, const std::string& bootstrap, const std::string& topic,
                                  std::uint32_t partitions) {
  auto brokers = cluster_broker_count(handle, bootstrap);
  if (!brokers) return brokers.status();
  auto created = send_create_topic(handle, topic, partitions, std::clamp(brokers.value(), 1, 3));
  if (!created) return created.status();
  const auto deadline = std::chrono::steady_clock::now() + kClusterTimeout;
  while (std::chrono::steady_clock::now() < deadline) {
    auto topics = cluster_topics(handle, bootstrap);
    if (!topics) return topics.status();
    if (auto found = topics->find(topic); found != topics->end() && found->second >= partitions) {
      return created.value();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return Status(StatusCode::kTimedOut,
                "topic " + topic + " was created on the cluster but its metadata did not show it in time");
}

}  // namespace strata::mirror
