// The `kafka-connections` workload of `strata bench`: what an idle client connection costs `strata serve`
// (an embedded kafka::Server on loopback, its default network threads). options.events connections (capped by
// what `ulimit -n` allows this process, whose soft limit it raises to the hard one) each exchange ApiVersions
// and stay open; the process's resident memory before and after, divided by the connections, and its thread
// count while they are open. Then one Produce and one Fetch on fresh connections check the server still
// serves (an error otherwise).
#pragma once

#include "bench/e2e/workload.h"

namespace strata::bench {

struct ConnectionsResult {
  WorkloadResult result;  // events = connections; seconds = until every one was answered
  double kib_per_connection = 0;
  std::size_t threads = 0;
};

Result<ConnectionsResult> run_kafka_connections(const WorkloadOptions& options);

}  // namespace strata::bench
