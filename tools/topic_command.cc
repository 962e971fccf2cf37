// strata topic create|alter|describe|delete|compact --dir D [--topic T] [--partitions N]
//              [--config KEY=VALUE]... [--json]
// Topics and their Kafka configs (strata/topic_config.h), offline and scriptable. create, alter and delete
// open the log (so not while a server has D open); describe reads the metadata without the lock. alter sets
// each KEY=VALUE given and returns each KEY= (empty value) to its default. compact runs a compaction pass
// over every partition of a compacted topic now and prints what it did.
#include <algorithm>
#include <cstdio>

#include "strata/topics.h"
#include "tools/commands.h"
#include "tools/json.h"

namespace strata::tools {

namespace {

struct TopicArgs {
  std::string action;
  std::string dir;
  std::string topic;
  std::uint32_t partitions = 0;
  std::vector<std::string> configs;
  bool json = false;
};

std::string json_configs(const TopicConfigs& configs) {
  std::string out = "{";
  for (const auto& [key, value] : configs) {
    out += (out.size() > 1 ? "," : "") + json_string(key) + ":" + json_string(value);
  }
  return out + "}";
}

std::string json_topic(const TopicInfo& info) {
  return "{\"name\":" + json_string(info.name) + ",\"partitions\":" + std::to_string(info.partitions) +
         ",\"compression\":" + json_string(compression_name(info.compression)) + ",\"log_id\":" +
         json_string(info.log_id) + ",\"created_time_us\":" + std::to_string(info.created_time_us) +
         ",\"configs\":" + json_configs(info.configs) + "}";
}

// One line per topic: name, partition count, then the configs set on it (the others are the defaults).
void print_topics(const std::vector<TopicInfo>& topics, bool json) {
  if (json) {
    std::string out = "{\"topics\":[";
    for (std::size_t i = 0; i < topics.size(); ++i) out += (i == 0 ? "" : ",") + json_topic(topics[i]);
    std::printf("%s]}\n", out.c_str());
    return;
  }
  for (const TopicInfo& info : topics) {
    std::string line = info.name + "\tpartitions=" + std::to_string(info.partitions);
    for (const auto& [key, value] : info.configs) line += "\t" + key + "=" + value;
    std::printf("%s\n", line.c_str());
  }
}

// The --config arguments as key -> value ("" for KEY=, a return to the default).
Result<TopicConfigs> parse_configs(const std::vector<std::string>& assignments) {
  TopicConfigs configs;
  for (const std::string& text : assignments) {
    std::string key;
    std::string value;
    STRATA_RETURN_IF_ERROR(parse_topic_config_assignment(text, &key, &value).with_context("--config"));
    configs.insert_or_assign(std::move(key), std::move(value));
  }
  return configs;
}

Result<std::unique_ptr<Log>> open_log(const std::string& dir) {
  LogOptions options;
  options.directory = dir;
  auto log = Log::open(options);
  if (!log && log.status().code() == StatusCode::kBusy) {
    return Status(log.status()).with_context("strata topic changes topics only while no server has the log open");
  }
  return log;
}

int create_topic(const TopicArgs& args, const TopicConfigs& configs) {
  if (read_topic_info(args.dir, args.topic)) return fail("topic " + args.topic + " already exists in " + args.dir);
  for (const auto& [key, value] : configs) {
    if (value.empty()) return fail("--config " + key + "=: a new topic needs a value");
  }
  auto log = open_log(args.dir);
  if (!log) return fail(log.status().to_string());
  TopicOptions options;
  options.partitions = args.partitions == 0 ? 1 : args.partitions;
  options.configs = configs;
  auto id = log.value()->topic(args.topic, options);
  if (!id) return fail(id.status().to_string());
  if (args.json) print_topics({log.value()->topic_info(*id)}, true);
  Status closed = log.value()->close();
  return closed.is_ok() ? 0 : fail(closed.to_string());
}

int alter_topic(const TopicArgs& args, const TopicConfigs& changes) {
  if (args.partitions == 0 && changes.empty()) return fail("topic alter: give --config KEY=VALUE or --partitions N");
  auto existing = read_topic_info(args.dir, args.topic);
  if (!existing) return fail(existing.status().to_string());
  auto log = open_log(args.dir);
  if (!log) return fail(log.status().to_string());
  auto id = log.value()->find_topic(args.topic);
  if (!id) return fail(id.status().to_string());
  TopicConfigs configs = log.value()->topic_info(*id).configs;
  for (const auto& [key, value] : changes) {
    if (value.empty()) {
      const auto definitions = topic_config_definitions();
      if (std::none_of(definitions.begin(), definitions.end(), [&](const auto& d) { return d.name == key; })) {
        return fail("--config " + key + "=: unknown topic config " + key);
      }
      configs.erase(key);
    } else {
      configs.insert_or_assign(key, value);
    }
  }
  if (!changes.empty()) {
    if (Status set = log.value()->set_topic_configs(args.topic, configs); !set.is_ok()) return fail(set.to_string());
  }
  if (args.partitions != 0) {
    if (Status grown = log.value()->increase_partitions(args.topic, args.partitions); !grown.is_ok()) {
      return fail("--partitions: " + grown.to_string());
    }
  }
  if (args.json) print_topics({log.value()->topic_info(*id)}, true);
  Status closed = log.value()->close();
  return closed.is_ok() ? 0 : fail(closed.to_string());
}

int compact_topic(const TopicArgs& args) {
  if (!args.configs.empty() || args.partitions != 0) return fail("topic compact takes no --config or --partitions");
  auto existing = read_topic_info(args.dir, args.topic);
  if (!existing) return fail(existing.status().to_string());
  auto log = open_log(args.dir);
  if (!log) return fail(log.status().to_string());
  auto stats = log.value()->compact(args.topic);
  if (!stats) return fail(stats.status().to_string());
  Status closed = log.value()->close();
  if (!closed.is_ok()) return fail(closed.to_string());
  const auto n = [](std::uint64_t value) { return static_cast<unsigned long long>(value); };
  const double mb_per_s = stats->seconds > 0 ? static_cast<double>(stats->bytes_read) / 1e6 / stats->seconds : 0;
  if (args.json) {
    std::printf("{\"topic\":%s,\"partitions\":%u,\"segments_cleaned\":%llu,\"segments_rewritten\":%llu,"
                "\"bytes_read\":%llu,\"bytes_written\":%llu,\"bytes_reclaimed\":%llu,\"events_kept\":%llu,"
                "\"events_removed\":%llu,\"tombstones_removed\":%llu,\"seconds\":%.6f,\"mb_per_s\":%.1f}\n",
                json_string(args.topic).c_str(), stats->partitions, n(stats->segments_cleaned),
                n(stats->segments_rewritten), n(stats->bytes_read), n(stats->bytes_written), n(stats->bytes_reclaimed),
                n(stats->events_kept), n(stats->events_removed), n(stats->tombstones_removed), stats->seconds, mb_per_s);
    return 0;
  }
  std::printf("compacted %s: %u partitions, %llu of %llu sealed segments rewritten, %llu events removed "
              "(%llu tombstones), %llu kept, %.1f MB reclaimed of %.1f MB, %.3f s (%.1f MB/s)\n",
              args.topic.c_str(), stats->partitions, n(stats->segments_rewritten), n(stats->segments_cleaned),
              n(stats->events_removed), n(stats->tombstones_removed), n(stats->events_kept),
              static_cast<double>(stats->bytes_reclaimed) / 1e6, static_cast<double>(stats->bytes_read) / 1e6,
              stats->seconds, mb_per_s);
  return 0;
}

int run_topic(const TopicArgs& args) {
  if (args.action == "describe") {
    if (args.topic.empty()) {
      auto topics = list_topics(args.dir);
      if (!topics) return fail(topics.status().to_string());
      print_topics(*topics, args.json);
      return 0;
    }
    auto info = read_topic_info(args.dir, args.topic);
    if (!info) return fail(info.status().to_string());
    print_topics({*info}, args.json);
    return 0;
  }
  if (args.topic.empty()) return fail("topic " + args.action + ": --topic is required");
  auto configs = parse_configs(args.configs);
  if (!configs) return fail(configs.status().to_string());
  if (args.action == "create") return create_topic(args, *configs);
  if (args.action == "alter") return alter_topic(args, *configs);
  if (args.action == "compact") return compact_topic(args);
  if (!args.configs.empty() || args.partitions != 0) return fail("topic delete takes no --config or --partitions");
  auto log = open_log(args.dir);
  if (!log) return fail(log.status().to_string());
  if (Status deleted = log.value()->delete_topic(args.topic); !deleted.is_ok()) return fail(deleted.to_string());
  Status closed = log.value()->close();
  return closed.is_ok() ? 0 : fail(closed.to_string());
}

}  // namespace

void add_topic_command(CLI::App& app) {
  auto args = std::make_shared<TopicArgs>();
  CLI::App* command = app.add_subcommand("topic", "Create, alter, describe, delete or compact topics and their configs");
  command->add_option("action", args->action, "create, alter, describe, delete, compact (a compaction pass now)")
      ->required()
      ->check(CLI::IsMember({"create", "alter", "describe", "delete", "compact"}));
  command->add_option("--dir", args->dir, "Log directory")->required();
  command->add_option("--topic", args->topic, "The topic (describe without it lists every topic)");
  command->add_option("--partitions", args->partitions, "Partitions of a new topic (default 1); with alter, the larger count a topic grows to")
      ->check(CLI::Range(1u, kPartitionsMax));
  command->add_option("--config", args->configs,
                      "KEY=VALUE, a Kafka topic config (retention.ms, segment.bytes, ...); repeatable. "
                      "alter: KEY= returns it to its default");
  command->add_flag("--json", args->json, "Print topics as JSON");
  command->callback([args] { exit_code = run_topic(*args); });
}

}  // namespace strata::tools
