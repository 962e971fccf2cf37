#include "bench/e2e/kafka_connections_workload.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <string>
#include <vector>

#include "bench/e2e/kafka_workload.h"
#include "kafka/server.h"
#include "strata/errno_status.h"

namespace strata::bench {

namespace {

using Clock = std::chrono::steady_clock;
constexpr const char* kTopic = "bench-connections";
constexpr int kCheckMessages = 100;

// A number from /proc/self/status ("VmRSS:" in KiB, "Threads:"); 0 when absent.
std::size_t status_field(const std::string& field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(field, 0) == 0) return std::stoull(line.substr(field.size()));
  }
  return 0;
}

// Raises the soft descriptor limit to the hard one; the connections this process can open to itself (two
// descriptors each, and room for the log's files).
std::size_t connections_allowed(std::size_t wanted) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return 0;
  limit.rlim_cur = limit.rlim_max;
  (void)setrlimit(RLIMIT_NOFILE, &limit);
  (void)getrlimit(RLIMIT_NOFILE, &limit);
  return std::min<std::size_t>(wanted, limit.rlim_cur > 512 ? (limit.rlim_cur - 512) / 2 : 0);
}

// ApiVersions v0, correlation id 1, framed.
constexpr unsigned char kApiVersions[] = {0, 0, 0, 10, 0, 18, 0, 0, 0, 0, 0, 1, 0, 0};

Status open_idle(std::uint16_t port, std::size_t count, std::vector<int>* fds) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  for (std::size_t i = 0; i < count; ++i) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return status_from_errno(errno, "socket for idle connection " + std::to_string(i));
    fds->push_back(fd);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
      return status_from_errno(errno, "connect of idle connection " + std::to_string(i));
    }
    if (::send(fd, kApiVersions, sizeof kApiVersions, MSG_NOSIGNAL) != static_cast<ssize_t>(sizeof kApiVersions)) {
      return status_from_errno(errno, "send on idle connection " + std::to_string(i));
    }
  }
  std::vector<std::byte> buffer(64 << 10);
  for (std::size_t i = 0; i < fds->size(); ++i) {
    // The answer is small: one recv after the first byte arrives takes all of it on loopback.
    pollfd pfd{(*fds)[i], POLLIN, 0};
    if (::poll(&pfd, 1, 10'000) != 1 || ::recv((*fds)[i], buffer.data(), buffer.size(), 0) <= 0) {
      return io_error("connection " + std::to_string(i) + " got no ApiVersions answer");
    }
  }
  return Status::ok();
}

// The server still serves: a producer's messages come back to a consumer.
Status check_serving(const std::string& bootstrap) {
  auto producer = make_client(RD_KAFKA_PRODUCER, {{"bootstrap.servers", bootstrap}, {"log_level", "3"}});
  if (!producer) return producer.status();
  for (int i = 0; i < kCheckMessages; ++i) {
    char value[] = "still serving";
    if (rd_kafka_producev(producer->get(), RD_KAFKA_V_TOPIC(kTopic), RD_KAFKA_V_VALUE(value, sizeof value),
                          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return io_error("produce refused by the client");
    }
  }
  if (rd_kafka_flush(producer->get(), 10'000) != RD_KAFKA_RESP_ERR_NO_ERROR) return io_error("produce timed out");
  auto consumer = make_client(RD_KAFKA_CONSUMER,
                              {{"bootstrap.servers", bootstrap}, {"group.id", kTopic}, {"log_level", "3"}});
  if (!consumer) return consumer.status();
  rd_kafka_topic_partition_list_t* assignment = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(assignment, kTopic, 0)->offset = RD_KAFKA_OFFSET_BEGINNING;
  rd_kafka_assign(consumer->get(), assignment);
  rd_kafka_topic_partition_list_destroy(assignment);
  int received = 0;
  const auto give_up = Clock::now() + std::chrono::seconds(10);
  while (received < kCheckMessages && Clock::now() < give_up) {
    rd_kafka_message_t* message = rd_kafka_consumer_poll(consumer->get(), 100);
    if (message == nullptr) continue;
    if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR) ++received;
    rd_kafka_message_destroy(message);
  }
  rd_kafka_consumer_close(consumer->get());
  if (received < kCheckMessages) {
    return io_error("the consumer got " + std::to_string(received) + " of " + std::to_string(kCheckMessages) +
                    " messages while the idle connections were open");
  }
  return Status::ok();
}

}  // namespace

Result<ConnectionsResult> run_kafka_connections(const WorkloadOptions& options) {
  const std::size_t count = connections_allowed(options.events);
  if (count == 0) return invalid_argument("ulimit -n leaves no room for connections");
  LogOptions log_options;
  log_options.directory = options.directory;
  log_options.durability = options.durability;
  auto log = Log::open(log_options);
  if (!log) return log.status();
  kafka::ServerOptions server_options;
  server_options.listen_port = 0;
  server_options.connections_max = count + 16;
  auto server = kafka::Server::start(**log, server_options);
  if (!server) return server.status();
  const std::size_t rss_before_kib = status_field("VmRSS:");
  std::vector<int> fds;
  fds.reserve(count);
  const auto start = Clock::now();
  Status opened = open_idle((*server)->port(), count, &fds);
  const auto answered = Clock::now();
  ConnectionsResult out;
  out.result = base_result("kafka-connections", options, 0);
  out.result.events = fds.size();
  out.result.seconds = std::chrono::duration<double>(answered - start).count();
  const std::size_t rss_after_kib = status_field("VmRSS:");
  out.threads = status_field("Threads:");
  out.kib_per_connection =
      static_cast<double>(rss_after_kib > rss_before_kib ? rss_after_kib - rss_before_kib : 0) /
      static_cast<double>(std::max<std::size_t>(fds.size(), 1));
  Status serving = opened.is_ok() ? check_serving("127.0.0.1:" + std::to_string((*server)->port())) : opened;
  for (int fd : fds) ::close(fd);
  (*server)->stop();
  out.result.peak_rss_mb = peak_rss_mb();
  if (!serving.is_ok()) return serving;
  return out;
}

}  // namespace strata::bench
