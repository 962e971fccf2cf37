// kafka-fetch's second measurement: bytes per second a librdkafka consumer fetches from `strata serve` when
// the partition holds 1 MiB batches (16 records of 64 KiB, appended as client batches, in sealed segments so
// they go out without a user-space copy), against the loopback ceiling measured in the same run: a plain TCP
// connection on 127.0.0.1 moving the same bytes in 1 MiB sends to a reader thread.
#pragma once

#include <cstdint>
#include <string>

#include "strata/status.h"

namespace strata::bench {

struct LargeFetchResult {
  std::uint64_t bytes = 0;     // batch bytes fetched (each once)
  double seconds = 0;          // first record to last, of a second read (warm)
  double loopback_seconds = 0; // the same bytes over a plain loopback connection
  double gb_per_s() const { return seconds > 0 ? static_cast<double>(bytes) / seconds / 1e9 : 0; }
  double loopback_gb_per_s() const { return loopback_seconds > 0 ? static_cast<double>(bytes) / loopback_seconds / 1e9 : 0; }
  double ratio() const { return loopback_gb_per_s() > 0 ? gb_per_s() / loopback_gb_per_s() : 0; }
};

// Fills a log in `directory` with `batches` 1 MiB batches, serves it, fetches it all once to bring it into the
// page cache, then times a second fetch of it all.
Result<LargeFetchResult> run_large_fetch(const std::string& directory, std::uint64_t batches);

}  // namespace strata::bench
