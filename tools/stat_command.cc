// strata stat --dir D [--topic T] [--json]: topics (with the codecs their stored batches use), partitions,
// segments, offsets, sizes, the dirty ratio of compacted topics, consumer groups and their lag per partition,
// read without taking the log's lock (a live writer may be ahead of what this shows).
#include <cstdio>

#include "strata/inspect.h"
#include "tools/commands.h"
#include "tools/json.h"

namespace strata::tools {

namespace {

struct StatArgs {
  std::string dir;
  std::string topic;
  bool json = false;
};

// What the topic's stored batches use ("lz4", "zstd,none" when mixed), or the engine's codec for its own
// batches while it has none.
std::string compression_summary(const TopicDescription& topic) {
  if (topic.stored_compressions.empty()) return std::string(compression_name(topic.info.compression));
  std::string summary;
  for (const Compression codec : topic.stored_compressions) {
    if (!summary.empty()) summary += ",";
    summary += compression_name(codec);
  }
  return summary;
}

bool compacted(const TopicDescription& topic) {
  const auto policy = topic.info.configs.find("cleanup.policy");
  return policy != topic.info.configs.end() && policy->second.find("compact") != std::string::npos;
}

std::uint64_t lag(const TopicDescription& topic, const GroupPartitionOffset& committed) {
  if (committed.partition >= topic.partitions.size()) return 0;
  const std::uint64_t end = topic.partitions[committed.partition].next_offset;
  return end > committed.committed.offset ? end - committed.committed.offset : 0;
}

void print_json(const StatArgs& args, const std::vector<TopicDescription>& topics) {
  std::printf("{\"dir\":%s,\"topics\":[", json_string(args.dir).c_str());
  for (std::size_t t = 0; t < topics.size(); ++t) {
    const auto& topic = topics[t];
    std::uint64_t events = 0;
    std::uint64_t bytes = 0;
    for (const auto& partition : topic.partitions) {
      events += partition.next_offset - partition.first_offset;
      bytes += partition.data_bytes;
    }
    std::printf("%s{\"name\":\"%s\",\"log_id\":\"%s\",\"compression\":\"%s\",\"events\":%llu,\"bytes\":%llu,"
                "\"partitions\":[",
                t == 0 ? "" : ",", topic.info.name.c_str(), topic.info.log_id.c_str(),
                compression_summary(topic).c_str(), static_cast<unsigned long long>(events),
                static_cast<unsigned long long>(bytes));
    for (std::size_t p = 0; p < topic.partitions.size(); ++p) {
      const auto& partition = topic.partitions[p];
      std::printf("%s{\"partition\":%u,\"first_offset\":%llu,\"next_offset\":%llu,\"bytes\":%llu,"
                  "\"dirty_ratio\":%.4f,\"segments\":[",
                  p == 0 ? "" : ",", partition.partition, static_cast<unsigned long long>(partition.first_offset),
                  static_cast<unsigned long long>(partition.next_offset),
                  static_cast<unsigned long long>(partition.data_bytes), partition.dirty_ratio());
      for (std::size_t s = 0; s < partition.segments.size(); ++s) {
        const auto& segment = partition.segments[s];
        std::printf("%s{\"base_offset\":%llu,\"next_offset\":%llu,\"data_bytes\":%llu,\"sealed\":%s}",
                    s == 0 ? "" : ",", static_cast<unsigned long long>(segment.base_offset),
                    static_cast<unsigned long long>(segment.next_offset),
                    static_cast<unsigned long long>(segment.data_bytes), segment.sealed ? "true" : "false");
      }
      std::printf("]}");
    }
    std::printf("],\"groups\":[");
    for (std::size_t g = 0; g < topic.groups.size(); ++g) {
      const auto& group = topic.groups[g];
      std::printf("%s{\"name\":\"%s\",\"partitions\":[", g == 0 ? "" : ",", group.name.c_str());
      for (std::size_t i = 0; i < group.offsets.size(); ++i) {
        const auto& committed = group.offsets[i];
        std::printf("%s{\"partition\":%u,\"committed_offset\":%llu,\"lag\":%llu}", i == 0 ? "" : ",",
                    committed.partition, static_cast<unsigned long long>(committed.committed.offset),
                    static_cast<unsigned long long>(lag(topic, committed)));
      }
      std::printf("]}");
    }
    std::printf("]}");
  }
  std::printf("]}\n");
}

int run_stat(const StatArgs& args) {
  auto topics = describe_log(args.dir, args.topic);
  if (!topics) return fail(topics.status().to_string());
  if (args.json) {
    print_json(args, *topics);
    return 0;
  }
  for (const auto& topic : *topics) {
    std::printf("topic %s: %u partition%s, compression %s, log id %s\n", topic.info.name.c_str(),
                topic.info.partitions, topic.info.partitions == 1 ? "" : "s",
                compression_summary(topic).c_str(), topic.info.log_id.c_str());
    for (const auto& partition : topic.partitions) {
      std::printf("  partition %u: offsets %llu..%llu (%llu events), %zu segments, %.1f MB of data\n",
                  partition.partition, static_cast<unsigned long long>(partition.first_offset),
                  static_cast<unsigned long long>(partition.next_offset),
                  static_cast<unsigned long long>(partition.next_offset - partition.first_offset),
                  partition.segments.size(), static_cast<double>(partition.data_bytes) / 1e6);
      if (compacted(topic)) {
        std::printf("    dirty ratio %.2f (%.1f MB of sealed data not compacted yet, %.1f MB compacted)\n",
                    partition.dirty_ratio(), static_cast<double>(partition.dirty_bytes) / 1e6,
                    static_cast<double>(partition.clean_bytes) / 1e6);
      }
      for (const auto& segment : partition.segments) {
        std::printf("    %020llu.log  offsets %llu..%llu  %.1f MB  %s\n",
                    static_cast<unsigned long long>(segment.base_offset),
                    static_cast<unsigned long long>(segment.base_offset),
                    static_cast<unsigned long long>(segment.next_offset), static_cast<double>(segment.data_bytes) / 1e6,
                    segment.sealed ? "sealed" : "active");
      }
    }
    for (const auto& group : topic.groups) {
      for (const auto& committed : group.offsets) {
        std::printf("  group %s partition %u: at offset %llu, lag %llu events\n", group.name.c_str(),
                    committed.partition, static_cast<unsigned long long>(committed.committed.offset),
                    static_cast<unsigned long long>(lag(topic, committed)));
      }
    }
  }
  return 0;
}

}  // namespace

void add_stat_command(CLI::App& app) {
  auto args = std::make_shared<StatArgs>();
  CLI::App* command = app.add_subcommand("stat", "Show topics, segments, offsets and sizes");
  command->add_option("--dir", args->dir, "Log directory")->required()->check(CLI::ExistingDirectory);
  command->add_option("--topic", args->topic, "Only this topic");
  command->add_flag("--json", args->json, "One JSON object on stdout");
  command->callback([args] { exit_code = run_stat(*args); });
}

}  // namespace strata::tools
