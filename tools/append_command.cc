// strata append --dir D --topic T [--durability none|batch|sync] [--key-sep CHAR] [--acks]
//               [--segment-bytes N] [--retention-bytes N] [--retention-age SECONDS] [--buffered-io]
// One event per stdin line. With --acks, prints each event's offset on its own line, in order, once it is
// acknowledged under the chosen durability.
#include <cstdio>
#include <deque>
#include <iostream>
#include <string>

#include "tools/commands.h"

namespace strata::tools {

namespace {

struct AppendArgs {
  std::string dir;
  std::string topic;
  std::string durability = "sync";
  std::string key_separator;
  bool acks = false;
  bool buffered_io = false;
  std::uint64_t segment_bytes = LogOptions{}.segment_bytes;
  std::uint64_t retention_bytes = 0;
  std::uint64_t retention_age_s = 0;
};

int print_acknowledged(Producer& producer, std::deque<Ticket>& tickets, bool block) {
  while (!tickets.empty() && (block || producer.is_acknowledged(tickets.front()))) {
    auto offset = producer.wait(tickets.front());
    if (!offset)
      return fail("event " + std::to_string(tickets.front().sequence + 1) +
                  " was not acknowledged: " + offset.status().to_string());
    std::printf("%llu\n", static_cast<unsigned long long>(*offset));
    tickets.pop_front();
  }
  return 0;
}

int run_append(const AppendArgs& args) {
  LogOptions options;
  options.directory = args.dir;
  options.durability = durability_names().at(args.durability);
  options.allow_buffered_io = args.buffered_io;
  options.segment_bytes = args.segment_bytes;
  options.retention_bytes = args.retention_bytes;
  options.retention_age = std::chrono::seconds(args.retention_age_s);
  auto log = Log::open(options);
  if (!log) return fail(log.status().to_string());
  auto topic = log.value()->topic(args.topic);
  if (!topic) return fail(topic.status().to_string());
  auto producer = log.value()->producer();
  std::deque<Ticket> tickets;
  std::string line;
  std::uint64_t line_number = 0;
  std::ios::sync_with_stdio(false);
  while (std::getline(std::cin, line)) {
    ++line_number;
    std::string_view key;
    std::string_view value = line;
    if (!args.key_separator.empty()) {
      const auto at = line.find(args.key_separator[0]);
      if (at != std::string::npos) {
        key = std::string_view(line).substr(0, at);
        value = std::string_view(line).substr(at + 1);
      }
    }
    auto ticket = producer->append(*topic, key, value);
    if (!ticket) return fail("line " + std::to_string(line_number) + ": " + ticket.status().to_string());
    if (!args.acks) continue;
    tickets.push_back(*ticket);
    // Keep the window bounded: wait for the oldest once half of it is in flight.
    const bool window_full = tickets.size() >= options.appends_in_flight_max / 2;
    if (int code = print_acknowledged(*producer, tickets, window_full); code != 0) return code;
    if (window_full) std::fflush(stdout);
  }
  if (args.acks) {
    if (int code = print_acknowledged(*producer, tickets, /*block=*/true); code != 0) return code;
  } else if (Status status = producer->wait_all(); !status.is_ok()) {
    return fail(status.to_string());
  }
  if (Status status = log.value()->close(); !status.is_ok()) return fail(status.to_string());
  return 0;
}

}  // namespace

void add_append_command(CLI::App& app) {
  auto args = std::make_shared<AppendArgs>();
  CLI::App* command = app.add_subcommand("append", "Append one event per stdin line (the line is the value)");
  command->add_option("--dir", args->dir, "Log directory (created if missing)")->required();
  command->add_option("--topic", args->topic, "Topic name (created if missing)")->required();
  command->add_option("--durability", args->durability, "When an event counts as acknowledged")
      ->check(CLI::IsMember({"none", "batch", "sync"}))
      ->capture_default_str();
  command->add_option("--key-sep", args->key_separator, "The part of a line before this character is the key")
      ->check(
          [](const std::string& value) { return value.size() == 1 ? "" : "--key-sep takes one character"; });
  command->add_flag("--acks", args->acks, "Print each event's offset once it is acknowledged, in order");
  command
      ->add_option("--segment-bytes", args->segment_bytes,
                   "Roll segments at this size (at least 1MiB; units such as 64MiB work)")
      ->transform(CLI::AsSizeValue(false))
      ->capture_default_str();
  command
      ->add_option("--retention-bytes", args->retention_bytes,
                   "Keep at most this much of the topic: oldest sealed segments are deleted (0: keep all)")
      ->transform(CLI::AsSizeValue(false));
  command->add_option("--retention-age", args->retention_age_s,
                      "Delete sealed segments whose newest event is older than this many seconds (0: never)");
  command->add_flag("--buffered-io", args->buffered_io,
                    "If the directory's filesystem refuses O_DIRECT, write through the page cache");
  command->callback([args] { exit_code = run_append(*args); });
}

}  // namespace strata::tools
