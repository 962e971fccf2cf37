// The server: its handler, coordinator, waiter and reactors (see server.h).
#include "kafka/server.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "base/socket.h"
#include "kafka/reactor.h"
#include "kafka/waiter.h"
#include "kafka/group_coordinator.h"
#include "kafka/listener.h"
#include "kafka/request_handler.h"
#include "kafka/server_security_setup.h"

namespace strata::kafka {

namespace {

bool is_wildcard(const std::string& host) {
  return host.empty() || host == "0.0.0.0" || host == "::";
}

// What a listener's clients are told to connect to: its advertised host, else the listen host (this
// machine's name for a wildcard address).
std::string advertised_host(const ListenerOptions& listener) {
  if (!listener.advertised_host.empty()) return listener.advertised_host;
  if (!is_wildcard(listener.host)) return listener.host;
  char name[256] = "localhost";
  (void)gethostname(name, sizeof name - 1);
  return name;
}

}  // namespace

// A listening socket and what its connections are told and checked against.
struct Server::Listening {
  OwnedFd fd;
  ListenerContext context;
};

Server::Server(Log& log, ServerOptions options) : log_(log), options_(std::move(options)) {}

std::vector<ListenerOptions> Server::resolved_listeners(const ServerOptions& options) {
  if (!options.listeners.empty()) return options.listeners;
  ListenerOptions one;
  one.host = options.listen_host;
  one.port = options.listen_port;
  one.advertised_host = options.advertised_host;
  one.advertised_port = options.advertised_port;
  return {one};
}

Result<std::unique_ptr<Server>> Server::start(Log& log, ServerOptions options) {
  std::vector<Listener> listeners;
  for (const ListenerOptions& wanted : resolved_listeners(options)) {
    auto listener = Listener::bind(wanted.host, wanted.port);
    if (!listener) return listener.status();
    listeners.push_back(std::move(listener.value()));
  }
  return start(log, std::move(options), std::move(listeners));
}

Result<std::unique_ptr<Server>> Server::start(Log& log, ServerOptions options, Listener listener) {
  std::vector<Listener> listeners;
  listeners.push_back(std::move(listener));
  return start(log, std::move(options), std::move(listeners));
}

Result<std::unique_ptr<Server>> Server::start(Log& log, ServerOptions options, std::vector<Listener> listeners) {
  if (options.default_partitions == 0 || options.default_partitions > kPartitionsMax) {
    return invalid_argument("default partitions must be 1 to " + std::to_string(kPartitionsMax));
  }
  if (options.connections_max == 0) return invalid_argument("connections_max must be at least 1");
  const std::vector<ListenerOptions> wanted = resolved_listeners(options);
  if (wanted.size() != listeners.size()) {
    return invalid_argument(std::to_string(listeners.size()) + " listening sockets for " +
                            std::to_string(wanted.size()) + " listeners");
  }
  auto security = open_server_security(log.options().directory, wanted, options.security);
  if (!security) return security.status();
  std::unique_ptr<Server> server(new Server(log, options));
  server->security_ = std::move(security.value());
  for (std::size_t i = 0; i < wanted.size(); ++i) {
    auto listening = std::make_unique<Listening>();
    server->ports_.push_back(listeners[i].port());
    listening->fd.reset(listeners[i].release());
    ListenerContext& context = listening->context;
    context.protocol = wanted[i].protocol;
    context.security = server->security_.get();
    context.advertised_host = advertised_host(wanted[i]);
    context.advertised_port = wanted[i].advertised_port != 0 ? wanted[i].advertised_port : server->ports_.back();
    server->listening_.push_back(std::move(listening));
  }

  HandlerOptions handler_options;
  handler_options.node_id = options.node_id;
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
}

std::string Server::listen_address(std::size_t index) const {
  const std::vector<ListenerOptions> wanted = resolved_listeners(options_);
  const std::string& host = wanted.at(index).host;
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(ports_.at(index));
}

Status Server::reload_tls() {
  return security_ ? security_->reload_tls() : Status::ok();
}

KafkaServerMetrics Server::metrics() const {
  return handler_->metrics().snapshot();
}

Status Server::start_reactors() {
  // Non-blocking: reactors share the sockets, and the one woken may find the connection taken by another.
  std::vector<ReactorListener> listeners;
  for (const auto& listening : listening_) {
    if (Status status = set_nonblocking(listening->fd.get(), "a listening socket"); !status) return status;
    listeners.push_back({listening->fd.get(), &listening->context});
  }
  unsigned count = options_.network_threads;
  if (count == 0) count = std::max(1u, std::thread::hardware_concurrency());
  ReactorOptions reactor_options;
  reactor_options.connection = {options_.max_request_bytes, options_.idle_timeout};
  reactor_options.in_flight_bytes_max = options_.in_flight_bytes_max;
  reactor_options.connections_max = options_.connections_max;
  for (unsigned i = 0; i < count; ++i) {
    auto reactor = Reactor::create(listeners, {*handler_, *waiter_, connections_, stopping_}, reactor_options);
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
