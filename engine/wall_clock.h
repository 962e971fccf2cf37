// The wall clock the log stamps events, segment headers and retention decisions with.
#pragma once

#include <chrono>
#include <cstdint>

namespace strata::detail {

// Microseconds since the Unix epoch.
inline std::int64_t wall_clock_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace strata::detail
