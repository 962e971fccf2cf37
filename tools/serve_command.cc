// strata serve --dir D [--listen [PROTOCOL://]HOST:PORT]... [--advertise HOST:PORT]... [--partitions N]
//              [--no-auto-create] [--durability MODE] [--max-request-bytes N] [--threads N] [--max-connections N]
//              [--retention-ms MS] [--retention-bytes B] [--segment-bytes B] [--metrics HOST:PORT]
//              [--tls-cert PEM --tls-key PEM [--tls-client-ca PEM]] [--sasl-mechanisms LIST]
//              [--allow-plain-over-plaintext] [--authorize] [--super-user NAME]...
// The Kafka protocol on the log in D (strata::kafka::Server). Prints "listening on HOST:PORT" on stderr for
// each listener, in --listen order, once it accepts connections; SIGHUP reloads the TLS certificate and key (and "metrics on HOST:PORT" for --metrics, kafka/metrics_http.h); SIGINT or SIGTERM stop it cleanly (requests already read are answered,
// appends in flight acknowledged or refused, then the log is closed).
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <memory>
#include <string>

#include "kafka/listener.h"
#include "kafka/metrics_http.h"
#include "kafka/metrics_text.h"
#include "kafka/server.h"
#include "kafka/server_security_setup.h"
#include "security/tls.h"
#include "tools/cli_checks.h"
#include "tools/commands.h"

namespace strata::tools {

namespace {

struct ServeArgs {
  std::string dir;
  std::vector<std::string> listen{"plaintext://127.0.0.1:9092"};
  std::vector<std::string> advertise;  // one per --listen, in its order
  std::string tls_cert;
  std::string tls_key;
  std::string tls_client_ca;
  std::string sasl_mechanisms;  // empty: the default (SCRAM-SHA-256,SCRAM-SHA-512)
  bool allow_plain_over_plaintext = false;
  bool authorize = false;
  std::vector<std::string> super_users;
  std::string metrics;  // HOST:PORT of the Prometheus endpoint; empty: none
  std::uint32_t partitions = 1;
  bool no_auto_create = false;
  Durability durability = Durability::kSync;
  std::uint64_t max_request_bytes = 100u << 20;
  std::size_t max_connections = 10'000;
  unsigned threads = 0;  // network threads; 0: one per core
  bool buffered_io = false;
  unsigned writers = 1;
  // Defaults for topics without their own retention.ms / retention.bytes / segment.bytes (-1: no limit).
  std::int64_t retention_ms = -1;
  std::uint64_t retention_bytes = 0;  // 0: no limit
  std::uint64_t segment_bytes = 1ull << 30;
  std::int32_t group_initial_rebalance_delay_ms = 3000;
};

// "host:port", "[v6]:port" or ":port" (all addresses).
bool split_host_port(const std::string& text, std::string* host, std::uint16_t* port) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos) return false;
  std::string host_part = text.substr(0, colon);
  if (host_part.size() >= 2 && host_part.front() == '[' && host_part.back() == ']') {
    host_part = host_part.substr(1, host_part.size() - 2);
  }
  const std::string port_part = text.substr(colon + 1);
  if (port_part.empty() || port_part.size() > 5 ||
      port_part.find_first_not_of("0123456789") != std::string::npos) {
    return false;
  }
  const unsigned long value = std::stoul(port_part);
  if (value > 65535) return false;
  *host = host_part.empty() ? "0.0.0.0" : host_part;
  *port = static_cast<std::uint16_t>(value);
  return true;
}

// Connections need descriptors: the soft limit goes up to the hard one (as far as --max-connections and the
// log's own files need). A connection refused for want of one is logged (kafka/reactor.h), not fatal.
void raise_descriptor_limit(std::size_t connections_max) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  const rlim_t wanted = std::min<rlim_t>(limit.rlim_max, static_cast<rlim_t>(connections_max) + 1024);
  if (limit.rlim_cur >= wanted) return;
  limit.rlim_cur = wanted;
  (void)setrlimit(RLIMIT_NOFILE, &limit);
}

// --listen and --advertise into options.listeners: kInvalidArgument saying which is wrong.
Status parse_listeners(const ServeArgs& args, kafka::ServerOptions* options) {
  if (!args.advertise.empty() && args.advertise.size() != args.listen.size()) {
    return invalid_argument("--advertise given " + std::to_string(args.advertise.size()) + " times for " +
                            std::to_string(args.listen.size()) + " --listen: give one per listener, in the same order");
  }
  for (std::size_t i = 0; i < args.listen.size(); ++i) {
    auto address = security::parse_listener_address(args.listen[i]);
    if (!address) return address.status();
    kafka::ListenerOptions listener;
    listener.protocol = kafka::from_security_protocol(address.value().protocol);
    if (!split_host_port(address.value().host_port, &listener.host, &listener.port)) {
      return invalid_argument("--listen " + args.listen[i] + ": expected [PROTOCOL://]HOST:PORT");
    }
    if (i < args.advertise.size() &&
        (!split_host_port(args.advertise[i], &listener.advertised_host, &listener.advertised_port) ||
         listener.advertised_port == 0)) {
      return invalid_argument("--advertise " + args.advertise[i] + ": expected HOST:PORT with a port");
    }
    options->listeners.push_back(listener);
  }
  return Status::ok();
}

