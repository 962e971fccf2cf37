// The `kafka-produce` and `kafka-fetch` workloads of `strata bench` (DESIGN.md): a librdkafka client
// against `strata serve` (an embedded kafka::Server on loopback, sharing the machine with the client), and
// the same client against librdkafka's mock cluster (an in-memory broker) in the same run as the reference.
#pragma once

#include <librdkafka/rdkafka.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "bench/e2e/workload.h"

namespace strata::bench {

struct KafkaDeleter {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};
using KafkaHandle = std::unique_ptr<rd_kafka_t, KafkaDeleter>;
// A librdkafka client with `settings` (a producer reports deliveries to the per-message opaque, a Delivery).
Result<KafkaHandle> make_client(rd_kafka_type_t type, const std::vector<std::pair<std::string, std::string>>& settings);

struct KafkaWorkloadResult {
  WorkloadResult result;     // through strata serve
  WorkloadResult reference;  // through librdkafka's mock cluster
  double ratio = 0;          // result.events_per_s() / reference.events_per_s()
};

// A producer (acks=all, idempotent, linger 5 ms) sends options.events events (options.key_bytes keys,
// options.value_bytes values) to a topic of options.partitions partitions; timed until every delivery report
// arrived. With options.durability (sync by default) the server acknowledges after the fdatasync.
Result<KafkaWorkloadResult> run_kafka_produce(const WorkloadOptions& options);
// Produce-to-consume latency at a low rate (1000 events/s): a consumer of every partition runs while a
// producer (acks=all, idempotent, linger 0) sends options.events events round-robin over the partitions,
// each carrying its send time; tail_latency is receive minus send (p50, p99).
Result<KafkaWorkloadResult> run_kafka_latency(const WorkloadOptions& options);
// The topic filled as above with a window of events (3 MiB of keys and values per partition, under the
// mock cluster's 5 MiB cap), then a consumer reads the window from the start of each partition, again and
// again from the start, until it read options.events events; timed.
Result<KafkaWorkloadResult> run_kafka_fetch(const WorkloadOptions& options);

}  // namespace strata::bench
