// strata cat and strata tail: the read side of the command line. --key K keeps that key's events: through the
// key index when the topic has one (strata.key-index=true), else by reading every event and comparing keys.
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>

#include "strata/consumer_group.h"
#include "strata/inspect.h"
#include "strata/key_reader.h"
#include "strata/reader.h"
#include "strata/topics.h"
#include "tools/cli_checks.h"
#include "tools/commands.h"
#include "tools/json.h"

namespace strata::tools {

namespace {

volatile std::sig_atomic_t interrupted = 0;

void print_event(const Event& event, bool json) {
  if (!json) {
    std::fwrite(event.value.data(), 1, event.value.size(), stdout);
    std::fputc('\n', stdout);
    return;
  }
  std::printf("{\"partition\":%u,\"offset\":%llu,\"timestamp_us\":%lld,\"key\":", event.partition,
              static_cast<unsigned long long>(event.offset), static_cast<long long>(event.timestamp_us));
  std::fputs(json_string(event.key).c_str(), stdout);
  std::fputs(",\"value\":", stdout);
  std::fputs(json_string(event.value).c_str(), stdout);
  std::fputs(",\"headers\":[", stdout);
  for (std::size_t i = 0; i < event.headers.size(); ++i) {
    const EventHeader& header = event.headers[i];
    std::printf("%s{\"key\":%s,\"value\":%s}", i == 0 ? "" : ",",
                json_string(std::as_bytes(std::span(header.key.data(), header.key.size()))).c_str(),
                json_string(header.value).c_str());
  }
  std::fputs("]}\n", stdout);
}

// Readers of the partitions asked for: one (--partition P) or all, partition 0 first.
Result<std::vector<std::unique_ptr<Reader>>> open_readers(const std::string& dir, const std::string& topic,
                                                          std::int64_t partition) {
  auto info = read_topic_info(dir, topic);
  if (!info) return info.status();
  if (partition >= static_cast<std::int64_t>(info->partitions)) {
    return invalid_argument("--partition " + std::to_string(partition) + ": topic " + topic + " has " +
                            std::to_string(info->partitions) + " partitions");
  }
  std::vector<std::unique_ptr<Reader>> readers;
  for (std::uint32_t p = 0; p < info->partitions; ++p) {
    if (partition >= 0 && p != partition) continue;
    auto reader = Reader::open(dir, topic, p);
    if (!reader) return reader.status();
    readers.push_back(std::move(reader.value()));
  }
  return readers;
}

std::span<const std::byte> bytes_of(const std::string& text) {
  return std::as_bytes(std::span(text.data(), text.size()));
}

bool has_key_index(const std::string& dir, const std::string& topic) {
  auto info = read_topic_info(dir, topic);
  if (!info) return false;
  const auto it = info->configs.find("strata.key-index");
  return it != info->configs.end() && it->second == "true";
}

// Prints up to `left` events of `key` from `from` to `end` (exclusive) of one partition; counts them down.
Status print_key_events(const std::string& dir, const std::string& topic, Reader& reader, std::uint32_t partition,
                        const std::string& key, std::uint64_t from, std::uint64_t end, bool json,
                        std::uint64_t* left) {
  if (has_key_index(dir, topic)) {
    auto keys = KeyReader::open(dir, topic, partition);
    if (!keys) return keys.status();
    auto read = keys.value()->read(bytes_of(key), from, *left, [&](const Event& e) {
      if (e.offset >= end) return;
      print_event(e, json);
      --*left;
    });
    return read.status();
  }
  STRATA_RETURN_IF_ERROR(reader.seek(std::max(from, reader.start_offset())));
  while (*left > 0 && reader.position() < end) {
    auto polled = reader.poll(4096, [&](const Event& e) {
      if (*left == 0 || e.offset >= end || !std::ranges::equal(e.key, bytes_of(key))) return;
      print_event(e, json);
      --*left;
    });
    if (!polled) return polled.status();
    if (*polled == 0) break;
  }
  return Status::ok();
}

struct CatArgs {
  std::string dir, topic, format = "lines";
  std::optional<std::string> key;
  std::int64_t partition = -1;
  std::uint64_t from = 0;
  bool from_given = false;
  std::optional<std::uint64_t> count;
};

int run_cat(const CatArgs& args) {
  auto readers = open_readers(args.dir, args.topic, args.partition);
  if (!readers) return fail(readers.status().to_string());
  const bool json = args.format == "json";
  std::uint64_t left = args.count.value_or(UINT64_MAX);  // in all, over the partitions
  if (args.key) {
    for (std::size_t i = 0; i < readers->size() && left > 0; ++i) {
      const auto partition = args.partition >= 0 ? static_cast<std::uint32_t>(args.partition) : static_cast<std::uint32_t>(i);
      if (Status status = print_key_events(args.dir, args.topic, *(*readers)[i], partition, *args.key, args.from,
                                           UINT64_MAX, json, &left);
          !status.is_ok()) {
        return fail(status.to_string());
      }
    }
    return 0;
  }
  for (auto& reader : *readers) {
    if (args.from_given) {
      if (Status status = reader->seek(args.from); !status.is_ok()) return fail(status.to_string());
    }
    while (left > 0) {
      auto polled = reader->poll(std::min<std::uint64_t>(left, 4096), [&](const Event& e) { print_event(e, json); });
      if (!polled) return fail(polled.status().to_string());
      if (*polled == 0) break;
      left -= *polled;
    }
  }
  return 0;
}

struct TailArgs {
  std::string dir, topic, group, format = "lines";
  std::optional<std::string> key;
  std::int64_t partition = -1;
  std::uint64_t from = 0;
  bool from_given = false;
  bool from_end = false;
};

Status position_reader(const TailArgs& args, Reader& reader, std::uint32_t partition) {
  if (args.from_given) return reader.seek(args.from);
  if (!args.group.empty()) {
    auto committed = read_group_offset(args.dir, args.group, args.topic, partition);
    if (committed) return reader.seek(committed->offset);
    if (committed.status().code() != StatusCode::kNotFound) return committed.status();
    return Status::ok();
  }
  if (args.from_end) return reader.seek_to_end();
  return Status::ok();
}

int run_tail(const TailArgs& args) {
  auto readers = open_readers(args.dir, args.topic, args.partition);
  if (!readers) return fail(readers.status().to_string());
  std::vector<std::uint32_t> partitions;
  for (std::uint32_t p = 0; partitions.size() < readers->size(); ++p) {
    if (args.partition < 0 || p == args.partition) partitions.push_back(p);
  }
  for (std::size_t i = 0; i < readers->size(); ++i) {
    if (Status status = position_reader(args, *(*readers)[i], partitions[i]); !status.is_ok()) {
      return fail(status.to_string());
    }
  }
  std::signal(SIGINT, [](int) { interrupted = 1; });
  std::signal(SIGTERM, [](int) { interrupted = 1; });
  const bool json = args.format == "json";
  if (args.key) {
    // What is there now through the key index (or a scan), then the new events, compared key by key.
    for (std::size_t i = 0; i < readers->size(); ++i) {
      Reader& reader = *(*readers)[i];
      const std::uint64_t from = reader.position();
      const std::uint64_t end = reader.end_offset();
      std::uint64_t left = UINT64_MAX;
      Status status = print_key_events(args.dir, args.topic, reader, partitions[i], *args.key, from, end, json, &left);
      if (status.is_ok()) status = reader.seek(std::max(from, end));
      if (!status.is_ok()) return fail(status.to_string());
    }
    std::fflush(stdout);
  }
  while (!interrupted) {
    bool any = false;
    for (std::size_t i = 0; i < readers->size(); ++i) {
      Reader& reader = *(*readers)[i];
      auto polled = reader.poll(4096, [&](const Event& e) {
        if (!args.key || std::ranges::equal(e.key, bytes_of(*args.key))) print_event(e, json);
      });
      if (!polled) return fail(polled.status().to_string());
      if (*polled == 0) continue;
      any = true;
      std::fflush(stdout);
      if (!args.group.empty()) {
        if (Status commit = commit_group_offset(args.dir, args.group, args.topic, partitions[i], {reader.position(), ""});
            !commit.is_ok()) {
          return fail(commit.to_string());
        }
      }
    }
    if (any) continue;
    // One partition: sleep on it; several: look again shortly (another process writes them).
    (void)(*readers)[0]->wait(std::chrono::milliseconds(readers->size() == 1 ? 200 : 20));
  }
  return 0;
}

}  // namespace

void add_read_commands(CLI::App& app) {
  auto cat = std::make_shared<CatArgs>();
  CLI::App* cat_command =
      app.add_subcommand("cat", "Print a topic's events (the values, one per line, or JSON)");
  cat_command->add_option("--dir", cat->dir, "Log directory")->required()->check(CLI::ExistingDirectory);
  cat_command->add_option("--topic", cat->topic, "Topic name")->required();
  cat_command->add_option("--partition", cat->partition, "Only this partition (default: all, partition 0 first)")
      ->check(partition_index());
  cat_command->add_option("--from", cat->from, "First offset")
      ->check(whole_number())
      ->each([cat](const std::string&) { cat->from_given = true; });
  cat_command->add_option("--count", cat->count, "At most this many events in all")->check(whole_number());
  cat_command->add_option("--key", cat->key,
                          "Only this key's events, in offset order (through the key index when the topic has one)");
  cat_command->add_option("--format", cat->format, "lines (the values) or json")
      ->check(CLI::IsMember({"lines", "json"}))
      ->capture_default_str();
  cat_command->callback([cat] { exit_code = run_cat(*cat); });

  auto tail = std::make_shared<TailArgs>();
  CLI::App* tail_command =
      app.add_subcommand("tail", "Print a topic's events and follow new ones until interrupted");
  tail_command->add_option("--dir", tail->dir, "Log directory")->required()->check(CLI::ExistingDirectory);
  tail_command->add_option("--topic", tail->topic, "Topic name")->required();
  tail_command->add_option("--partition", tail->partition, "Only this partition (default: all)")
      ->check(partition_index());
  auto* from =
      tail_command->add_option("--from", tail->from, "First offset")
          ->check(whole_number())
          ->each([tail](const std::string&) { tail->from_given = true; });
  tail_command->add_flag("--from-end", tail->from_end, "Start after the last event")->excludes(from);
  tail_command->add_option("--key", tail->key,
                           "Only this key's events (through the key index when the topic has one)");
  tail_command->add_option(
      "--group", tail->group,
      "Consumer group: start at its checkpoint and commit the position as events are printed");
  tail_command->add_option("--format", tail->format, "lines (the values) or json")
      ->check(CLI::IsMember({"lines", "json"}))
      ->capture_default_str();
  tail_command->callback([tail] { exit_code = run_tail(*tail); });
}

}  // namespace strata::tools
