// The end-to-end workloads behind `strata bench` (the contract is in DESIGN.md): each runs against a real
// Log in a directory and returns what the report needs.
#pragma once

#include <cstdint>
#include <optional>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "bench/e2e/disk_limit.h"
#include "strata/log.h"

namespace strata::bench {

struct WorkloadOptions {
  std::string directory;
  std::uint64_t events = 10'000'000;
  unsigned producers = 2;
  std::size_t value_bytes = 100;
  std::size_t key_bytes = 8;
  unsigned readers = 4;
  Durability durability = Durability::kNone;
  bool progress = false;  // print progress to stderr
  bool allow_buffered_io = false;
  std::uint32_t partitions = 1;  // of the ingest topic; events spread by key
  unsigned writer_threads = 1;   // LogOptions::writer_threads
  Compression compression = Compression::kNone;  // of the ingest topic
  bool json_values = false;  // ingest: JSON-like values that differ (for compression), not one filled byte
};

struct LatencySummary {
  double p50_us = 0, p99_us = 0, p999_us = 0, max_us = 0;
};

struct RatePoint {
  double seconds = 0;        // since the workload started
  double events_per_s = 0;   // over the interval that ended then
};

struct WorkloadResult {
  std::string workload;
  std::uint64_t events = 0;
  unsigned producers = 0;
  unsigned readers = 0;
  std::size_t value_bytes = 0;
  std::size_t key_bytes = 0;
  Durability durability = Durability::kNone;
  double seconds = 0;
  std::uint64_t disk_bytes = 0;
  std::optional<LatencySummary> ack_latency;
  std::optional<LatencySummary> tail_latency;  // acknowledgement to a waiting reader's callback
  // durable: what one acknowledgement cannot beat on this directory (measure_sync_floor, just before the run)
  std::optional<SyncLatency> sync_floor;
  double peak_rss_mb = 0;
  std::string io_backend;
  std::uint64_t syncs = 0;
  std::uint32_t partitions = 1;
  unsigned writer_threads = 1;
  Compression compression = Compression::kNone;
  // For `strata bench --report`: every latency sample, sorted (ack_latency and tail_latency summarize them),
  // and the rate every 100 ms.
  std::vector<double> ack_latencies_us;
  std::vector<double> tail_latencies_us;
  std::vector<RatePoint> rates;

  double events_per_s() const { return seconds > 0 ? static_cast<double>(events) / seconds : 0; }
  double mb_per_s() const {
    return seconds > 0 ? static_cast<double>(events * (value_bytes + key_bytes)) / seconds / 1e6 : 0;
  }
};

// What every workload shares: the events [begin, end) that producer p of options.producers appends; an
// event's key from its index (little-endian, cut to key_bytes); a result filled from the options.
std::pair<std::uint64_t, std::uint64_t> producer_slice(const WorkloadOptions& options, unsigned p);
void fill_key(std::vector<std::byte>& key, std::uint64_t index);
WorkloadResult base_result(const char* name, const WorkloadOptions& options, unsigned producers);
// The LogOptions a workload opens its log with: its directory, durability, I/O mode and writer threads.
LogOptions log_options(const WorkloadOptions& options);

// P producers append N events without waiting per event; ends when all are acknowledged and a final
// fdatasync completed (Log::flush).
Result<WorkloadResult> run_ingest(const WorkloadOptions& options);
// P producers (16 by default) each append one event and wait for its acknowledgement before the next.
// First measures the sync floor of the log's directory (2 s), so the acknowledgements can be read against it.
Result<WorkloadResult> run_durable(const WorkloadOptions& options);

// Appends N events with one producer (offset == key), closes the log so its segments are sealed, reads
// everything once to bring it into the page cache, then times one reader (replay) or R readers at once
// (fanout) reading every event from offset 0, each checking every checksum and that each key equals its
// offset.
Result<WorkloadResult> run_replay(const WorkloadOptions& options, unsigned readers);

// Fills one active segment with about `options.events` events (no roll: 2 GiB segments), closes the log,
// then times Log::open, whose recovery scans and checks the whole active segment.
Result<WorkloadResult> run_recovery(const WorkloadOptions& options);

// Sorts the samples, then takes the percentiles.
LatencySummary summarize(std::vector<double>& latencies_us);
double peak_rss_mb();

}  // namespace strata::bench
