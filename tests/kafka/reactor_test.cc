// The server's network layer at scale: thousands of idle connections on a few reactor threads and little
// memory each, and the per-reactor budget of bytes in flight (slow readers stop the reading, producers wait,
// nothing is lost).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "kafka/server.h"
#include "tests/kafka/request_builder.h"
#include "tests/kafka/server_fixture.h"
#include "tests/kafka/server_requests.h"

namespace strata::kafka {
namespace {

using namespace std::chrono_literals;
using testing::Client;

// A number from /proc/self/status ("VmRSS:" in KiB, "Threads:").
std::size_t status_field(const std::string& field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(field, 0) == 0) return std::stoull(line.substr(field.size()));
  }
  ADD_FAILURE() << field << " not in /proc/self/status";
  return 0;
}

// Raises the soft descriptor limit to the hard one; how many connections this process can then open to
// itself (a client and a server descriptor each, and room for the log's files), at most `wanted`.
std::size_t connections_allowed(std::size_t wanted) {
  rlimit limit{};
  EXPECT_EQ(getrlimit(RLIMIT_NOFILE, &limit), 0);
  limit.rlim_cur = limit.rlim_max;
  (void)setrlimit(RLIMIT_NOFILE, &limit);
  EXPECT_EQ(getrlimit(RLIMIT_NOFILE, &limit), 0);
  const std::size_t room = limit.rlim_cur > 512 ? (limit.rlim_cur - 512) / 2 : 0;
  return std::min(wanted, room);
}

std::vector<std::byte> framed(const std::vector<std::byte>& frame) {
  WireWriter w;
  w.int32(static_cast<std::int32_t>(frame.size()));
  w.raw(frame);
  return w.buffer();
}

int connect_to(std::uint16_t port, int receive_buffer_bytes = 0) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  EXPECT_GE(fd, 0) << std::strerror(errno);
  if (receive_buffer_bytes > 0) {
    (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &receive_buffer_bytes, sizeof receive_buffer_bytes);
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0) << std::strerror(errno);
  return fd;
}

// Reads one whole response (size, then that many bytes); false on timeout or a closed connection.
bool read_response(int fd, std::chrono::milliseconds timeout) {
  std::byte size_bytes[4];
  std::size_t got = 0;
  std::size_t want = 4;
  std::vector<std::byte> body;
  while (got < want) {
    pollfd pfd{fd, POLLIN, 0};
    if (::poll(&pfd, 1, static_cast<int>(timeout.count())) != 1) return false;
    std::byte* out = got < 4 ? size_bytes + got : body.data() + (got - 4);
    const std::size_t room = got < 4 ? 4 - got : want - got;
    const ssize_t n = ::recv(fd, out, room, 0);
    if (n <= 0) return false;
    got += static_cast<std::size_t>(n);
    if (got == 4 && want == 4) {
      WireReader in(size_bytes);
      body.resize(static_cast<std::size_t>(in.int32()));
      want = 4 + body.size();
    }
  }
  return true;
}

std::uint64_t count_events(Log& log, const std::string& topic) {
  auto reader = log.reader(topic, 0);
  EXPECT_TRUE(reader.is_ok()) << reader.status().to_string();
  if (!reader) return 0;
  std::uint64_t events = 0;
  for (;;) {
    auto polled = (*reader)->poll(4096, [&](const Event&) { ++events; });
    if (!polled || *polled == 0) return events;
  }
}

