// The `mirror` workload of `strata bench` (DESIGN.md): `strata mirror`'s copy (mirror/mirror.h) of a filled
// log to `strata serve` (an embedded kafka::Server on loopback), against kafka-produce of the same events
// (a librdkafka producer to a fresh server) in the same run as the reference.
#pragma once

#include "bench/e2e/kafka_workload.h"

namespace strata::bench {

// options.events events (options.key_bytes keys, options.value_bytes values) on options.partitions
// partitions are written to a log first (not timed); then the mirror copies them to a server whose log
// acknowledges under options.durability; timed from the mirror's start until every record is acknowledged.
Result<KafkaWorkloadResult> run_mirror(const WorkloadOptions& options);

}  // namespace strata::bench
