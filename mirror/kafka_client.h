// librdkafka handles for the mirror: owning pointers, configuration from KEY=VALUE settings, and what the
// cluster's metadata says about topics. librdkafka's error codes become Status here, with the cluster named.
#pragma once

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "mirror/mirror.h"

namespace strata::mirror {

struct KafkaHandleDeleter {
  void operator()(rd_kafka_t* handle) const;
};
using KafkaHandle = std::unique_ptr<rd_kafka_t, KafkaHandleDeleter>;

struct PartitionListDeleter {
  void operator()(rd_kafka_topic_partition_list_t* list) const { rd_kafka_topic_partition_list_destroy(list); }
};
using PartitionList = std::unique_ptr<rd_kafka_topic_partition_list_t, PartitionListDeleter>;

// How long a metadata, watermark or commit request may take before the cluster counts as unreachable.
inline constexpr std::chrono::milliseconds kClusterTimeout{10'000};

// A configuration with bootstrap.servers, `defaults`, then `overrides` (a user's settings) applied in order.
// An unknown key or a bad value is kInvalidArgument naming it. The configuration is owned by the caller
// until new_handle() takes it.
struct ConfigDeleter {
  void operator()(rd_kafka_conf_t* conf) const { rd_kafka_conf_destroy(conf); }
};
using KafkaConfig = std::unique_ptr<rd_kafka_conf_t, ConfigDeleter>;
Result<KafkaConfig> make_config(const std::string& bootstrap, const ClientConfig& defaults,
                                const ClientConfig& overrides);

// A producer or consumer from `config` (taken over even on failure).
Result<KafkaHandle> new_handle(rd_kafka_type_t type, KafkaConfig config);

// A Status for a librdkafka error, `what` saying what was being done.
Status kafka_error(rd_kafka_resp_err_t error, const std::string& what);

// Every topic the cluster has (all-topics metadata, so nothing is auto-created) and its partition count.
Result<std::map<std::string, std::uint32_t>> cluster_topics(rd_kafka_t* handle, const std::string& bootstrap);
// How many brokers the cluster has (for the replication factor of a topic the mirror creates).
Result<int> cluster_broker_count(rd_kafka_t* handle, const std::string& bootstrap);

// Creates `topic` with `partitions` on the cluster, then waits until its metadata shows them. True when this
// call created it; false when the cluster answered that it already existed (created meanwhile by another).
Result<bool> create_cluster_topic(rd_kafka_t* handle, const std::string& bootstrap, const std::string& topic,
                                  std::uint32_t partitions);

// "topic/partition", the way errors and progress name a partition.
std::string partition_name(const std::string& topic, std::uint32_t partition);

}  // namespace strata::mirror