TEST_F(KafkaServer, ThousandsOfIdleConnectionsCostLittleMemoryAndFewThreads) {
  const std::size_t count = connections_allowed(10'000);
  ASSERT_GE(count, 200u) << "ulimit -n allows too few connections for this test";
  ServerOptions options;
  options.connections_max = count + 8;
  options.network_threads = 2;
  start(options);
  // The server's own first allocations (a connection's, the reactors' buffers) before the baseline.
  {
    Client warm(port());
    warm.send_frame(testing::api_versions(0, 1));
    ASSERT_TRUE(warm.receive());
  }
  const std::size_t rss_before_kib = status_field("VmRSS:");

  const std::vector<std::byte> request = framed(testing::api_versions(2, 2));
  std::vector<int> fds;
  fds.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    fds.push_back(connect_to(port()));
    ASSERT_EQ(::send(fds.back(), request.data(), request.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(request.size()));
  }
  for (int fd : fds) ASSERT_TRUE(read_response(fd, 10s)) << "an idle connection got no ApiVersions answer";
  const std::size_t rss_after_kib = status_field("VmRSS:");
  const std::size_t threads = status_field("Threads:");
  const double per_connection_kib =
      static_cast<double>(rss_after_kib > rss_before_kib ? rss_after_kib - rss_before_kib : 0) /
      static_cast<double>(count);
  std::printf("%zu idle connections: %.2f KiB each (RSS %zu -> %zu KiB), %zu threads in the process\n", count,
              per_connection_kib, rss_before_kib, rss_after_kib, threads);
  EXPECT_EQ(server_->connections(), count);
  EXPECT_LE(per_connection_kib, 64.0);
  EXPECT_LE(threads, 64u);

  // Meanwhile a producer and a consumer are served.
  Client producer(port());
  producer.send_frame(testing::produce_request(7, "live", testing::client_batch(3), -1, 5, 10'000));
  auto produced = producer.receive();
  ASSERT_TRUE(produced);
  EXPECT_EQ(testing::read_produce(*produced).error, 0);
  Client consumer(port());
  consumer.send_frame(testing::fetch_request(4, "live", 0));
  auto fetched = consumer.receive();
  ASSERT_TRUE(fetched);
  const std::string text(reinterpret_cast<const char*>(fetched->data()), fetched->size());
  EXPECT_NE(text.find("value 2"), std::string::npos) << "the consumer got the produced records";
  for (int fd : fds) ::close(fd);
}

TEST_F(KafkaServer, SlowReadersFillTheInFlightBudgetThenProducersWaitAndNothingIsLost) {
  ServerOptions options;
  options.network_threads = 1;  // one reactor, one budget
  options.in_flight_bytes_max = 1u << 20;
  start(options);
  // ~4 MB to fetch: ten batches of 20,000 records.
  {
    Client filler(port());
    for (int i = 0; i < 10; ++i) {
      filler.send_frame(testing::produce_request(7, "big", testing::client_batch(20'000), -1, i, 10'000));
      auto answer = filler.receive(30s);
      ASSERT_TRUE(answer);
      ASSERT_EQ(testing::read_produce(*answer).error, 0);
    }
  }
  // Slow readers: pipelined Fetches of ~400 KB answers each, on sockets that read nothing.
  const std::vector<std::byte> fetch = framed(testing::fetch_request(4, "big", 0));
  std::vector<int> slow;
  for (int i = 0; i < 4; ++i) {
    slow.push_back(connect_to(port(), 4096));
    for (int j = 0; j < 16; ++j) {
      ASSERT_EQ(::send(slow.back(), fetch.data(), fetch.size(), MSG_NOSIGNAL), static_cast<ssize_t>(fetch.size()));
    }
  }
  std::this_thread::sleep_for(300ms);  // the reactor reads them and goes over its budget

  // A producer now waits: its requests are not read while the answers of the slow readers fill the budget.
  Client producer(port());
  constexpr int kProduces = 3;
  constexpr int kRecords = 100;
  for (int i = 0; i < kProduces; ++i) {
    producer.send_frame(testing::produce_request(7, "events", testing::client_batch(kRecords), -1, 100 + i, 10'000));
  }
  EXPECT_FALSE(producer.receive(1s)) << "a Produce was answered while the reactor was over its budget";

  // The slow readers go away (their answers are dropped); the producer is served, in order, and every
  // record it sent is stored once.
  for (int fd : slow) ::close(fd);
  for (int i = 0; i < kProduces; ++i) {
    auto answer = producer.receive(10s);
    ASSERT_TRUE(answer) << "produce " << i << " was never answered";
    WireReader in(*answer);
    EXPECT_EQ(in.int32(), 100 + i);
    const auto result = testing::read_produce(*answer);
    EXPECT_EQ(result.error, 0);
    EXPECT_EQ(result.base_offset, i * kRecords);
  }
  EXPECT_EQ(count_events(*log_, "events"), static_cast<std::uint64_t>(kProduces * kRecords));
}

TEST_F(KafkaServer, OneReactorServesOthersWhileAJoinAndALongPollAreParkedAndAnswersInOrder) {
  ServerOptions options;
  options.network_threads = 1;  // every connection on the same event loop
  start(options);
  Client setup(port());
  setup.send_frame(testing::produce_request(7, "polled", testing::client_batch(1), -1, 1, 10'000));
  ASSERT_TRUE(setup.receive());

  // A JoinGroup parks for the initial rebalance delay (3 s); an ApiVersions pipelined behind it waits its turn.
  Client member(port());
  member.send_frame(testing::join_group_request(5, "parked"));
  member.send_frame(testing::api_versions(2, 42));
  // A Fetch at the end of the topic parks as a long poll (max wait 500 ms).
  Client fetcher(port());
  fetcher.send_frame(testing::fetch_request(4, "polled", 1));

  const auto start_time = std::chrono::steady_clock::now();
  Client producer(port());
  producer.send_frame(testing::produce_request(7, "polled", testing::client_batch(2), -1, 2, 10'000));
  auto produced = producer.receive(2s);
  ASSERT_TRUE(produced);
  EXPECT_EQ(testing::read_produce(*produced).error, 0);
  EXPECT_LT(std::chrono::steady_clock::now() - start_time, 1s) << "the reactor waited for a parked request";
  auto fetched = fetcher.receive(2s);
  ASSERT_TRUE(fetched) << "the long poll was not answered";
  const std::string text(reinterpret_cast<const char*>(fetched->data()), fetched->size());
  EXPECT_NE(text.find("value 1"), std::string::npos) << "the produce woke the long poll with its records";

  auto joined = member.receive(10s);
  ASSERT_TRUE(joined);
  WireReader join_in(*joined);
  EXPECT_EQ(join_in.int32(), 7) << "the JoinGroup's answer comes first";
  auto versions = member.receive(2s);
  ASSERT_TRUE(versions);
  WireReader versions_in(*versions);
  EXPECT_EQ(versions_in.int32(), 42);
}

}  // namespace
}  // namespace strata::kafka
