// A raw Kafka client socket and the KafkaServer test fixture (a Log in a temporary directory served on a free
// port), shared by the server's test files.
#pragma once

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <optional>
#include <vector>

#include "kafka/server.h"
#include "kafka/wire.h"
#include "strata/log.h"
#include "tests/engine/test_dir.h"

namespace strata::kafka {

namespace testing {

using namespace std::chrono_literals;

class Client {
 public:
  explicit Client(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  }
  ~Client() { ::close(fd_); }

  void send_raw(const void* data, std::size_t size) {
    ASSERT_EQ(::send(fd_, data, size, MSG_NOSIGNAL), static_cast<ssize_t>(size));
  }
  void send_frame(const std::vector<std::byte>& frame) {
    WireWriter w;
    w.int32(static_cast<std::int32_t>(frame.size()));
    w.raw(frame);
    send_raw(w.buffer().data(), w.size());
  }
  // One response frame (after its size), or nullopt when the server closed the connection.
  std::optional<std::vector<std::byte>> receive(std::chrono::milliseconds timeout = 5s) {
    std::byte size_bytes[4];
    if (!read_exact(size_bytes, 4, timeout)) return std::nullopt;
    WireReader in(size_bytes);
    std::vector<std::byte> frame(static_cast<std::size_t>(in.int32()));
    if (!read_exact(frame.data(), frame.size(), timeout)) return std::nullopt;
    return frame;
  }
  // True when the server closed the connection within `timeout`.
  bool closed_by_server(std::chrono::milliseconds timeout = 5s) {
    std::byte byte;
    pollfd pfd{fd_, POLLIN, 0};
    if (::poll(&pfd, 1, static_cast<int>(timeout.count())) != 1) return false;
    return ::recv(fd_, &byte, 1, 0) <= 0;
  }

 private:
  bool read_exact(std::byte* out, std::size_t size, std::chrono::milliseconds timeout) {
    std::size_t got = 0;
    while (got < size) {
      pollfd pfd{fd_, POLLIN, 0};
      if (::poll(&pfd, 1, static_cast<int>(timeout.count())) != 1) return false;
      const ssize_t n = ::recv(fd_, out + got, size - got, 0);
      if (n <= 0) return false;
      got += static_cast<std::size_t>(n);
    }
    return true;
  }
  int fd_ = -1;
};

}  // namespace testing

class KafkaServer : public ::testing::Test {
 protected:
  void SetUp() override { start({}); }
  void start(ServerOptions options) {
    server_.reset();
    if (!log_) log_ = std::move(Log::open({.directory = dir_.path()}).value());
    options.listen_port = 0;
    auto server = Server::start(*log_, options);
    ASSERT_TRUE(server.is_ok()) << server.status().to_string();
    server_ = std::move(server.value());
  }
  std::uint16_t port() const { return server_->port(); }

  strata::testing::TestDir dir_;
  std::unique_ptr<Log> log_;
  std::unique_ptr<Server> server_;
};

}  // namespace strata::kafka
