// ServerMetrics: the Kafka server's live counters behind Server::metrics() (strata/metrics.h's
// KafkaServerMetrics): open connections, a latency histogram per API, records and bytes fetched per
// partition. The log's own numbers (appends, fdatasyncs, groups) come from Log::metrics().
//
// Threads: any. Costs: a request is two clock reads and three relaxed atomic additions; a Fetch response
// takes one mutex once for all its partitions.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "strata/metrics.h"

namespace strata::kafka {

struct FetchResponse;

// When a request was read and which API it is, carried with its response until it is written.
struct RequestTiming {
  std::int16_t api_key = -1;  // -1: not timed
  std::chrono::steady_clock::time_point received{};
};

class ServerMetrics {
 public:
  void connection_opened() { connections_.fetch_add(1, std::memory_order_relaxed); }
  void connection_closed() { connections_.fetch_sub(1, std::memory_order_relaxed); }
  // The response of a request timed by `timing` is ready to send (a Produce: its appends acknowledged).
  void request_done(const RequestTiming& timing);
  // Counts the records and bytes of every batch the response carries.
  void count_fetched(const FetchResponse& response);
  KafkaServerMetrics snapshot() const;

  static constexpr std::int16_t kApiKeysMax = 128;  // keys at or above are not timed

 private:
  struct Fetched {
    std::uint64_t records = 0;
    std::uint64_t bytes = 0;
  };

  std::atomic<std::uint64_t> connections_{0};
  std::array<LatencyHistogram, kApiKeysMax> requests_;
  mutable std::mutex fetched_mutex_;
  std::map<std::string, std::vector<Fetched>, std::less<>> fetched_;  // by topic, indexed by partition
};

}  // namespace strata::kafka
