// The listening socket, the acceptor and the ticker (see server.h).
#include "kafka/server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "kafka/connection.h"
#include "kafka/group_coordinator.h"
#include "kafka/listener.h"
#include "kafka/request_handler.h"

namespace strata::kafka {

namespace {

std::string address_text(const sockaddr_storage& address) {
  char host[INET6_ADDRSTRLEN] = "?";
  std::uint16_t port = 0;
  if (address.ss_family == AF_INET) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(&address);
    inet_ntop(AF_INET, &v4->sin_addr, host, sizeof host);
    port = ntohs(v4->sin_port);
    return std::string(host) + ":" + std::to_string(port);
  }
  if (address.ss_family == AF_INET6) {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&address);
    inet_ntop(AF_INET6, &v6->sin6_addr, host, sizeof host);
    port = ntohs(v6->sin6_port);
    return "[" + std::string(host) + "]:" + std::to_string(port);
  }
  return "unknown";
}

bool is_wildcard(const std::string& host) {
  return host.empty() || host == "0.0.0.0" || host == "::";
}

}  // namespace

Server::Server(Log& log, ServerOptions options) : log_(log), options_(std::move(options)) {}

Result<std::unique_ptr<Server>> Server::start(Log& log, ServerOptions options) {
  auto listener = Listener::bind(options.listen_host, options.listen_port);
  if (!listener) return listener.status();
  return start(log, std::move(options), std::move(listener.value()));
}

Result<std::unique_ptr<Server>> Server::start(Log& log, ServerOptions options, Listener listener) {
  if (options.default_partitions == 0 || options.default_partitions > kPartitionsMax) {
    return invalid_argument("default partitions must be 1 to " + std::to_string(kPartitionsMax));
  }
  if (options.connections_max == 0) return invalid_argument("connections_max must be at least 1");
  const std::uint16_t port = listener.port();
  std::unique_ptr<Server> server(new Server(log, options));
  server->listen_fd_ = listener.release();
  server->port_ = port;
  server->wake_fd_ = eventfd(0, EFD_CLOEXEC);
  if (server->wake_fd_ < 0) return io_error(std::string("eventfd: ") + std::strerror(errno));

  HandlerOptions handler_options;
  handler_options.node_id = options.node_id;
  if (!options.advertised_host.empty()) {
    handler_options.advertised_host = options.advertised_host;
  } else if (is_wildcard(options.listen_host)) {
    char name[256] = "localhost";
    (void)gethostname(name, sizeof name - 1);
    handler_options.advertised_host = name;
  } else {
    handler_options.advertised_host = options.listen_host;
  }
  handler_options.advertised_port = options.advertised_port != 0 ? options.advertised_port : port;
  handler_options.default_partitions = options.default_partitions;
  handler_options.auto_create_topics = options.auto_create_topics;
  GroupCoordinatorOptions group_options;
  group_options.session_timeout_min_ms = options.session_timeout_min_ms;
  group_options.state_directory = log.options().directory;  // groups survive a restart of the server
  group_options.initial_rebalance_delay_ms = options.group_initial_rebalance_delay_ms;
  server->coordinator_ = std::make_unique<GroupCoordinator>(group_options);
  server->handler_ = std::make_unique<RequestHandler>(log, handler_options, *server->coordinator_);
  Server* raw = server.get();
  server->acceptor_ = std::thread([raw] { raw->accept_loop(); });
  server->ticker_ = std::thread([raw] { raw->tick_loop(); });
  return server;
}

Server::~Server() {
  stop();
  if (listen_fd_ >= 0) ::close(listen_fd_);
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

std::string Server::listen_address() const {
  const bool v6 = options_.listen_host.find(':') != std::string::npos;
  return (v6 ? "[" + options_.listen_host + "]" : options_.listen_host) + ":" + std::to_string(port_);
}

KafkaServerMetrics Server::metrics() const {
  return handler_->metrics().snapshot();
}

void Server::reap_finished() {
  for (auto it = connections_.begin(); it != connections_.end();) {
    if (it->finished.load(std::memory_order_acquire)) {
      it->thread.join();
      it = connections_.erase(it);
    } else {
      ++it;
    }
  }
}

void Server::accept_loop() {
  while (!stopping_.load(std::memory_order_acquire)) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
    const int ready = ::poll(fds, 2, 1000);
    if (ready < 0 && errno != EINTR) {
      std::fprintf(stderr, "strata serve: poll: %s\n", std::strerror(errno));
      return;
    }
    std::lock_guard lock(mutex_);
    reap_finished();
    if (ready <= 0 || (fds[0].revents & POLLIN) == 0) continue;
    sockaddr_storage peer{};
    socklen_t peer_size = sizeof peer;
    const int fd = ::accept4(listen_fd_, reinterpret_cast<sockaddr*>(&peer), &peer_size, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno != EINTR && errno != EAGAIN && errno != ECONNABORTED) {
        std::fprintf(stderr, "strata serve: accept: %s\n", std::strerror(errno));
        // EMFILE and the like: give the system a moment instead of spinning on the ready socket.
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      continue;
    }
    const std::string client = address_text(peer);
    if (connections_.size() >= options_.connections_max) {
      std::fprintf(stderr, "strata serve: %s: refused: %zu connections already (the limit)\n", client.c_str(),
                   connections_.size());
      ::close(fd);
      continue;
    }
    const int one = 1;
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    Slot& slot = connections_.emplace_back();
    ConnectionLimits limits{options_.max_request_bytes, options_.idle_timeout};
    slot.connection = std::make_unique<Connection>(fd, client, *handler_, limits, stopping_);
    Slot* raw = &slot;
    slot.thread = std::thread([raw] {
      raw->connection->run();
      raw->connection.reset();  // closes the socket before the slot is reaped
      raw->finished.store(true, std::memory_order_release);
    });
  }
}

void Server::tick_loop() {
  while (!stopping_.load(std::memory_order_acquire)) {
    coordinator_->tick();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

void Server::stop() {
  std::lock_guard stop_lock(stop_mutex_);
  if (stopped_) return;
  stopped_ = true;
  stopping_.store(true, std::memory_order_release);
  const std::uint64_t one = 1;
  (void)::write(wake_fd_, &one, sizeof one);
  if (acceptor_.joinable()) acceptor_.join();
  coordinator_->shutdown();
  if (ticker_.joinable()) ticker_.join();
  // Connections see stopping_ within 200 ms, finish what they read, and end.
  std::lock_guard lock(mutex_);
  for (Slot& slot : connections_) {
    if (slot.thread.joinable()) slot.thread.join();
  }
  connections_.clear();
}

}  // namespace strata::kafka
