// strata mirror --dir D --to BOOTSTRAP [--topic T]... [--follow] [--groups] [--transactional] [--force]
//               [--producer-config KEY=VALUE]... [--json]
// strata mirror --from BOOTSTRAP --dir D [--topic T]... [--follow] [--force] [--consumer-config KEY=VALUE]...
//               [--json]
// Copies topics partition to partition between the log in D and a Kafka-protocol cluster, exactly once
// across kill -9 (mirror/mirror.h). Progress on stderr about once a second; SIGINT or SIGTERM end a
// --follow run cleanly (what was produced is acknowledged first).
#include <atomic>
#include <csignal>
#include <cstdio>

#include "mirror/mirror.h"
#include "tools/commands.h"
#include "tools/json.h"

namespace strata::tools {

namespace {

struct MirrorArgs {
  std::string dir, to, from;
  std::vector<std::string> topics, producer_config, consumer_config;
  bool follow = false;
  bool groups = false;
  bool force = false;
  bool transactional = false;
  bool json = false;
};

std::atomic<bool> stop_requested{false};

void request_stop(int) {
  stop_requested.store(true, std::memory_order_relaxed);
}

Result<mirror::ClientConfig> parse_settings(const std::vector<std::string>& settings, const char* option) {
  mirror::ClientConfig config;
  for (const std::string& setting : settings) {
    const auto equals = setting.find('=');
    if (equals == std::string::npos || equals == 0) {
      return invalid_argument(std::string(option) + " " + setting + ": expected KEY=VALUE");
    }
    config.emplace_back(setting.substr(0, equals), setting.substr(equals + 1));
  }
  return config;
}

// At most a line a second while the copy runs, and the summary at the end; a line that says what the one
// before it said is left out (an idle --follow printed the same line every second).
void print_progress(const mirror::MirrorSummary& summary) {
  static std::string last_line;
  std::string line = "mirror: " + std::to_string(summary.events) + " events copied; lag";
  for (const auto& partition : summary.partitions) {
    line += " " + partition.topic + "/" + std::to_string(partition.partition) + "=" + std::to_string(partition.lag);
  }
  if (line == last_line) return;
  std::fprintf(stderr, "%s\n", line.c_str());
  last_line = std::move(line);
}

void print_json(const MirrorArgs& args, const mirror::MirrorSummary& summary) {
  const double rate = summary.seconds > 0 ? static_cast<double>(summary.events) / summary.seconds : 0;
  std::string text = "{\"direction\":" + json_string(args.to.empty() ? "from" : "to") +
                     ",\"bootstrap\":" + json_string(args.to.empty() ? args.from : args.to) +
                     ",\"dir\":" + json_string(args.dir) + ",\"events\":" + std::to_string(summary.events) +
                     ",\"seconds\":" + json_number(summary.seconds) + ",\"events_per_s\":" + json_number(rate) +
                     ",\"group_offsets_committed\":" + std::to_string(summary.group_offsets_committed) +
                     ",\"transactions_committed\":" + std::to_string(summary.transactions_committed) +
                     ",\"partitions\":[";
  for (std::size_t i = 0; i < summary.partitions.size(); ++i) {
    const auto& p = summary.partitions[i];
    text += std::string(i == 0 ? "" : ",") + "{\"topic\":" + json_string(p.topic) +
            ",\"partition\":" + std::to_string(p.partition) + ",\"resumed_at\":" + std::to_string(p.resumed_at) +
            ",\"next_offset\":" + std::to_string(p.next_offset) + ",\"copied\":" + std::to_string(p.copied) +
            ",\"lag\":" + std::to_string(p.lag) + ",\"offsets_equal\":" + (p.offsets_equal ? "true" : "false") + "}";
  }
  std::printf("%s]}\n", text.c_str());
}

int run_mirror(const MirrorArgs& args) {
  if (args.to.empty() == args.from.empty()) return fail("mirror: give exactly one of --to BOOTSTRAP and --from BOOTSTRAP");
  const bool to_cluster = !args.to.empty();
  if (!to_cluster && (args.groups || args.transactional || !args.producer_config.empty())) {
    return fail("mirror --from: --groups, --transactional and --producer-config apply to --to only");
  }
  if (to_cluster && !args.consumer_config.empty()) return fail("mirror --to: --consumer-config applies to --from only");
  auto config = to_cluster ? parse_settings(args.producer_config, "--producer-config")
                           : parse_settings(args.consumer_config, "--consumer-config");
  if (!config) return fail(config.status().message());
  std::signal(SIGINT, request_stop);
  std::signal(SIGTERM, request_stop);
  const mirror::MirrorOptions options{.dir = args.dir, .bootstrap = to_cluster ? args.to : args.from,
                                      .topics = args.topics, .follow = args.follow, .groups = args.groups,
                                      .force = args.force, .transactional = args.transactional,
                                      .client_config = std::move(config.value()),
                                      .stop = &stop_requested};
  auto summary = to_cluster ? mirror::mirror_to_cluster(options, print_progress)
                            : mirror::mirror_from_cluster(options, print_progress);
  if (!summary) return fail("mirror: " + summary.status().message());
  print_progress(summary.value());
  for (const std::string& warning : summary->warnings) std::fprintf(stderr, "strata: warning: %s\n", warning.c_str());
  for (const auto& p : summary->partitions) {
    if (!p.offsets_equal) {
      std::fprintf(stderr, "strata: warning: %s/%u: destination offsets differ from source offsets\n", p.topic.c_str(),
                   p.partition);
    }
  }
  if (args.json) print_json(args, summary.value());
  return 0;
}

}  // namespace

void add_mirror_command(CLI::App& app) {
  auto args = std::make_shared<MirrorArgs>();
  CLI::App* command = app.add_subcommand(
      "mirror", "Copy topics to (--to) or from (--from) a Kafka-protocol cluster, partition to partition, exactly once");
  command->add_option("--dir", args->dir, "Log directory")->required();
  command->add_option("--to", args->to, "Bootstrap servers of the cluster to copy the log's topics to");
  command->add_option("--from", args->from, "Bootstrap servers of the cluster to copy topics from into the log");
  command->add_option("--topic", args->topics, "A topic to copy (repeatable; default: all)");
  command->add_flag("--follow", args->follow, "Keep copying new events (until SIGINT/SIGTERM)");
  command->add_flag("--groups", args->groups, "--to: also commit the log's consumer-group offsets on the cluster");
  command->add_flag("--force", args->force,
                    "Resume a non-empty destination partition without strata.source-offset at its end offset");
  command->add_flag("--transactional", args->transactional,
                    "--to: write through a transactional producer (the cluster must support transactions)");
  command->add_option("--producer-config", args->producer_config, "librdkafka producer setting KEY=VALUE (--to)");
  command->add_option("--consumer-config", args->consumer_config, "librdkafka consumer setting KEY=VALUE (--from)");
  command->add_flag("--json", args->json, "Print a JSON summary on stdout");
  command->callback([args] { exit_code = run_mirror(*args); });
}

}  // namespace strata::tools
