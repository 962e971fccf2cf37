// Shared by the mirror tests: librdkafka's mock cluster (3 brokers), the `strata` binary run as a child
// process (so it can be killed with SIGKILL), and reading back what a cluster partition or a local log holds.
#pragma once

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace strata::mirror::testing {

// One record as a reader sees it, for comparing a source with its copy.
struct Record {
  std::uint64_t offset = 0;
  std::int64_t timestamp_ms = 0;
  std::string key, value;
  bool key_null = false, value_null = false;  // Kafka's null (length -1), not an empty string
  std::vector<std::pair<std::string, std::string>> headers;  // in order
  std::optional<std::uint64_t> source_offset;                // the strata.source-offset header, parsed
  bool operator==(const Record&) const = default;
};

// A mock cluster of `brokers` brokers, alive as long as this object.
class MockCluster {
 public:
  explicit MockCluster(int brokers = 3);
  ~MockCluster();
  MockCluster(const MockCluster&) = delete;
  MockCluster& operator=(const MockCluster&) = delete;

  rd_kafka_mock_cluster_t* mock() const { return cluster_; }
  std::string bootstrap() const { return bootstrap_; }

 private:
  rd_kafka_t* owner_ = nullptr;  // the client the mock cluster belongs to
  rd_kafka_mock_cluster_t* cluster_ = nullptr;
  std::string bootstrap_;
};

// Every record of topic/partition on the cluster, from its start to its high watermark, as a read_committed
// consumer sees them.
std::vector<Record> read_cluster_partition(const std::string& bootstrap, const std::string& topic,
                                           std::uint32_t partition);
// Every record of topic/partition in the log directory (a directory reader).
std::vector<Record> read_log_partition(const std::string& dir, const std::string& topic, std::uint32_t partition);

// The path of the `strata` binary under test (the STRATA_CLI environment variable).
std::string strata_binary();
// Starts `strata ARGS...` with stdout and stderr to the files given; returns its pid.
int spawn_strata(const std::vector<std::string>& args, const std::string& stdout_path, const std::string& stderr_path);
// Waits for `pid`; its exit status, or 128 + signal.
int wait_exit(int pid);
// Runs `strata ARGS...` to its end: the exit status, *output the stdout and *errors the stderr.
int run_strata(const std::vector<std::string>& args, std::string* output, std::string* errors);

std::string read_file(const std::string& path);

}  // namespace strata::mirror::testing
