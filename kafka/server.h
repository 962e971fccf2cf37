// strata::kafka::Server: the Kafka protocol on a Log, embeddable in any process that has one.
//
//   auto log = strata::Log::open({.directory = "/var/lib/app/log"}).value();
//   auto server = strata::kafka::Server::start(*log, {.listen_port = 9092}).value();
//   ...                                     // Kafka clients produce and consume; the process appends too
//   server->stop();                         // before the Log closes
//
// Threads: network_threads reactors (kafka/reactor.h), each an event loop owning its connections, and one
// waiter (kafka/waiter.h) where requests that wait park and which applies the group timeouts: no thread per
// connection. Listeners are plaintext, TLS, SASL or SASL over TLS as Kafka names them (ListenerOptions);
// with SecurityOptions::authorize every request is checked against the directory's ACLs (security/).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <vector>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "strata/log.h"
#include "strata/status.h"

namespace strata::kafka {

// A listener's security protocol, as Kafka names them: plaintext; ssl (TLS; with a client CA the client
// certificate's subject is the principal); sasl_plaintext (a SASL login before any other request);
// sasl_ssl (TLS, then SASL). Without a login or a client certificate the principal is User:ANONYMOUS.
enum class ListenerProtocol : unsigned char { kPlaintext, kSsl, kSaslPlaintext, kSaslSsl };

struct ListenerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 9092;  // 0: a free port (see Server::ports())
  ListenerProtocol protocol = ListenerProtocol::kPlaintext;
  // What Metadata and FindCoordinator tell the clients of this listener to connect to. Empty: the listen
  // host (or this machine's name when listening on a wildcard address); port 0: the port listened on.
  std::string advertised_host;
  std::uint16_t advertised_port = 0;
};

// Users and ACLs live in the log's directory (`strata user`, `strata acl`) and are followed while it runs.
struct SecurityOptions {
  std::string tls_certificate;  // PEM; needed by ssl and sasl_ssl listeners
  std::string tls_key;          // PEM
  std::string tls_client_ca;    // PEM; set: TLS clients must present a certificate it signed
  std::vector<std::string> sasl_mechanisms = {"SCRAM-SHA-256", "SCRAM-SHA-512"};  // and PLAIN
  bool allow_plain_over_plaintext = false;  // PLAIN on a sasl_plaintext listener
  bool authorize = false;                   // check every request against the ACLs
  std::vector<std::string> super_users;     // NAME or User:NAME: never checked
};

struct ServerOptions {
  // The one listener when `listeners` is empty (plaintext).
  std::string listen_host = "127.0.0.1";
  std::uint16_t listen_port = 9092;  // 0: a free port (see Server::port())
  std::string advertised_host;
  std::uint16_t advertised_port = 0;
  std::vector<ListenerOptions> listeners;  // set: these instead of listen_host/listen_port
  SecurityOptions security;
  std::uint32_t default_partitions = 1;  // for auto-created topics and CreateTopics with -1
  bool auto_create_topics = true;
  std::size_t max_request_bytes = 100u << 20;
  std::size_t connections_max = 1024;  // beyond it a connection is accepted and closed at once, with a log line
  unsigned network_threads = 0;        // reactors; 0: one per core
  // Per reactor: bytes of requests in flight (read, not yet answered, with their responses) before it stops
  // reading from its sockets until answers drain.
  std::size_t in_flight_bytes_max = 64u << 20;
  std::chrono::milliseconds idle_timeout{600'000};
  std::int32_t node_id = 0;
  std::int32_t session_timeout_min_ms = 1000;
  // Kafka's group.initial.rebalance.delay.ms (its default): the first rebalance of an empty group waits this
  // long for more members, so that members starting together share one rebalance. 0: none.
  std::int32_t group_initial_rebalance_delay_ms = 3000;
};

class Listener;  // kafka/listener.h (installed as strata/kafka/listener.h)
}  // namespace strata::kafka
namespace strata::security {
class ServerSecurity;
}  // namespace strata::security
namespace strata::kafka {
class RequestHandler;
class GroupCoordinator;
class Reactor;
class Waiter;

class Server {
 public:
  // Binds, listens and starts accepting. kInvalidArgument for a bad address, kIoError (with errno's text)
  // when the port cannot be bound.
  static Result<std::unique_ptr<Server>> start(Log& log, ServerOptions options);
  // Starts accepting on a socket bound beforehand (options.listen_host/listen_port are then only names).
  static Result<std::unique_ptr<Server>> start(Log& log, ServerOptions options, Listener listener);
  // The same with a socket per options.listeners entry, in its order. kInvalidArgument for a security
  // configuration that cannot work (a TLS listener without a certificate, PLAIN on sasl_plaintext without
  // allow_plain_over_plaintext, an unknown mechanism) or files that cannot be loaded, each named.
  static Result<std::unique_ptr<Server>> start(Log& log, ServerOptions options, std::vector<Listener> listeners);
  // What the options ask for: `listeners`, or the one that listen_host/listen_port describe.
  static std::vector<ListenerOptions> resolved_listeners(const ServerOptions& options);
  ~Server();  // stop()
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // The port listened on (the chosen one when listen_port was 0); the first listener's.
  std::uint16_t port() const { return ports_.front(); }
  // Every listener's, in the order of the options.
  const std::vector<std::uint16_t>& ports() const { return ports_; }
  // "host:port" as listened on (the first listener), and for listener `index`.
  std::string listen_address(std::size_t index = 0) const;
  // SIGHUP: loads the TLS certificate and key again for new connections (kInvalidArgument naming the file
  // that fails; the old ones then stay in force).
  Status reload_tls();
  // Connections open now (over every reactor).
  std::size_t connections() const { return connections_.load(std::memory_order_relaxed); }
  // Network threads serving (ServerOptions::network_threads, resolved).
  std::size_t network_threads() const { return reactors_.size(); }
  // Connections, request latencies per API, records and bytes fetched (strata/metrics.h); the log's own
  // numbers are Log::metrics(). Any thread.
  KafkaServerMetrics metrics() const;

  // Stops accepting, lets every connection finish the requests it has read (in-flight appends are
  // acknowledged or refused, not dropped), closes them and joins every thread. Idempotent.
  void stop();

 private:
  struct Listening;
  Server(Log& log, ServerOptions options);
  Status start_security();
  Status start_reactors();

  Log& log_;
  ServerOptions options_;
  // Before the reactors: their connections point into these.
  std::unique_ptr<security::ServerSecurity> security_;
  std::vector<std::unique_ptr<Listening>> listening_;  // fd, protocol, advertised address per listener
  std::unique_ptr<GroupCoordinator> coordinator_;
  std::unique_ptr<RequestHandler> handler_;
  std::unique_ptr<Waiter> waiter_;
  std::vector<std::unique_ptr<Reactor>> reactors_;
  std::vector<std::thread> threads_;
  std::vector<std::uint16_t> ports_;
  std::atomic<bool> stopping_{false};
  std::atomic<std::size_t> connections_{0};
  std::mutex stop_mutex_;
  bool stopped_ = false;
};

}  // namespace strata::kafka
