// The metrics endpoint over real sockets, Log::metrics() on a real log, Server::metrics() with a raw Kafka
// client. (tests/kafka/metrics_test.py times a scrape of 1,000 partitions.)
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <thread>

#include "kafka/metrics_http.h"
#include "strata/consumer_group.h"
#include "tests/kafka/request_builder.h"
#include "tests/kafka/server_fixture.h"

namespace strata::kafka {
namespace {

using namespace std::chrono_literals;

int connect_to(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  return fd;
}

// Sends `request` and reads until the endpoint closes the connection (at most 5 s).
std::string exchange(std::uint16_t port, const std::string& request) {
  const int fd = connect_to(port);
  EXPECT_EQ(::send(fd, request.data(), request.size(), MSG_NOSIGNAL), static_cast<ssize_t>(request.size()));
  std::string response;
  char buffer[65536];
  for (;;) {
    pollfd pfd{fd, POLLIN, 0};
    if (::poll(&pfd, 1, 5000) != 1) break;
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) break;
    response.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return response;
}

std::span<const std::byte> bytes_of(std::string_view text) { return std::as_bytes(std::span(text.data(), text.size())); }

std::string status_line(const std::string& response) { return response.substr(0, response.find("\r\n")); }

class Endpoint : public ::testing::Test {
 protected:
  void SetUp() override {
    auto endpoint = MetricsEndpoint::start("127.0.0.1", 0, [this](std::string* body) {
      if (fail_) return io_error("the log is gone");
      body->append("strata_connections 1\n");
      return Status::ok();
    });
    ASSERT_TRUE(endpoint.is_ok()) << endpoint.status().to_string();
    endpoint_ = std::move(endpoint.value());
  }
  std::unique_ptr<MetricsEndpoint> endpoint_;
  std::atomic<bool> fail_{false};
};

TEST_F(Endpoint, AnswersGetAndHeadOfMetricsOnly) {
  ASSERT_NE(endpoint_->port(), 0);
  EXPECT_EQ(endpoint_->address(), "127.0.0.1:" + std::to_string(endpoint_->port()));
  const std::string ok = exchange(endpoint_->port(), "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(status_line(ok), "HTTP/1.1 200 OK");
  EXPECT_NE(ok.find("Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"), std::string::npos);
  EXPECT_EQ(ok.substr(ok.find("\r\n\r\n") + 4), "strata_connections 1\n");
  const std::string head = exchange(endpoint_->port(), "HEAD /metrics HTTP/1.0\r\n\r\n");
  EXPECT_EQ(status_line(head), "HTTP/1.1 200 OK");
  EXPECT_NE(head.find("Content-Length: 21\r\n"), std::string::npos);
  EXPECT_EQ(head.substr(head.find("\r\n\r\n") + 4), "");
  EXPECT_EQ(status_line(exchange(endpoint_->port(), "GET / HTTP/1.1\r\n\r\n")), "HTTP/1.1 404 Not Found");
  const std::string post = exchange(endpoint_->port(), "POST /metrics HTTP/1.1\r\n\r\n");
  EXPECT_EQ(status_line(post), "HTTP/1.1 405 Method Not Allowed");
  EXPECT_NE(post.find("Allow: GET, HEAD\r\n"), std::string::npos);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(status_line(exchange(endpoint_->port(), std::string("\x16\x03\x01\x02\x00\x01", 6))),
            "HTTP/1.1 400 Bad Request");  // a TLS ClientHello's start: refused at once
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  EXPECT_EQ(status_line(exchange(endpoint_->port(), "GET /metrics HTTP/1.1\r\n" + std::string(9000, 'a'))),
            "HTTP/1.1 431 Request Header Fields Too Large");
  fail_ = true;
  const std::string failed = exchange(endpoint_->port(), "GET /metrics HTTP/1.1\r\n\r\n");
  EXPECT_EQ(status_line(failed), "HTTP/1.1 500 Internal Server Error");
  EXPECT_NE(failed.find("the log is gone"), std::string::npos);
}

TEST_F(Endpoint, SilentClientsDoNotHoldUpAScrape) {
  std::vector<int> silent;
  for (std::size_t i = 0; i < MetricsEndpoint::kClientsMax - 1; ++i) silent.push_back(connect_to(endpoint_->port()));
  ::send(silent[0], "GET /met", 8, MSG_NOSIGNAL);  // half a request
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(status_line(exchange(endpoint_->port(), "GET /metrics HTTP/1.1\r\n\r\n")), "HTTP/1.1 200 OK");
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  for (int fd : silent) ::close(fd);
}

TEST_F(Endpoint, StopsWithClientsConnected) {
  const int fd = connect_to(endpoint_->port());
  std::this_thread::sleep_for(50ms);
  const auto start = std::chrono::steady_clock::now();
  endpoint_->stop();
  endpoint_->stop();  // idempotent
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
  char byte;
  EXPECT_LE(::recv(fd, &byte, 1, 0), 0);  // closed by the endpoint
  ::close(fd);
}

TEST(LogMetrics, CountAppendsSyncsAndGroupLag) {
  strata::testing::TestDir dir;
  auto log = Log::open({.directory = dir.path(), .durability = Durability::kSync}).value();
  const TopicId topic = log->topic("orders", {.partitions = 2}).value();
  auto producer = log->producer();
  for (int i = 0; i < 30; ++i) {
    ASSERT_TRUE(producer->append(topic, static_cast<std::uint32_t>(i % 2), bytes_of("k"), bytes_of("value")).is_ok());
  }
  ASSERT_TRUE(producer->wait_all().is_ok());
  ASSERT_TRUE(commit_group_offset(dir.path(), "billing", "orders", 1, {.offset = 4, .metadata = ""}).is_ok());
  auto metrics = log->metrics();
  ASSERT_TRUE(metrics.is_ok()) << metrics.status().to_string();
  ASSERT_EQ(metrics->partitions.size(), 2u);
  for (const PartitionMetrics& partition : metrics->partitions) {
    EXPECT_EQ(partition.records_appended, 15u);
    EXPECT_EQ(partition.durable_offset, 15u);
    EXPECT_GT(partition.bytes_appended, 15u * 6);  // records plus batch headers
  }
  EXPECT_GT(metrics->fdatasync_seconds.count, 0u);
  EXPECT_EQ(metrics->fdatasync_seconds.cumulative.back(), metrics->fdatasync_seconds.count);
  ASSERT_EQ(metrics->groups.size(), 1u);
  EXPECT_EQ(metrics->groups[0].group, "billing");
  EXPECT_EQ(metrics->groups[0].committed_offset, 4u);
  EXPECT_EQ(metrics->groups[0].lag, 11u);
}

TEST(LogMetrics, CountFromZeroAfterReopening) {
  strata::testing::TestDir dir;
  {
    auto log = Log::open({.directory = dir.path()}).value();
    ASSERT_TRUE(log->shared_producer().append(log->topic("t").value(), "k", "v").is_ok());
    ASSERT_TRUE(log->flush().is_ok());
  }
  auto log = Log::open({.directory = dir.path()}).value();
  auto metrics = log->metrics().value();
  ASSERT_EQ(metrics.partitions.size(), 1u);
  EXPECT_EQ(metrics.partitions[0].records_appended, 0u);
  EXPECT_EQ(metrics.partitions[0].bytes_appended, 0u);
  EXPECT_EQ(metrics.partitions[0].durable_offset, 1u);
}

using ServerMetricsTest = KafkaServer;

TEST_F(ServerMetricsTest, CountsConnectionsAndTimesRequestsByApi) {
  auto eventually = [&](auto condition) {
    for (int i = 0; i < 500 && !condition(); ++i) std::this_thread::sleep_for(10ms);
    return condition();
  };
  {
    kafka::testing::Client client(port());
    EXPECT_TRUE(eventually([&] { return server_->metrics().connections == 1; }));
    for (int i = 0; i < 3; ++i) {
      client.send_frame(kafka::testing::metadata_request(1, {}));
      ASSERT_TRUE(client.receive().has_value());
    }
    const KafkaServerMetrics metrics = server_->metrics();
    ASSERT_EQ(metrics.requests.size(), 1u);
    EXPECT_EQ(metrics.requests[0].api, "Metadata");
    EXPECT_EQ(metrics.requests[0].seconds.count, 3u);
    EXPECT_TRUE(std::is_sorted(metrics.requests[0].seconds.cumulative.begin(),
                               metrics.requests[0].seconds.cumulative.end()));
  }
  EXPECT_TRUE(eventually([&] { return server_->metrics().connections == 0; }));
}

}  // namespace
}  // namespace strata::kafka
