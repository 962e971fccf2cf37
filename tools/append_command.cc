// strata append --dir D --topic T [--partitions N] [--partition P] [--durability none|batch|sync]
//               [--key-sep CHAR] [--acks] [--compression none|lz4|zstd] [--segment-bytes N]
//               [--retention-bytes N] [--retention-age SECONDS] [--buffered-io] [--expect]
// One event per stdin line. With --expect (and --key-sep S), lines are KEY S EXPECTED S VALUE: a conditional
// append (EXPECTED an offset, -1 for "the key has no event yet", empty for any); a refused line is reported on
// stderr with the key's last offset, nothing is stored for it, the others go on, and the exit status is 1. A
// topic --expect creates has strata.key-index=true. With --acks, prints each event's offset (or "PARTITION OFFSET" for a topic of
// several partitions) on its own line, in input order, once it is acknowledged under the chosen durability,
// flushed at once: a thread of its own prints them, so an interactive pipe gets each ack without sending
// more input. A kill mid-write may leave a partial last line on stdout.
#include <charconv>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>

#include "tools/cli_checks.h"
#include "tools/commands.h"

namespace strata::tools {

namespace {

struct AppendArgs {
  std::string dir;
  std::string topic;
  std::uint32_t partitions = 0;
  std::int64_t partition = -1;
  Durability durability = Durability::kSync;
  std::string compression = "none";
  std::string key_separator;
  bool acks = false;
  bool expect = false;
  bool buffered_io = false;
  std::uint64_t segment_bytes = LogOptions{}.segment_bytes;
  std::uint64_t retention_bytes = 0;
  std::uint64_t retention_age_s = 0;
};

// Prints acknowledgements in input order on its own thread. The queue is bounded (the reader of stdin
// waits when it is full), so memory stays bounded whatever the input rate.
// With --expect it also reports the refused conditional appends (and prints offsets only with --acks).
class AckPrinter {
 public:
  struct Pending {
    Ticket ticket;
    std::uint64_t line = 0;
    std::string key;  // conditional appends only, for the report of a refusal
  };
  AckPrinter(Producer& producer, bool with_partition, bool print_offsets, std::size_t capacity)
      : producer_(producer),
        with_partition_(with_partition),
        print_offsets_(print_offsets),
        capacity_(capacity),
        thread_([this] { run(); }) {}
  ~AckPrinter() { finish(); }

  void push(Pending pending) {
    std::unique_lock lock(mutex_);
    space_.wait(lock, [&] { return queue_.size() < capacity_ || failed_; });
    queue_.push_back(std::move(pending));
    ready_.notify_one();
  }
  // Waits until every ticket pushed is printed; the exit code (non-zero when one failed).
  int finish() {
    {
      std::lock_guard lock(mutex_);
      done_ = true;
      ready_.notify_one();
    }
    if (thread_.joinable()) thread_.join();
    return exit_code_;
  }
  bool failed() {
    std::lock_guard lock(mutex_);
    return failed_;
  }

 private:
  void run() {
    while (true) {
      Pending pending;
      {
        std::unique_lock lock(mutex_);
        ready_.wait(lock, [&] { return !queue_.empty() || done_; });
        if (queue_.empty()) return;
        pending = std::move(queue_.front());
        queue_.pop_front();
        space_.notify_one();
      }
      const Ticket ticket = pending.ticket;
      // Whatever is printed goes out before this thread waits: a program waiting for its ack gets it.
      if (!producer_.is_acknowledged(ticket)) std::fflush(stdout);
      auto offset = producer_.wait(ticket);
      if (!offset && offset.status().code() == StatusCode::kConflict) {
        std::fflush(stdout);
        (void)fail("line " + std::to_string(pending.line) + ": key " + pending.key + ": " + offset.status().message());
        exit_code_ = 1;
        continue;
      }
      if (!offset) {
        exit_code_ = fail("event " + std::to_string(ticket.sequence + 1) +
                          " was not acknowledged: " + offset.status().to_string());
        std::lock_guard lock(mutex_);
        failed_ = true;
        queue_.clear();
        space_.notify_all();
        return;
      }
      if (!print_offsets_) continue;
      if (with_partition_) {
        std::printf("%u %llu\n", ticket.partition, static_cast<unsigned long long>(*offset));
      } else {
        std::printf("%llu\n", static_cast<unsigned long long>(*offset));
      }
      std::lock_guard lock(mutex_);
      if (queue_.empty()) std::fflush(stdout);
    }
  }

  Producer& producer_;
  const bool with_partition_;
  const bool print_offsets_;
  const std::size_t capacity_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::condition_variable space_;
  std::deque<Pending> queue_;
  bool done_ = false;
  bool failed_ = false;
  int exit_code_ = 0;
  std::thread thread_;
};

// Splits an --expect line KEY S EXPECTED S VALUE. False when it has no two separators or EXPECTED is not
// empty, -1 or an offset.
bool parse_expect_line(std::string_view line, char separator, std::string_view* key, Expected* expected,
                       std::string_view* value) {
  const auto first = line.find(separator);
  const auto second = first == std::string_view::npos ? first : line.find(separator, first + 1);
  if (second == std::string_view::npos) return false;
  *key = line.substr(0, first);
  *value = line.substr(second + 1);
  const std::string_view text = line.substr(first + 1, second - first - 1);
  if (text.empty()) {
    *expected = Expected::any();
    return true;
  }
  if (text == "-1") {
    *expected = Expected::no_event();
    return true;
  }
  std::uint64_t offset = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), offset);
  if (error != std::errc() || end != text.data() + text.size()) return false;
  *expected = Expected::offset(offset);
  return true;
}

