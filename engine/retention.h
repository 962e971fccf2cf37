// Retention: deletes a topic's oldest sealed segments, whole, when the topic holds more than retention_bytes
// or their newest event is older than retention_age. The active segment is never deleted. A reader that has
// a deleted segment mapped keeps reading it (the mapping holds the file's data until it is unmapped); a
// reader that asks for a deleted offset gets kNotFound naming the earliest offset kept.
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

// Writer thread (it alone adds segments). Returns the number of segments deleted.
Result<std::uint64_t> apply_retention(const std::string& topic_dir, const RetentionPolicy& policy,
                                      std::int64_t now_us);

}  // namespace strata::detail
