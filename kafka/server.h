// strata::kafka::Server: the Kafka protocol on a Log, so unmodified Kafka clients produce to and consume
// from it. Embeddable next to a service's own producers; `strata serve` runs one. No authentication: it
// listens on loopback by default.
//
// Shape: an acceptor thread and one thread per connection (bounded by connections_max). A connection's
// requests are read, handled and answered in order (pipelined requests too), as a Kafka broker does; a
// Produce with acks waits on that connection's thread for the log's acknowledgement, a Fetch long-polls on
// the engine's reader wake-up, a JoinGroup parks there until the rebalance completes.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "kafka/group_coordinator.h"
#include "strata/log.h"

namespace strata::kafka {

struct ServerOptions {
  std::string listen_host = "127.0.0.1";
  std::uint16_t listen_port = 9092;  // 0 picks a free port
  std::string advertise_host;        // default: the listen host
  std::uint16_t advertise_port = 0;  // default: the port listened on
  std::uint32_t default_partitions = 1;  // of topics created on first use
  bool auto_create_topics = true;
  std::size_t max_request_bytes = 100u << 20;  // Kafka's socket.request.max.bytes
  std::size_t connections_max = 256;
  std::chrono::milliseconds idle_timeout{600'000};  // Kafka's connections.max.idle.ms
  std::int32_t node_id = 0;
};

class Server {
 public:
  // Binds and starts accepting. REQUIRES: `log` outlives the server.
  static Result<std::unique_ptr<Server>> start(Log& log, ServerOptions options);
  ~Server();  // stop()
  // The address clients are told to connect to ("host:port"), and the port listened on.
  std::string advertised() const;
  std::uint16_t port() const { return port_; }
  // Stops accepting, closes every connection (a request being handled finishes first) and joins.
  void stop();

 private:
  struct Connection;
  Server(Log& log, ServerOptions options) : log_(log), options_(std::move(options)) {}
  void accept_loop();
  void serve(std::shared_ptr<Connection> connection);

  Log& log_;
  ServerOptions options_;
  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  GroupCoordinator groups_;
  std::thread acceptor_;
  std::mutex connections_mutex_;
  std::vector<std::shared_ptr<Connection>> connections_;
  std::atomic<std::size_t> connection_count_{0};
};

}  // namespace strata::kafka
