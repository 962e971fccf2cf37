#include "bench/e2e/large_fetch.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>
#include <vector>

#include "base/socket.h"
#include "bench/e2e/kafka_workload.h"
#include "kafka/server.h"
#include "strata/errno_status.h"
#include "strata/log.h"
#include "strata/record_batch.h"

namespace strata::bench {
namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* kTopic = "large";
constexpr std::size_t kRecordsPerBatch = 16;
constexpr std::size_t kValueBytes = 64u << 10;  // 16 x 64 KiB: a 1 MiB batch (and 61 + 16 x 11 bytes of framing)
constexpr std::size_t kChunkBytes = 1u << 20;

// Appends `batches` client batches of kRecordsPerBatch records; returns their bytes.
Result<std::uint64_t> fill(Log& log, std::uint64_t batches) {
  auto topic = log.topic(kTopic);
  if (!topic) return topic.status();
  const std::vector<std::byte> value(kValueBytes, std::byte{'v'});
  const std::vector<BatchRecord> records(kRecordsPerBatch, BatchRecord{0, {}, value, {}, true, false});
  auto batch = encode_record_batch(records);
  if (!batch) return batch.status();
  auto producer = log.producer();
  for (std::uint64_t i = 0; i < batches; ++i) {
    auto ticket = producer->append_batch(*topic, 0, *batch);
    if (!ticket) return ticket.status();
  }
  STRATA_RETURN_IF_ERROR(producer->wait_all());
  STRATA_RETURN_IF_ERROR(log.flush());
  return batches * batch->size();
}

void assign_from(rd_kafka_t* consumer, std::int64_t offset) {
  rd_kafka_topic_partition_list_t* assignment = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(assignment, kTopic, 0)->offset = offset;
  rd_kafka_assign(consumer, assignment);
  rd_kafka_topic_partition_list_destroy(assignment);
}

// A consumer reads every record of the topic from offset 0 twice: the first round brings the data into the
// page cache. Returns the seconds of the second round from its first record to its last: librdkafka's
// consumer starts fetching up to 500 ms after an assignment (its group timer), a wait of the client's own.
Result<double> consume_twice(const std::string& bootstrap, std::uint64_t records) {
  auto consumer = make_client(RD_KAFKA_CONSUMER, {{"bootstrap.servers", bootstrap},
                                                  {"group.id", "bench-large"},
                                                  {"enable.auto.commit", "false"},
                                                  {"log_level", "3"}});  // fetch sizes: librdkafka's defaults
  if (!consumer) return consumer.status();
  double seconds = 0;
  for (int round = 0; round < 2; ++round) {
    if (round > 0) rd_kafka_assign(consumer->get(), nullptr);
    assign_from(consumer->get(), 0);
    std::uint64_t received = 0;
    auto start = Clock::now();
    while (received < records) {
      rd_kafka_message_t* message = rd_kafka_consumer_poll(consumer->get(), 100);
      if (message != nullptr) {
        if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR && message->len == kValueBytes && received++ == 0) {
          start = Clock::now();
        }
        rd_kafka_message_destroy(message);
      }
      if (Clock::now() - start > std::chrono::seconds(120)) {
        return Status(StatusCode::kTimedOut, "read " + std::to_string(received) + " of " +
                                                 std::to_string(records) + " large records in 120 s");
      }
    }
    seconds = std::chrono::duration<double>(Clock::now() - start).count();
  }
  rd_kafka_consumer_close(consumer->get());
  return seconds;
}

// Seconds to move `bytes` over a loopback TCP connection in kChunkBytes sends, read by another thread.
Result<double> loopback_seconds(std::uint64_t bytes) {
  const OwnedFd listener(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!listener.is_open()) return status_from_errno(errno, "loopback ceiling: socket");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (::bind(listener.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(listener.get(), 1) != 0 ||
      ::getsockname(listener.get(), reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    return status_from_errno(errno, "loopback ceiling: listen on 127.0.0.1");
  }
  const OwnedFd sender(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!sender.is_open() || ::connect(sender.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    return status_from_errno(errno, "loopback ceiling: connect");
  }
  const OwnedFd receiver(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
  if (!receiver.is_open()) return status_from_errno(errno, "loopback ceiling: accept");
  std::uint64_t received = 0;
  std::thread reader([&] {
    std::vector<std::byte> buffer(kChunkBytes);
    while (received < bytes) {
      const ssize_t n = ::recv(receiver.get(), buffer.data(), buffer.size(), 0);
      if (n <= 0) break;
      received += static_cast<std::uint64_t>(n);
    }
  });
  const std::vector<std::byte> chunk(kChunkBytes, std::byte{'v'});
  const auto start = Clock::now();
  std::uint64_t sent = 0;
  while (sent < bytes) {
    const ssize_t n =
        ::send(sender.get(), chunk.data(), std::min<std::uint64_t>(chunk.size(), bytes - sent), MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<std::uint64_t>(n);
  }
  if (sent < bytes) ::shutdown(sender.get(), SHUT_WR);  // the reader sees the end instead of waiting
  reader.join();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  if (received < bytes) {
    return io_error("loopback ceiling: moved " + std::to_string(received) + " of " + std::to_string(bytes) + " bytes");
  }
  return seconds;
}

}  // namespace

Result<LargeFetchResult> run_large_fetch(const std::string& directory, std::uint64_t batches) {
  LargeFetchResult result;
  LogOptions options;
  options.directory = directory;
  options.durability = Durability::kNone;  // the fill is not measured
  options.segment_bytes = 64u << 20;       // all but the last segment sealed: sent straight from the page cache
  options.producer_ring_bytes = 4u << 20;  // a ring holds a record of at most half its size
  auto log = Log::open(options);
  if (!log) return log.status();
  auto bytes = fill(**log, batches);
  if (!bytes) return bytes.status();
  result.bytes = *bytes;
  kafka::ServerOptions server_options;
  server_options.listen_port = 0;
  auto server = kafka::Server::start(**log, server_options);
  if (!server) return server.status();
  // Twice: the writer's O_DIRECT writes left the page cache cold, as the loopback's bytes are not.
  auto seconds = consume_twice(server.value()->listen_address(), batches * kRecordsPerBatch);
  server.value()->stop();
  STRATA_RETURN_IF_ERROR(log.value()->close());
  if (!seconds) return seconds.status();
  result.seconds = *seconds;
  auto loopback = loopback_seconds(result.bytes);
  if (!loopback) return loopback.status();
  result.loopback_seconds = *loopback;
  return result;
}

}  // namespace strata::bench