// The security flags into options.security, refusing flags that no listener would use.
Status parse_security(const ServeArgs& args, kafka::ServerOptions* options) {
  auto any = [&](auto predicate) {
    return std::any_of(options->listeners.begin(), options->listeners.end(), [&](const kafka::ListenerOptions& l) {
      return predicate(kafka::to_security_protocol(l.protocol));
    });
  };
  kafka::SecurityOptions& security = options->security;
  security.tls_certificate = args.tls_cert;
  security.tls_key = args.tls_key;
  security.tls_client_ca = args.tls_client_ca;
  if (!args.tls_cert.empty() && !any(security::uses_tls)) {
    return invalid_argument("--tls-cert: no ssl:// or sasl_ssl:// --listen would use it");
  }
  if (!args.sasl_mechanisms.empty()) {
    if (!any(security::uses_sasl)) {
      return invalid_argument("--sasl-mechanisms: no sasl_plaintext:// or sasl_ssl:// --listen would use it");
    }
    auto mechanisms = security::parse_sasl_mechanisms(args.sasl_mechanisms);
    if (!mechanisms) return mechanisms.status();
    security.sasl_mechanisms = mechanisms.value();
  }
  if (!args.super_users.empty() && !args.authorize) return invalid_argument("--super-user needs --authorize");
  security.allow_plain_over_plaintext = args.allow_plain_over_plaintext;
  security.authorize = args.authorize;
  security.super_users = args.super_users;
  STRATA_RETURN_IF_ERROR(kafka::check_security_options(options->listeners, security));
  // Loaded once here so that a missing or unreadable file, a bad PEM or a key that is not the certificate's is
  // refused before a port is bound or the log opened (the server loads them again as it starts).
  if (security.tls_certificate.empty()) return Status::ok();
  return security::TlsServerContext::create({security.tls_certificate, security.tls_key, security.tls_client_ca})
      .status();
}

int run_serve(const ServeArgs& args) {
  kafka::ServerOptions options;
  if (Status parsed = parse_listeners(args, &options); !parsed.is_ok()) return fail(parsed.message());
  if (Status parsed = parse_security(args, &options); !parsed.is_ok()) return fail(parsed.message());
  options.default_partitions = args.partitions;
  options.auto_create_topics = !args.no_auto_create;
  options.max_request_bytes = args.max_request_bytes;
  options.connections_max = args.max_connections;
  options.network_threads = args.threads;
  raise_descriptor_limit(args.max_connections);
  options.group_initial_rebalance_delay_ms = args.group_initial_rebalance_delay_ms;
  std::string metrics_host;
  std::uint16_t metrics_port = 0;
  if (!args.metrics.empty() && !split_host_port(args.metrics, &metrics_host, &metrics_port)) {
    return fail("--metrics " + args.metrics + ": expected HOST:PORT");
  }

  // Signals are taken by sigwait below: blocked before any thread starts, so every thread inherits it.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  // Bound before the log is opened: a busy port leaves no directory or LOCK behind.
  std::vector<kafka::Listener> listeners;
  for (const kafka::ListenerOptions& wanted : options.listeners) {
    auto listener = kafka::Listener::bind(wanted.host, wanted.port);
    if (!listener) return fail("--listen " + kafka::listener_text(wanted) + ": " + listener.status().to_string());
    listeners.push_back(std::move(listener.value()));
  }
  LogOptions log_options;
  log_options.directory = args.dir;
  log_options.durability = args.durability;
  log_options.allow_buffered_io = args.buffered_io;
  log_options.writer_threads = args.writers;
  if (args.retention_ms >= 0) log_options.retention_age = std::chrono::milliseconds(std::max<std::int64_t>(args.retention_ms, 1));
  log_options.retention_bytes = args.retention_bytes;
  log_options.segment_bytes = args.segment_bytes;
  auto log = Log::open(log_options);
  if (!log) return fail(log.status().to_string());
  auto server = kafka::Server::start(*log.value(), options, std::move(listeners));
  if (!server) return fail(server.status().to_string());
  for (std::size_t i = 0; i < options.listeners.size(); ++i) {
    std::fprintf(stderr, "listening on %s\n", server.value()->listen_address(i).c_str());
  }
  std::unique_ptr<kafka::MetricsEndpoint> metrics;
  if (!args.metrics.empty()) {
    auto endpoint = kafka::MetricsEndpoint::start(
        metrics_host, metrics_port, [&log = *log.value(), &served = *server.value()](std::string* body) {
          return kafka::prometheus_text(log, served, body);
        });
    if (!endpoint) return fail("--metrics " + args.metrics + ": " + endpoint.status().to_string());
    metrics = std::move(endpoint.value());
    std::fprintf(stderr, "metrics on %s\n", metrics->address().c_str());
  }
  std::fflush(stderr);

  int signal_number = 0;
  while (sigwait(&signals, &signal_number) == 0 && signal_number == SIGHUP) {
    const Status reloaded = server.value()->reload_tls();
    std::fprintf(stderr, "strata serve: SIGHUP: %s\n",
                 reloaded.is_ok() ? "TLS certificate and key reloaded" : reloaded.to_string().c_str());
  }
  std::fprintf(stderr, "strata serve: %s: closing\n", signal_number == SIGINT ? "SIGINT" : "SIGTERM");
  metrics.reset();
  server.value()->stop();
  server.value().reset();
  Status closed = log.value()->close();
  if (!closed.is_ok()) return fail("closing the log: " + closed.to_string());
  return 0;
}

}  // namespace

