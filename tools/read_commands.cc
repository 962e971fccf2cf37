// strata cat, strata tail and strata verify: the read side of the command line.
#include <unistd.h>

#include <csignal>
#include <cstdio>

#include "engine/verify.h"
#include "strata/reader.h"
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
  std::printf("{\"offset\":%llu,\"timestamp_us\":%lld,\"key\":",
              static_cast<unsigned long long>(event.offset), static_cast<long long>(event.timestamp_us));
  std::fputs(json_string(event.key).c_str(), stdout);
  std::fputs(",\"value\":", stdout);
  std::fputs(json_string(event.value).c_str(), stdout);
  std::fputs("}\n", stdout);
}

struct CatArgs {
  std::string dir, topic, format = "lines";
  std::uint64_t from = 0;
  bool from_given = false;
  std::optional<std::uint64_t> count;
};

int run_cat(const CatArgs& args) {
  auto reader = Reader::open(args.dir, args.topic);
  if (!reader) return fail(reader.status().to_string());
  if (args.from_given) {
    if (Status status = reader.value()->seek(args.from); !status.is_ok()) return fail(status.to_string());
  }
  const bool json = args.format == "json";
  std::uint64_t left = args.count.value_or(UINT64_MAX);
  while (left > 0) {
    auto polled = reader.value()->poll(std::min<std::uint64_t>(left, 4096),
                                       [&](const Event& e) { print_event(e, json); });
    if (!polled) return fail(polled.status().to_string());
    if (*polled == 0) break;
    left -= *polled;
  }
  return 0;
}

struct TailArgs {
  std::string dir, topic, group, format = "lines";
  std::uint64_t from = 0;
  bool from_given = false;
  bool from_end = false;
};

int run_tail(const TailArgs& args) {
  auto opened = Reader::open(args.dir, args.topic);
  if (!opened) return fail(opened.status().to_string());
  Reader& reader = *opened.value();
  Status status;
  if (args.from_given) {
    status = reader.seek(args.from);
  } else if (!args.group.empty()) {
    auto committed = read_group_offset(args.dir, args.topic, args.group);
    if (committed) {
      status = reader.seek(*committed);
    } else if (committed.status().code() != StatusCode::kNotFound) {
      status = committed.status();
    }
  } else if (args.from_end) {
    status = reader.seek_to_end();
  }
  if (!status.is_ok()) return fail(status.to_string());
  std::signal(SIGINT, [](int) { interrupted = 1; });
  std::signal(SIGTERM, [](int) { interrupted = 1; });
  const bool json = args.format == "json";
  while (!interrupted) {
    auto polled = reader.poll(4096, [&](const Event& e) { print_event(e, json); });
    if (!polled) return fail(polled.status().to_string());
    if (*polled > 0) {
      std::fflush(stdout);
      if (!args.group.empty()) {
        if (Status commit = commit_group_offset(args.dir, args.topic, args.group, reader.position());
            !commit.is_ok()) {
          return fail(commit.to_string());
        }
      }
      continue;
    }
    reader.wait(std::chrono::milliseconds(200));
  }
  return 0;
}

struct VerifyArgs {
  std::string dir, topic;
};

int run_verify(const VerifyArgs& args) {
  const bool terminal = ::isatty(STDERR_FILENO) != 0;
  std::uint64_t done = 0;
  auto report = detail::verify_log(args.dir, args.topic, [&](const std::string& path) {
    if (terminal)
      std::fprintf(stderr, "\rverified %llu segments (%s)\033[K", static_cast<unsigned long long>(++done),
                   path.c_str());
  });
  if (terminal && done > 0) std::fputs("\r\033[K", stderr);
  if (!report) return fail(report.status().to_string());
  for (const auto& problem : report->problems) {
    std::printf("%s: position %llu: %s\n", problem.file.c_str(),
                static_cast<unsigned long long>(problem.position), problem.reason.c_str());
  }
  std::fprintf(stderr, "%llu segments, %llu events, %.1f MB checked: %zu problems\n",
               static_cast<unsigned long long>(report->segments),
               static_cast<unsigned long long>(report->events), static_cast<double>(report->bytes) / 1e6,
               report->problems.size());
  return report->problems.empty() ? 0 : 1;
}

}  // namespace

void add_read_commands(CLI::App& app) {
  auto cat = std::make_shared<CatArgs>();
  CLI::App* cat_command =
      app.add_subcommand("cat", "Print a topic's events (the values, one per line, or JSON)");
  cat_command->add_option("--dir", cat->dir, "Log directory")->required()->check(CLI::ExistingDirectory);
  cat_command->add_option("--topic", cat->topic, "Topic name")->required();
  cat_command->add_option("--from", cat->from, "First offset")->each([cat](const std::string&) {
    cat->from_given = true;
  });
  cat_command->add_option("--count", cat->count, "At most this many events");
  cat_command->add_option("--format", cat->format, "lines (the values) or json")
      ->check(CLI::IsMember({"lines", "json"}))
      ->capture_default_str();
  cat_command->callback([cat] { exit_code = run_cat(*cat); });

  auto tail = std::make_shared<TailArgs>();
  CLI::App* tail_command =
      app.add_subcommand("tail", "Print a topic's events and follow new ones until interrupted");
  tail_command->add_option("--dir", tail->dir, "Log directory")->required()->check(CLI::ExistingDirectory);
  tail_command->add_option("--topic", tail->topic, "Topic name")->required();
  auto* from =
      tail_command->add_option("--from", tail->from, "First offset")->each([tail](const std::string&) {
        tail->from_given = true;
      });
  tail_command->add_flag("--from-end", tail->from_end, "Start after the last event")->excludes(from);
  tail_command->add_option(
      "--group", tail->group,
      "Consumer group: start at its checkpoint and commit the position as events are printed");
  tail_command->add_option("--format", tail->format, "lines (the values) or json")
      ->check(CLI::IsMember({"lines", "json"}))
      ->capture_default_str();
  tail_command->callback([tail] { exit_code = run_tail(*tail); });

  auto verify = std::make_shared<VerifyArgs>();
  CLI::App* verify_command =
      app.add_subcommand("verify", "Check every record of every segment; exit 0 when all check out");
  verify_command->add_option("--dir", verify->dir, "Log directory")
      ->required()
      ->check(CLI::ExistingDirectory);
  verify_command->add_option("--topic", verify->topic, "Only this topic");
  verify_command->callback([verify] { exit_code = run_verify(*verify); });
}

}  // namespace strata::tools
