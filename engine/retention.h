// Retention: deletes a partition's oldest sealed segments, whole, when the partition holds more than
// retention_bytes or their newest event is older than retention_age. The active segment is never deleted. A
// reader that has a deleted segment mapped keeps reading it (the mapping holds the file's data until it is
// unmapped); a reader that asks for a deleted offset gets kNotFound naming the earliest offset kept.
// A segment's age is its index's newest timestamp, which a rebuilt index takes from the batches themselves
// (derived files never cost events: a lost index never makes a segment look old).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "strata/status.h"

namespace strata::detail {

struct RetentionPolicy {
  std::uint64_t retention_bytes = 0;           // 0: no size limit
  std::chrono::microseconds retention_age{0};  // 0: no age limit
};

struct RetentionResult {
  std::uint64_t deleted = 0;           // segments deleted
  std::uint64_t log_start_offset = 0;  // the earliest offset kept
};

// Writer thread (it alone adds segments).
Result<RetentionResult> apply_retention(const std::string& partition_dir, const RetentionPolicy& policy,
                                        std::int64_t now_us);

}  // namespace strata::detail