int run_append(const AppendArgs& args) {
  LogOptions options;
  options.directory = args.dir;
  options.durability = args.durability;
  options.allow_buffered_io = args.buffered_io;
  options.segment_bytes = args.segment_bytes;
  options.retention_bytes = args.retention_bytes;
  options.retention_age = std::chrono::seconds(args.retention_age_s);
  TopicOptions topic_options;
  topic_options.partitions = args.partitions;
  (void)parse_compression(args.compression, &topic_options.compression);
  if (args.expect) {
    if (args.key_separator.empty()) return fail("--expect needs --key-sep (lines are KEY<sep>EXPECTED<sep>VALUE)");
    topic_options.configs["strata.key-index"] = "true";  // for a topic this creates
  }
  auto log = Log::open(options);
  if (!log) return fail(log.status().to_string());
  auto topic = log.value()->topic(args.topic, topic_options);
  if (!topic) return fail(topic.status().to_string());
  const TopicInfo info = log.value()->topic_info(*topic);
  if (args.partition >= static_cast<std::int64_t>(info.partitions)) {
    return fail("--partition " + std::to_string(args.partition) + ": topic " + info.name + " has " +
                std::to_string(info.partitions) + " partitions");
  }
  const std::uint32_t partition = args.partition < 0 ? kAnyPartition : static_cast<std::uint32_t>(args.partition);
  auto producer = log.value()->producer();
  std::unique_ptr<AckPrinter> printer;
  if (args.acks || args.expect) {
    printer = std::make_unique<AckPrinter>(*producer, info.partitions > 1, args.acks,
                                           options.appends_in_flight_max / 2);
  }
  std::string line;
  std::uint64_t line_number = 0;
  std::ios::sync_with_stdio(false);
  while (std::getline(std::cin, line)) {
    ++line_number;
    std::string_view key;
    std::string_view value = line;
    Expected expected = Expected::any();
    if (args.expect) {
      if (!parse_expect_line(line, args.key_separator[0], &key, &expected, &value)) {
        return fail("line " + std::to_string(line_number) + ": expected KEY" + args.key_separator + "EXPECTED" +
                    args.key_separator + "VALUE with EXPECTED an offset, -1 or empty");
      }
    } else if (!args.key_separator.empty()) {
      const auto at = line.find(args.key_separator[0]);
      if (at != std::string::npos) {
        key = std::string_view(line).substr(0, at);
        value = std::string_view(line).substr(at + 1);
      }
    }
    auto ticket = producer->append(*topic, partition, std::as_bytes(std::span(key.data(), key.size())),
                                   std::as_bytes(std::span(value.data(), value.size())), {}, {.expected = expected});
    if (!ticket) return fail("line " + std::to_string(line_number) + ": " + ticket.status().to_string());
    if (printer) {
      if (printer->failed()) break;
      printer->push({*ticket, line_number, expected.is_any() ? std::string() : std::string(key)});
    }
  }
  if (printer) {
    if (int code = printer->finish(); code != 0) return code;
  } else if (Status status = producer->wait_all(); !status.is_ok()) {
    return fail(status.to_string());
  }
  producer.reset();
  if (Status status = log.value()->close(); !status.is_ok()) return fail(status.to_string());
  return 0;
}

}  // namespace

void add_append_command(CLI::App& app) {
  auto args = std::make_shared<AppendArgs>();
  CLI::App* command = app.add_subcommand("append", "Append one event per stdin line (the line is the value)");
  command->add_option("--dir", args->dir, "Log directory (created if missing)")->required();
  command->add_option("--topic", args->topic, "Topic name (created if missing)")->required();
  add_durability_option(*command, &args->durability, "When an event counts as acknowledged");
  command->add_option("--key-sep", args->key_separator, "The part of a line before this character is the key")
      ->check(
          [](const std::string& value) { return value.size() == 1 ? "" : "--key-sep takes one character"; });
  command->add_option("--partitions", args->partitions,
                      "Partitions of a new topic (default 1); an existing topic with another count is an error")
      ->check(CLI::Range(1u, kPartitionsMax));
  command->add_option("--partition", args->partition,
                      "Append to this partition (default: the key's partition by Kafka's partitioner, else "
                      "round-robin)")
      ->check(partition_index());
  command->add_option("--compression", args->compression, "Compression of a new topic's batches")
      ->check(CLI::IsMember({"none", "gzip", "snappy", "lz4", "zstd"}))
      ->capture_default_str();
  command->add_flag("--acks", args->acks,
                    "Print each event's offset (\"PARTITION OFFSET\" with several partitions) once acknowledged, "
                    "in order");
  command
      ->add_option("--segment-bytes", args->segment_bytes,
                   "Roll segments at this size (at least 1MiB; units such as 64MiB work)")
      ->transform(size_value())
      ->capture_default_str();
  command
      ->add_option("--retention-bytes", args->retention_bytes,
                   "Keep at most this much of the topic: oldest sealed segments are deleted (0: keep all)")
      ->transform(size_value());
  command->add_option("--retention-age", args->retention_age_s,
                      "Delete sealed segments whose newest event is older than this many seconds (0: never)")
      ->check(whole_number());
  command->add_flag("--expect", args->expect,
                    "Conditional appends: lines are KEY<sep>EXPECTED<sep>VALUE (EXPECTED an offset, -1: the key has "
                    "no event yet, empty: any); refused lines are reported on stderr and the exit status is 1");
  command->add_flag("--buffered-io", args->buffered_io,
                    "If the directory's filesystem refuses O_DIRECT, write through the page cache");
  command->callback([args] { exit_code = run_append(*args); });
}

}  // namespace strata::tools
