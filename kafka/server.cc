// The server: its handler, coordinator, waiter and reactors (see server.h).
#include "kafka/server.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "kafka/reactor.h"
#include "kafka/waiter.h"
#include "kafka/group_coordinator.h"
#include "kafka/listener.h"
#include "kafka/request_handler.h"

namespace strata::kafka {

namespace {

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
  server->waiter_ = std::make_unique<Waiter>(*server->coordinator_);
  if (Status started = server->start_reactors(); !started.is_ok()) return started;
  return server;
}

Server::~Server() {
  stop();
  if (listen_fd_ >= 0) ::close(listen_fd_);
}

std::string Server::listen_address() const {
  const bool v6 = options_.listen_host.find(':') != std::string::npos;
  return (v6 ? "[" + options_.listen_host + "]" : options_.listen_host) + ":" + std::to_string(port_);
}

KafkaServerMetrics Server::metrics() const {
  return handler_->metrics().snapshot();
}

Status Server::start_reactors() {
  // Non-blocking: reactors share the socket, and the one woken may find the connection taken by another.
  const int flags = fcntl(listen_fd_, F_GETFL);
  if (flags < 0 || fcntl(listen_fd_, F_SETFL, flags | O_NONBLOCK) != 0) {
    return io_error(std::string("listening socket: fcntl: ") + std::strerror(errno));
  }
  unsigned count = options_.network_threads;
  if (count == 0) count = std::max(1u, std::thread::hardware_concurrency());
  ReactorOptions reactor_options;
  reactor_options.connection = {options_.max_request_bytes, options_.idle_timeout};
  reactor_options.in_flight_bytes_max = options_.in_flight_bytes_max;
  reactor_options.connections_max = options_.connections_max;
  for (unsigned i = 0; i < count; ++i) {
    auto reactor = Reactor::create(listen_fd_, {*handler_, *waiter_, connections_, stopping_}, reactor_options);
    if (!reactor) {
      stop();
      return reactor.status();
    }
    reactors_.push_back(std::move(reactor.value()));
  }
  for (auto& reactor : reactors_) {
    Reactor* raw = reactor.get();
    threads_.emplace_back([raw] { raw->run(); });
  }
  return Status::ok();
}

void Server::stop() {
  std::lock_guard stop_lock(stop_mutex_);
  if (stopped_) return;
  stopped_ = true;
  stopping_.store(true, std::memory_order_release);
  // Parked group requests answer now; parked fetches see stopping_; produces get their acknowledgements.
  coordinator_->shutdown();
  for (auto& reactor : reactors_) reactor->wake();
  for (std::thread& thread : threads_) thread.join();
  threads_.clear();
  if (waiter_) waiter_->stop();
}

}  // namespace strata::kafka