void add_serve_command(CLI::App& app) {
  auto args = std::make_shared<ServeArgs>();
  CLI::App* command =
      app.add_subcommand("serve", "Serve the Kafka protocol (plaintext on loopback by default; TLS, SASL and ACLs "
                                  "with ssl://, sasl_ssl:// listeners and --authorize)");
  command->add_option("--dir", args->dir, "Log directory (created if missing)")->required();
  command->add_option("--listen", args->listen,
                      "[PROTOCOL://]HOST:PORT to listen on, repeatable; PROTOCOL plaintext (default), ssl, "
                      "sasl_plaintext or sasl_ssl; port 0 picks a free port")
      ->capture_default_str();
  command->add_option("--advertise", args->advertise,
                      "HOST:PORT clients are told to connect to, one per --listen in its order (default: the "
                      "listen address)");
  command->add_option("--tls-cert", args->tls_cert, "PEM certificate (and chain) of ssl and sasl_ssl listeners");
  command->add_option("--tls-key", args->tls_key, "PEM private key of --tls-cert");
  command->add_option("--tls-client-ca", args->tls_client_ca,
                      "PEM CA: TLS clients must present a certificate it signed; its subject is the principal");
  command->add_option("--sasl-mechanisms", args->sasl_mechanisms,
                      "Comma-separated: SCRAM-SHA-256, SCRAM-SHA-512, PLAIN (default: the two SCRAM ones); users "
                      "from `strata user`");
  command->add_flag("--allow-plain-over-plaintext", args->allow_plain_over_plaintext,
                    "Allow PLAIN on sasl_plaintext listeners (passwords cross the network unencrypted)");
  command->add_flag("--authorize", args->authorize, "Check every request against the ACLs of `strata acl`");
  command->add_option("--super-user", args->super_users, "NAME (or User:NAME) never checked against ACLs, repeatable");
  command->add_option("--partitions", args->partitions, "Partitions of auto-created topics")
      ->check(CLI::Range(1u, kPartitionsMax))
      ->capture_default_str();
  command->add_option("--metrics", args->metrics,
                      "HOST:PORT to serve GET /metrics on (Prometheus text format); port 0 picks a free port");
  command->add_flag("--no-auto-create", args->no_auto_create, "Refuse topics that do not exist");
  add_durability_option(*command, &args->durability, "When a produced batch counts as acknowledged");
  command->add_option("--max-request-bytes", args->max_request_bytes, "Largest request accepted (units work)")
      ->transform(size_value())
      ->capture_default_str();
  command->add_option("--threads", args->threads, "Network threads, each an event loop (default: one per core)")
      ->check(CLI::Range(1u, 1024u));
  command->add_option("--max-connections", args->max_connections, "Connections served at once")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 20))
      ->capture_default_str();
  command->add_option("--writers", args->writers,
                      "Writer threads, each with its own io_uring; partitions are spread over them")
      ->check(CLI::Range(1u, kWriterThreadsMax))
      ->capture_default_str();
  command->add_option("--retention-ms", args->retention_ms,
                      "Delete sealed segments older than this, for topics without retention.ms (-1: keep)")
      ->check(CLI::Range(std::int64_t{-1}, std::int64_t{INT64_MAX / 1000}))
      ->capture_default_str();
  command->add_option("--retention-bytes", args->retention_bytes,
                      "Keep at most this much per partition, for topics without retention.bytes (0: no limit; "
                      "units work)")
      ->transform(size_value())
      ->capture_default_str();
  command->add_option("--segment-bytes", args->segment_bytes,
                      "Roll segments at this size, for topics without segment.bytes (1MiB to 4GiB; units work)")
      ->transform(size_value())
      ->capture_default_str();
  command->add_option("--group-initial-rebalance-delay-ms", args->group_initial_rebalance_delay_ms,
                      "How long the first rebalance of an empty group waits for more members (Kafka's "
                      "group.initial.rebalance.delay.ms)")
      ->check(CLI::Range(0, 300'000))
      ->capture_default_str();
  command->add_flag("--buffered-io", args->buffered_io,
                    "If the directory's filesystem refuses O_DIRECT, write through the page cache");
  command->callback([args] { exit_code = run_serve(*args); });
}

}  // namespace strata::tools
