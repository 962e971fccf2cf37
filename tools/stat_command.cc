// strata stat --dir D [--topic T] [--json]: topics, segments, offsets, sizes, consumer groups and their lag,
// read without taking the log's lock (a live writer may be ahead of what this shows).
#include <cstdio>

#include "engine/inspect.h"
#include "tools/commands.h"
#include "tools/json.h"

namespace strata::tools {

namespace {

struct StatArgs {
  std::string dir;
  std::string topic;
  bool json = false;
};

std::uint64_t lag(const detail::TopicDescription& topic, const detail::GroupDescription& group) {
  return topic.next_offset > group.committed_offset ? topic.next_offset - group.committed_offset : 0;
}

int run_stat(const StatArgs& args) {
  auto topics = detail::describe_log(args.dir, args.topic);
  if (!topics) return fail(topics.status().to_string());
  if (args.json) {
    std::printf("{\"dir\":%s,\"topics\":[", json_string(args.dir).c_str());
    for (std::size_t t = 0; t < topics->size(); ++t) {
      const auto& topic = (*topics)[t];
      std::printf(
          "%s{\"name\":\"%s\",\"first_offset\":%llu,\"next_offset\":%llu,\"bytes\":%llu,\"segments\":[",
          t == 0 ? "" : ",", topic.name.c_str(), static_cast<unsigned long long>(topic.first_offset),
          static_cast<unsigned long long>(topic.next_offset),
          static_cast<unsigned long long>(topic.data_bytes));
      for (std::size_t s = 0; s < topic.segments.size(); ++s) {
        const auto& segment = topic.segments[s];
        std::printf("%s{\"base_offset\":%llu,\"next_offset\":%llu,\"data_bytes\":%llu,\"sealed\":%s}",
                    s == 0 ? "" : ",", static_cast<unsigned long long>(segment.base_offset),
                    static_cast<unsigned long long>(segment.next_offset),
                    static_cast<unsigned long long>(segment.data_end), segment.sealed ? "true" : "false");
      }
      std::printf("],\"groups\":[");
      for (std::size_t g = 0; g < topic.groups.size(); ++g) {
        const auto& group = topic.groups[g];
        std::printf("%s{\"name\":\"%s\",\"committed_offset\":%llu,\"lag\":%llu}", g == 0 ? "" : ",",
                    group.name.c_str(), static_cast<unsigned long long>(group.committed_offset),
                    static_cast<unsigned long long>(lag(topic, group)));
      }
      std::printf("]}");
    }
    std::printf("]}\n");
    return 0;
  }
  for (const auto& topic : *topics) {
    std::printf("topic %s: offsets %llu..%llu (%llu events), %zu segments, %.1f MB of data\n",
                topic.name.c_str(), static_cast<unsigned long long>(topic.first_offset),
                static_cast<unsigned long long>(topic.next_offset),
                static_cast<unsigned long long>(topic.next_offset - topic.first_offset),
                topic.segments.size(), static_cast<double>(topic.data_bytes) / 1e6);
    for (const auto& segment : topic.segments) {
      std::printf("  %020llu.seg  offsets %llu..%llu  %.1f MB  %s\n",
                  static_cast<unsigned long long>(segment.base_offset),
                  static_cast<unsigned long long>(segment.base_offset),
                  static_cast<unsigned long long>(segment.next_offset),
                  static_cast<double>(segment.data_end) / 1e6, segment.sealed ? "sealed" : "active");
    }
    for (const auto& group : topic.groups) {
      std::printf("  group %s: at offset %llu, lag %llu events\n", group.name.c_str(),
                  static_cast<unsigned long long>(group.committed_offset),
                  static_cast<unsigned long long>(lag(topic, group)));
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
