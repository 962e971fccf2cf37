// Read-only views of a log directory for `strata stat` and `strata verify`: they take no lock and change
// nothing (unlike recovery, which zeroes torn tails).
#pragma once

#include <string>
#include <vector>

#include "engine/recovery.h"

namespace strata::detail {

struct GroupDescription {
  std::string name;
  std::uint64_t committed_offset = 0;  // the next offset the group will process
};

struct TopicDescription {
  std::string name;
  std::vector<GroupDescription> groups;  // consumer groups with a checkpoint; lag = next_offset - committed
  std::uint64_t first_offset = 0;
  std::uint64_t next_offset = 0;
  std::uint64_t data_bytes = 0;
  std::vector<SegmentInfo> segments;
};

// Topics of the log in `dir` (only `topic` when not empty), from sealed segments' indexes and a scan of each
// active segment.
Result<std::vector<TopicDescription>> describe_log(const std::string& dir, const std::string& topic);

}  // namespace strata::detail
