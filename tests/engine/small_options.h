// Log options sized for tests: small segments, staging and rings so that rolls and wraps happen quickly.
#pragma once

#include <cstdlib>
#include <string>

#include "strata/log.h"

namespace strata::testing {

// STRATA_TEST_WRITER_THREADS runs the engine's tests with that many writer threads (ctest does so once more
// for the suites that do not count one writer's operations); 1 otherwise.
inline unsigned writer_threads_under_test() {
  const char* value = std::getenv("STRATA_TEST_WRITER_THREADS");
  return value == nullptr ? 1u : static_cast<unsigned>(std::strtoul(value, nullptr, 10));
}

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
  options.writer_threads = writer_threads_under_test();
  return options;
}

}  // namespace strata::testing
