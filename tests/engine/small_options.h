// Log options sized for tests: small segments, staging and rings so that rolls and wraps happen quickly.
#pragma once

#include <string>

#include "strata/log.h"

namespace strata::testing {

inline LogOptions small_options(const std::string& dir, Durability durability = Durability::kSync) {
  LogOptions options;
  options.directory = dir;
  options.durability = durability;
  options.segment_bytes = 1u << 20;
  options.staging_bytes = 1u << 20;
  options.write_bytes_max = 256u << 10;
  options.producer_ring_bytes = 64u << 10;
  options.shared_ring_bytes = 64u << 10;
  options.appends_in_flight_max = 1024;
  return options;
}

}  // namespace strata::testing
