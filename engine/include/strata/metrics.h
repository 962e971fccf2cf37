// What the log counts, for monitoring (Log::metrics(); `strata serve --metrics` shows the same numbers in
// Prometheus' text format). Counters start at zero when the log is opened, as Prometheus counters do when a
// process starts.
//
// LatencyHistogram is the fixed-bucket histogram behind every latency strata reports (the log's fdatasyncs,
// the Kafka server's requests): observe() is three relaxed atomic additions, from any thread.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace strata {

// A histogram read at one moment, as Prometheus shows one: cumulative counts per upper bound.
struct HistogramSnapshot {
  std::vector<double> upper_bounds_seconds;  // ascending; the last bucket (+Inf) is implied
  std::vector<std::uint64_t> cumulative;     // one per bound, then +Inf (== count)
  std::uint64_t count = 0;
  double sum_seconds = 0;
};

class LatencyHistogram {
 public:
  // Upper bounds of the buckets, from 25 us to 10 s (Prometheus' usual spread, a little finer below 1 ms).
  static constexpr std::array<std::int64_t, 18> kBoundsNs = {
      25'000,      50'000,      100'000,     250'000,       500'000,       1'000'000,
      2'500'000,   5'000'000,   10'000'000,  25'000'000,    50'000'000,    100'000'000,
      250'000'000, 500'000'000, 1'000'000'000, 2'500'000'000, 5'000'000'000, 10'000'000'000};

  void observe(std::chrono::nanoseconds elapsed);
  // count is the sum of the buckets read, so cumulative.back() == count even while others observe.
  HistogramSnapshot snapshot() const;

 private:
  std::array<std::atomic<std::uint64_t>, kBoundsNs.size() + 1> buckets_{};  // not cumulative
  std::atomic<std::uint64_t> sum_ns_{0};
};

struct PartitionMetrics {
  std::string topic;
  std::uint32_t partition = 0;
  std::uint64_t records_appended = 0;  // since the log was opened: by producers and Kafka clients alike
  std::uint64_t bytes_appended = 0;    // the stored RecordBatch bytes of those records (headers included)
  std::uint64_t durable_offset = 0;    // offsets below are acknowledged (Kafka's high watermark)
};

// A consumer group's committed offset of one partition (strata/consumer_group.h) and how far behind the
// partition's acknowledged end it is.
struct GroupPartitionMetrics {
  std::string group;
  std::string topic;
  std::uint32_t partition = 0;
  std::uint64_t committed_offset = 0;
  std::optional<std::uint64_t> lag;  // durable_offset - committed_offset (0 when ahead); none: no such partition
};

struct LogMetrics {
  std::vector<PartitionMetrics> partitions;  // in the order the partitions were created
  std::vector<GroupPartitionMetrics> groups;  // by group, topic, partition
  HistogramSnapshot fdatasync_seconds;        // the segment files' fdatasyncs, submission to completion
};

// The Kafka server's own numbers (strata::kafka::Server::metrics()).
struct ApiRequestMetrics {
  std::string api;            // Kafka's name of the API: "Produce", "Fetch", ...
  HistogramSnapshot seconds;  // request read to response ready to send (a Produce: acknowledged)
};

struct FetchedPartitionMetrics {
  std::string topic;
  std::uint32_t partition = 0;
  std::uint64_t records = 0;  // records in the batches Fetch responses carried (since the server started)
  std::uint64_t bytes = 0;    // their stored bytes
};

struct KafkaServerMetrics {
  std::uint64_t connections = 0;          // client connections open now
  std::vector<ApiRequestMetrics> requests;  // the APIs requested at least once, by API key
  std::vector<FetchedPartitionMetrics> fetched;  // by topic name, then partition
};

}  // namespace strata
