// Read-only views of a log directory for `strata stat`, `strata verify` and `strata dump`: they take no
// lock and change nothing (unlike recovery, which zeroes torn tails).
#pragma once

#include <string>
#include <vector>

#include "engine/recovery.h"
#include "strata/consumer_group.h"
#include "strata/log.h"

namespace strata::detail {

struct PartitionDescription {
  std::uint32_t partition = 0;
  std::string dir;
  std::uint64_t first_offset = 0;
  std::uint64_t next_offset = 0;
  std::uint64_t data_bytes = 0;
  std::vector<SegmentInfo> segments;
};

struct GroupDescription {
  std::string name;
  std::vector<GroupPartitionOffset> offsets;  // this topic's partitions only; lag = next_offset - committed
};

struct TopicDescription {
  TopicInfo info;
  std::vector<PartitionDescription> partitions;
  std::vector<GroupDescription> groups;  // consumer groups with a checkpoint on this topic
};

// Topics of the log in `dir` (only `topic` when not empty, kNotFound when it is missing).
Result<std::vector<TopicDescription>> describe_log(const std::string& dir, const std::string& topic);

}  // namespace strata::detail
