// strata project --dir D --db FILE [--name NAME] [--schema SQL|@FILE] (--topic T --apply SQL|@FILE)...
//                [--follow] [--on-error stop|skip] [--rebuild | --rebuild-if-changed] [--batch N] [--json]
// strata project status --db FILE [--json]
// strata project drop --db FILE --name NAME
//
// Builds a SQLite read model from one or more topics (projection/projector.h), reading the log's directory
// beside whatever process writes it. Exits 0 once caught up with the log's end (--follow keeps going until
// SIGINT or SIGTERM); a failing event is "topic T partition P offset O: <SQLite's message>" and exit 1.
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <vector>

#include "projection/projector.h"
#include "tools/cli_checks.h"
#include "tools/commands.h"
#include "tools/json.h"

namespace strata::tools {

namespace {

struct ProjectArgs {
  std::string dir;
  std::vector<std::string> topics;
  std::string db;
  std::string name;
  std::string schema;
  std::vector<std::string> applies;  // the i-th for the i-th topic
  bool follow = false;
  std::string on_error = "stop";
  bool rebuild = false;
  bool rebuild_if_changed = false;
  std::size_t batch = projection::ProjectorOptions{}.batch_events_max;
  bool json = false;
};

struct StatusArgs {
  std::string db;
  bool json = false;
};

struct DropArgs {
  std::string db;
  std::string name;
};

// SIGINT / SIGTERM stop a following projector after its current transaction.
std::atomic<projection::Projector*> running_projector{nullptr};

extern "C" void stop_on_signal(int) {
  projection::Projector* projector = running_projector.load();
  if (projector != nullptr) projector->stop();  // an atomic store: safe in a signal handler
}

// "SQL" or "@FILE".
Result<std::string> sql_argument(const std::string& argument, const char* option) {
  if (argument.empty() || argument[0] != '@') return argument;
  std::ifstream file(argument.substr(1));
  if (!file) return invalid_argument(std::string(option) + ": cannot read " + argument.substr(1));
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

void print_progress(const projection::Progress& progress) {
  const double total = static_cast<double>(progress.applied_events + progress.remaining_events);
  const double done = total > 0 ? static_cast<double>(progress.applied_events) / total : 1.0;
  constexpr int kBarWidth = 30;
  const int filled = static_cast<int>(done * kBarWidth);
  std::fprintf(stderr, "\r[%.*s%*s] %5.1f%%  %llu events applied, %llu to go, %.0f events/s ", filled,
               "##############################", kBarWidth - filled, "", done * 100,
               static_cast<unsigned long long>(progress.applied_events),
               static_cast<unsigned long long>(progress.remaining_events), progress.events_per_s);
}

// The --topic/--apply pairs as the projection's definition.
Result<projection::SqlProjection> definition_of(const ProjectArgs& args) {
  if (args.topics.size() != args.applies.size()) {
    return invalid_argument("give one --apply per --topic (" + std::to_string(args.topics.size()) + " --topic, " +
                            std::to_string(args.applies.size()) + " --apply); the i-th --apply is for the i-th --topic");
  }
  if (args.name.empty() && args.topics.size() > 1) return invalid_argument("--name is required with several --topic");
  projection::SqlProjection definition;
  definition.name = args.name.empty() ? args.topics[0] : args.name;
  auto schema = sql_argument(args.schema, "--schema");
  if (!schema) return schema.status();
  definition.schema = std::move(schema.value());
  for (std::size_t i = 0; i < args.topics.size(); ++i) {
    auto apply = sql_argument(args.applies[i], "--apply");
    if (!apply) return apply.status();
    definition.topics.push_back({args.topics[i], std::move(apply.value())});
  }
  return definition;
}

void print_summary_json(const ProjectArgs& args, const std::string& name, projection::Projector& projector,
                        double seconds) {
  const projection::RunSummary summary = projector.summary();
  std::printf(
      "{\"projection\":%s,\"db\":%s,\"events_applied\":%llu,\"dead_letters\":%llu,\"transactions\":%llu,"
      "\"rebuilt\":%s,\"handed_over\":%s,\"seconds\":%s,\"events_per_s\":%s,\"positions\":[",
      json_string(name).c_str(), json_string(args.db).c_str(), static_cast<unsigned long long>(summary.events_applied),
      static_cast<unsigned long long>(summary.dead_letters), static_cast<unsigned long long>(summary.transactions),
      summary.rebuilt ? "true" : "false", summary.handed_over ? "true" : "false", json_number(seconds).c_str(),
      json_number(seconds > 0 ? static_cast<double>(summary.events_applied) / seconds : 0).c_str());
  bool first = true;
  for (const std::string& topic : args.topics) {
    const std::vector<std::uint64_t> positions = projector.positions(topic);
    for (std::size_t p = 0; p < positions.size(); ++p) {
      std::printf("%s{\"topic\":%s,\"partition\":%zu,\"next_offset\":%llu}", first ? "" : ",",
                  json_string(topic).c_str(), p, static_cast<unsigned long long>(positions[p]));
      first = false;
    }
  }
  std::printf("]}\n");
}

void report_handover(const ProjectArgs& args, const projection::RunSummary& summary) {
  if (!summary.handed_over) return;
  if (summary.follower_stops) {
    std::fprintf(stderr,
                 "strata: rebuilt %s with a new definition; the projector following it runs the previous one and "
                 "stops at its next heartbeat: restart it with this definition\n",
                 args.db.c_str());
  } else {
    std::fprintf(stderr, "strata: rebuilt %s; the projector already following it goes on from the rebuilt state\n",
                 args.db.c_str());
  }
}

int run_project(const ProjectArgs& args) {
  auto definition = definition_of(args);
  if (!definition) return fail(definition.status().message());
  if (args.on_error != "stop" && args.on_error != "skip") return fail("--on-error takes stop or skip");
  if (args.rebuild && args.rebuild_if_changed) return fail("--rebuild and --rebuild-if-changed exclude each other");

  projection::ProjectorOptions options;
  options.database = args.db;
  options.log_directory = args.dir;
  options.batch_events_max = args.batch;
  options.on_error = args.on_error == "skip" ? projection::OnError::kSkip : projection::OnError::kStop;
  options.rebuild = args.rebuild              ? projection::RebuildMode::kAlways
                    : args.rebuild_if_changed ? projection::RebuildMode::kIfNeeded
                                              : projection::RebuildMode::kNever;
  options.waiting = [](const std::string& what) { std::fprintf(stderr, "strata: %s\n", what.c_str()); };
  const bool progress_bar = ::isatty(STDERR_FILENO) != 0;
  bool progress_shown = false;
  if (progress_bar) {
    options.progress = [&](const projection::Progress& progress) {
      print_progress(progress);
      progress_shown = true;
    };
  }
  auto projector = projection::Projector::open(options);
  if (!projector) return fail(projector.status().message());
  const std::string name = definition->name;
  Status added = (*projector)->add(std::move(definition.value()));
  if (!added) return fail(added.message());

  const auto started = std::chrono::steady_clock::now();
  running_projector.store(projector->get());
  std::signal(SIGINT, stop_on_signal);
  std::signal(SIGTERM, stop_on_signal);
  Status status = args.follow ? (*projector)->follow() : (*projector)->catch_up();
  running_projector.store(nullptr);
  if (progress_shown) std::fputc('\n', stderr);
  if (!status) return fail(status.message());

  const projection::RunSummary summary = (*projector)->summary();
  report_handover(args, summary);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (args.json) {
    print_summary_json(args, name, **projector, seconds);
  } else if (progress_bar) {
    std::fprintf(stderr, "%llu events applied in %.2f s%s\n", static_cast<unsigned long long>(summary.events_applied),
                 seconds,
                 summary.dead_letters > 0 ? (", " + std::to_string(summary.dead_letters) + " dead letters").c_str() : "");
  }
  return 0;
}

std::string topics_text(const std::vector<std::string>& topics) {
  std::string text;
  for (const std::string& topic : topics) text += (text.empty() ? "" : ", ") + topic;
  return text;
}

void print_status_json(const std::string& db, const std::vector<projection::ProjectionStatus>& projections) {
  std::printf("{\"db\":%s,\"projections\":[", json_string(db).c_str());
  for (std::size_t i = 0; i < projections.size(); ++i) {
    const projection::ProjectionStatus& s = projections[i];
    std::string topics;
    for (const std::string& topic : s.topics) topics += (topics.empty() ? "" : ",") + json_string(topic);
    std::printf(
        "%s{\"name\":%s,\"topics\":[%s],\"dir\":%s,\"state\":%s,\"running\":%s,\"heartbeat_us\":%lld,\"error\":%s,"
        "\"log_recreated\":%s,\"lag_events\":%llu,\"lag_seconds\":%s,\"dead_letters\":%llu,\"partitions\":[",
        i == 0 ? "" : ",", json_string(s.name).c_str(), topics.c_str(), json_string(s.log_directory).c_str(),
        json_string(s.state).c_str(), s.running ? "true" : "false", static_cast<long long>(s.heartbeat_us),
        s.error.empty() ? "null" : json_string(s.error).c_str(), s.log_recreated ? "true" : "false",
        static_cast<unsigned long long>(s.lag_events), json_number(s.lag_seconds).c_str(),
        static_cast<unsigned long long>(s.dead_letters));
    for (std::size_t p = 0; p < s.partitions.size(); ++p) {
      const projection::PartitionStatus& partition = s.partitions[p];
      std::printf(
          "%s{\"topic\":%s,\"partition\":%u,\"next_offset\":%llu,\"end_offset\":%llu,\"lag_events\":%llu,"
          "\"lag_seconds\":%s}",
          p == 0 ? "" : ",", json_string(partition.topic).c_str(), partition.partition,
          static_cast<unsigned long long>(partition.next_offset), static_cast<unsigned long long>(partition.end_offset),
          static_cast<unsigned long long>(partition.lag_events), json_number(partition.lag_seconds).c_str());
    }
    std::printf("]}");
  }
  std::printf("]}\n");
}

int run_status(const StatusArgs& args) {
  auto projections = projection::read_status(args.db);
  if (!projections) return fail(projections.status().message());
  if (args.json) {
    print_status_json(args.db, *projections);
    return 0;
  }
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  for (const projection::ProjectionStatus& s : *projections) {
    std::printf("%s: topic %s in %s, %s, lag %llu events (%.3f s), %llu dead letters", s.name.c_str(),
                topics_text(s.topics).c_str(), s.log_directory.c_str(), s.state.c_str(),
                static_cast<unsigned long long>(s.lag_events), s.lag_seconds,
                static_cast<unsigned long long>(s.dead_letters));
    if (s.running) {
      const double age = static_cast<double>(std::chrono::duration_cast<std::chrono::microseconds>(now).count() -
                                             s.heartbeat_us) / 1e6;
      std::printf(", heartbeat %.1f s ago", std::max(0.0, age));
    }
    std::printf("\n");
    if (s.log_recreated) std::printf("  a topic was recreated since: rebuild it (strata project --rebuild)\n");
    if (!s.error.empty()) std::printf("  error: %s\n", s.error.c_str());
    for (const projection::PartitionStatus& partition : s.partitions) {
      std::printf("  topic %s partition %u: at offset %llu of %llu, lag %llu events (%.3f s)\n", partition.topic.c_str(),
                  partition.partition, static_cast<unsigned long long>(partition.next_offset),
                  static_cast<unsigned long long>(partition.end_offset),
                  static_cast<unsigned long long>(partition.lag_events), partition.lag_seconds);
    }
  }
  return 0;
}

int run_drop(const DropArgs& args) {
  Status status = projection::drop_projection(args.db, args.name);
  if (!status) return fail(status.message());
  std::fprintf(stderr, "strata: dropped projection %s from %s (its checkpoints and dead letters; its tables are left)\n",
               args.name.c_str(), args.db.c_str());
  return 0;
}

}  // namespace

void add_project_command(CLI::App& app) {
  auto args = std::make_shared<ProjectArgs>();
  auto status_args = std::make_shared<StatusArgs>();
  auto drop_args = std::make_shared<DropArgs>();
  CLI::App* command = app.add_subcommand("project", "Build a SQLite read model from topics, exactly once");
  // Required by hand (not by CLI11) so that `project status` and `project drop` do not need them.
  command->add_option("--dir", args->dir, "Log directory (required; --follow waits for it to exist)");
  command->add_option("--topic", args->topics, "Topic to project, with its --apply (repeatable; required)");
  command->add_option("--db", args->db, "SQLite database file (required)");
  command->add_option("--name", args->name, "Projection name (default: the topic's; required with several topics)");
  command->add_option("--schema", args->schema, "SQL run once when the projection is new, or @FILE");
  command->add_option("--apply", args->applies,
                      "SQL run per event of the --topic in the same position, with :topic :partition :offset "
                      ":timestamp_us :key :value :headers, or @FILE (one per --topic)");
  command->add_flag("--follow", args->follow, "Keep applying new events after catching up");
  command->add_option("--on-error", args->on_error, "stop (default) or skip (to the strata_dead_letter table)");
  command->add_flag("--rebuild", args->rebuild, "Build afresh from offset 0 beside the database, then replace it");
  command->add_flag("--rebuild-if-changed", args->rebuild_if_changed,
                    "Rebuild when the definition (topics, apply statements) or the log changed; else go on");
  command->add_option("--batch", args->batch, "Events per transaction")->check(whole_number(1));
  command->add_flag("--json", args->json, "A JSON summary on stdout");

  CLI::App* status = command->add_subcommand("status", "Each projection's state, positions, lag and heartbeat");
  status->add_option("--db", status_args->db, "SQLite database file")->required();
  status->add_flag("--json", status_args->json, "One JSON object on stdout");
  status->callback([status_args] { exit_code = run_status(*status_args); });

  CLI::App* drop = command->add_subcommand("drop", "Remove a projection's checkpoints and dead letters");
  drop->add_option("--db", drop_args->db, "SQLite database file")->required();
  drop->add_option("--name", drop_args->name, "Projection name")->required();
  drop->callback([drop_args] { exit_code = run_drop(*drop_args); });

  command->callback([status, drop, args] {
    if (status->parsed() || drop->parsed()) return;
    std::string missing;
    for (const auto& [empty, option] : {std::pair{args->dir.empty(), "--dir"}, std::pair{args->topics.empty(), "--topic"},
                                        std::pair{args->db.empty(), "--db"}, std::pair{args->applies.empty(), "--apply"}}) {
      if (empty) missing += std::string(missing.empty() ? "" : ", ") + option;
    }
    if (!missing.empty()) {
      exit_code = fail(missing + " required (see strata project --help)", 2);
      return;
    }
    exit_code = run_project(*args);
  });
}

}  // namespace strata::tools
