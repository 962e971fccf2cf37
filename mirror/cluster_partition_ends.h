// Where a mirror to the cluster resumes: the end of each destination partition and the source offset its
// last record carries (strata.source-offset).
#pragma once

#include <librdkafka/rdkafka.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "strata/status.h"

namespace strata::mirror {

struct ClusterPartitionEnd {
  std::uint64_t start_offset = 0;  // the earliest offset the cluster keeps
  std::uint64_t end_offset = 0;    // the high watermark: one past the last record
  std::optional<std::uint64_t> last_source_offset;  // the last record's header, when it has one
};

// Whether a killed mirror's last Produce request may still land in the topic: kMayLand unless this run has
// just created the topic (a request sent before it existed cannot land in it).
enum class LateRequests { kMayLand, kImpossible };

// One entry per partition 0..partitions-1 of `topic`. Under kMayLand the ends are read once they held still
// for a moment (250 ms); kBusy when they keep moving (another writer). `consumer` is a consumer handle; its
// assignment is cleared again before returning. Errors name the topic and partition.
Result<std::vector<ClusterPartitionEnd>> read_cluster_partition_ends(rd_kafka_t* consumer, const std::string& topic,
                                                                     std::uint32_t partitions, LateRequests late);

}  // namespace strata::mirror
