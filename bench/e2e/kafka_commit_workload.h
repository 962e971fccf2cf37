// The `kafka-commit` workload of `strata bench` (DESIGN.md): 8 librdkafka consumers, each reading its own
// partition through `strata serve` on loopback, commit synchronously after every message; commits/s and
// commit latency, with the fdatasync floor of the same run (measure_sync_floor) beside them.
#pragma once

#include "bench/e2e/workload.h"

namespace strata::bench {

inline constexpr unsigned kCommitConsumers = 8;

// options.events commits in all (each consumer reads and commits options.events / 8 messages of
// options.value_bytes). The result: events = commits, readers = consumers, ack_latency = the latency of a
// synchronous commit, sync_floor measured just before. Checks afterwards that every consumer's last commit
// is what the group log holds.
Result<WorkloadResult> run_kafka_commit(const WorkloadOptions& options);

}  // namespace strata::bench
