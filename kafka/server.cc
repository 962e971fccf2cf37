// The network side of the server: listening, accepting, one thread per connection reading size-prefixed
// requests and writing responses in order.
#include "kafka/server.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "kafka/session.h"
#include "kafka/wire.h"

namespace strata::kafka {

struct Server::Connection {
  int fd = -1;
  std::string peer;
  std::thread thread;
  std::atomic<bool> done{false};
};

namespace {

// Reads exactly out.size() bytes; false at end of stream, on an error, or after `idle` without data.
bool read_exactly(int fd, std::span<std::byte> out, std::chrono::milliseconds idle, const std::atomic<bool>& stopping) {
  std::size_t got = 0;
  while (got < out.size()) {
    pollfd waiting{fd, POLLIN, 0};
    const int ready = ::poll(&waiting, 1, static_cast<int>(std::min<std::int64_t>(idle.count(), 1000)));
    if (stopping.load(std::memory_order_acquire)) return false;
    if (ready == 0) {
      idle -= std::chrono::milliseconds(1000);
      if (idle.count() <= 0) return false;
      continue;
    }
    if (ready < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    const ssize_t n = ::recv(fd, out.data() + got, out.size() - got, 0);
    if (n <= 0) {
      if (n < 0 && errno == EINTR) continue;
      return false;
    }
    got += static_cast<std::size_t>(n);
  }
  return true;
}

bool write_all(int fd, std::span<const std::byte> bytes) {
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    sent += static_cast<std::size_t>(n);
  }
  return true;
}

std::string peer_name(const sockaddr_storage& address) {
  char host[NI_MAXHOST] = "?";
  char port[NI_MAXSERV] = "?";
  ::getnameinfo(reinterpret_cast<const sockaddr*>(&address), sizeof address, host, sizeof host, port, sizeof port,
                NI_NUMERICHOST | NI_NUMERICSERV);
  return std::string(host) + ":" + port;
}

}  // namespace

Result<std::unique_ptr<Server>> Server::start(Log& log, ServerOptions options) {
  std::unique_ptr<Server> server(new Server(log, std::move(options)));
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string port_text = std::to_string(server->options_.listen_port);
  if (const int error = ::getaddrinfo(server->options_.listen_host.c_str(), port_text.c_str(), &hints, &found);
      error != 0) {
    return invalid_argument("listen address " + server->options_.listen_host + ": " + ::gai_strerror(error));
  }
  const int fd = ::socket(found->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int one = 1;
  if (fd >= 0) ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (fd < 0 || ::bind(fd, found->ai_addr, found->ai_addrlen) != 0 || ::listen(fd, 128) != 0) {
    const int error_number = errno;
    ::freeaddrinfo(found);
    if (fd >= 0) ::close(fd);
    return io_error("listen on " + server->options_.listen_host + ":" + port_text + ": " + std::strerror(error_number));
  }
  ::freeaddrinfo(found);
  sockaddr_storage bound{};
  socklen_t length = sizeof bound;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &length);
  server->port_ = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                                    : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  server->listen_fd_ = fd;
  ServerOptions& o = server->options_;
  if (o.advertise_host.empty()) {
    o.advertise_host = o.listen_host == "0.0.0.0" || o.listen_host == "::" ? "127.0.0.1" : o.listen_host;
  }
  if (o.advertise_port == 0) o.advertise_port = server->port_;
  server->acceptor_ = std::thread([raw = server.get()] { raw->accept_loop(); });
  return server;
}

Server::~Server() {
  stop();
}

std::string Server::advertised() const {
  return options_.advertise_host + ":" + std::to_string(options_.advertise_port);
}

void Server::stop() {
  if (stopping_.exchange(true)) return;
  groups_.shutdown();
  if (listen_fd_ >= 0) ::shutdown(listen_fd_, SHUT_RDWR);
  if (acceptor_.joinable()) acceptor_.join();
  if (listen_fd_ >= 0) ::close(listen_fd_);
  listen_fd_ = -1;
  std::vector<std::shared_ptr<Connection>> connections;
  {
    std::lock_guard lock(connections_mutex_);
    connections.swap(connections_);
  }
  // A request being handled finishes (its appends are acknowledged or refused); the reads then end.
  for (auto& connection : connections) ::shutdown(connection->fd, SHUT_RD);
  for (auto& connection : connections) {
    if (connection->thread.joinable()) connection->thread.join();
    ::close(connection->fd);
  }
}

void Server::accept_loop() {
  while (!stopping_.load(std::memory_order_acquire)) {
    pollfd waiting{listen_fd_, POLLIN, 0};
    if (::poll(&waiting, 1, 200) <= 0) continue;
    sockaddr_storage address{};
    socklen_t length = sizeof address;
    const int fd = ::accept4(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length, SOCK_CLOEXEC);
    if (fd < 0) continue;
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    auto connection = std::make_shared<Connection>();
    connection->fd = fd;
    connection->peer = peer_name(address);
    std::lock_guard lock(connections_mutex_);
    // Reap finished connections, then bound the live ones.
    std::erase_if(connections_, [](const std::shared_ptr<Connection>& c) {
      if (!c->done.load(std::memory_order_acquire)) return false;
      if (c->thread.joinable()) c->thread.join();
      ::close(c->fd);
      return true;
    });
    if (connections_.size() >= options_.connections_max) {
      std::fprintf(stderr, "strata serve: refused %s: %zu connections already open (the limit)\n",
                   connection->peer.c_str(), connections_.size());
      ::close(fd);
      continue;
    }
    connections_.push_back(connection);
    connection->thread = std::thread([this, connection] { serve(connection); });
  }
}

void Server::serve(std::shared_ptr<Connection> connection) {
  Session session(log_, groups_, options_, connection->peer);
  std::vector<std::byte> request;
  while (!stopping_.load(std::memory_order_acquire)) {
    std::byte size_bytes[4];
    if (!read_exactly(connection->fd, size_bytes, options_.idle_timeout, stopping_)) break;
    Decoder size_decoder(size_bytes);
    const std::int32_t size = size_decoder.i32();
    if (size < 8 || static_cast<std::size_t>(size) > options_.max_request_bytes) {
      std::fprintf(stderr, "strata serve: closing %s: a request of %d bytes (limit %zu)\n", connection->peer.c_str(),
                   size, options_.max_request_bytes);
      break;
    }
    request.resize(static_cast<std::size_t>(size));
    if (!read_exactly(connection->fd, request, options_.idle_timeout, stopping_)) break;
    Decoder in(request);
    RequestHeader header;
    header.api_key = in.i16();
    header.api_version = in.i16();
    header.correlation_id = in.i32();
    header.client_id = std::string(in.string());
    if (!in.ok()) {
      std::fprintf(stderr, "strata serve: closing %s: a truncated request header\n", connection->peer.c_str());
      break;
    }
    Encoder out;
    out.i32(0);  // size, patched below
    out.i32(header.correlation_id);
    const Session::Outcome outcome = session.handle(header, in, out);
    if (outcome == Session::Outcome::kClose) {
      std::fprintf(stderr, "strata serve: closing %s: malformed or unsupported request (api %d v%d)\n",
                   connection->peer.c_str(), header.api_key, header.api_version);
      break;
    }
    if (outcome == Session::Outcome::kNoResponse) continue;
    out.patch_i32(0, static_cast<std::int32_t>(out.size() - 4));
    if (!write_all(connection->fd, out.buffer())) break;
  }
  ::shutdown(connection->fd, SHUT_RDWR);
  connection->done.store(true, std::memory_order_release);
}

}  // namespace strata::kafka
