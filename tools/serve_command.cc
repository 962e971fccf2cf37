// strata serve --dir D [--listen HOST:PORT] [--advertise HOST:PORT] [--partitions N] [--no-auto-create]
//              [--durability MODE] [--max-request-bytes N] [--max-connections N]
// The Kafka protocol on the log in D. Prints "listening on HOST:PORT" on stderr once it accepts
// connections; SIGINT and SIGTERM close it cleanly (requests being handled finish, the log is closed).
#include <csignal>
#include <cstdio>
#include <thread>

#include "kafka/server.h"
#include "tools/commands.h"

namespace strata::tools {

namespace {

struct ServeArgs {
  std::string dir;
  std::string listen = "127.0.0.1:9092";
  std::string advertise;
  std::uint32_t partitions = 1;
  bool no_auto_create = false;
  std::string durability = "sync";
  std::uint64_t max_request_bytes = 100u << 20;
  std::size_t max_connections = 256;
};

volatile std::sig_atomic_t stop_requested = 0;

// "host:port" (the host may be empty or [v6]).
bool split_address(const std::string& address, std::string* host, std::uint16_t* port) {
  const auto colon = address.rfind(':');
  if (colon == std::string::npos) return false;
  *host = address.substr(0, colon);
  if (host->size() >= 2 && host->front() == '[' && host->back() == ']') *host = host->substr(1, host->size() - 2);
  if (host->empty()) *host = "0.0.0.0";
  try {
    const unsigned long value = std::stoul(address.substr(colon + 1));
    if (value > 65535) return false;
    *port = static_cast<std::uint16_t>(value);
  } catch (...) {
    return false;
  }
  return true;
}

int run_serve(const ServeArgs& args) {
  kafka::ServerOptions options;
  if (!split_address(args.listen, &options.listen_host, &options.listen_port)) {
    return fail("--listen " + args.listen + ": expected HOST:PORT");
  }
  if (!args.advertise.empty() &&
      !split_address(args.advertise, &options.advertise_host, &options.advertise_port)) {
    return fail("--advertise " + args.advertise + ": expected HOST:PORT");
  }
  options.default_partitions = args.partitions;
  options.auto_create_topics = !args.no_auto_create;
  options.max_request_bytes = args.max_request_bytes;
  options.connections_max = args.max_connections;
  LogOptions log_options;
  log_options.directory = args.dir;
  log_options.durability = durability_names().at(args.durability);
  auto log = Log::open(log_options);
  if (!log) return fail(log.status().to_string());
  auto server = kafka::Server::start(*log.value(), options);
  if (!server) return fail(server.status().to_string());
  std::signal(SIGINT, [](int) { stop_requested = 1; });
  std::signal(SIGTERM, [](int) { stop_requested = 1; });
  std::fprintf(stderr, "listening on %s:%u (advertised as %s); no authentication\n", options.listen_host.c_str(),
               server.value()->port(), server.value()->advertised().c_str());
  while (!stop_requested) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  std::fprintf(stderr, "strata serve: stopping\n");
  server.value()->stop();
  if (Status status = log.value()->close(); !status.is_ok()) return fail(status.to_string());
  return 0;
}

}  // namespace

void add_serve_command(CLI::App& app) {
  auto args = std::make_shared<ServeArgs>();
  CLI::App* command = app.add_subcommand("serve", "Serve the log over the Kafka protocol (no authentication)");
  command->add_option("--dir", args->dir, "Log directory (created if missing)")->required();
  command->add_option("--listen", args->listen, "HOST:PORT to listen on; port 0 picks a free one")
      ->capture_default_str();
  command->add_option("--advertise", args->advertise, "HOST:PORT clients are told to connect to (default: the listen address)");
  command->add_option("--partitions", args->partitions, "Partitions of topics created on first use")
      ->check(CLI::Range(1u, kPartitionsMax))
      ->capture_default_str();
  command->add_flag("--no-auto-create", args->no_auto_create, "Refuse unknown topics instead of creating them");
  command->add_option("--durability", args->durability, "When a produced batch counts as acknowledged")
      ->check(CLI::IsMember({"none", "batch", "sync"}))
      ->capture_default_str();
  command->add_option("--max-request-bytes", args->max_request_bytes, "Largest request accepted")
      ->transform(CLI::AsSizeValue(false))
      ->capture_default_str();
  command->add_option("--max-connections", args->max_connections, "Connections served at once")
      ->check(CLI::Range(1, 65536))
      ->capture_default_str();
  command->callback([args] { exit_code = run_serve(*args); });
}

}  // namespace strata::tools
