// strata project --dir D --topic T --db FILE [--name NAME] [--schema SQL|@FILE] --apply SQL|@FILE [--follow]
//                [--on-error stop|skip] [--rebuild] [--batch N] [--json]
// strata project status --db FILE [--json]
//
// Builds a SQLite read model from a topic (projection/projector.h), reading the log's directory beside
// whatever process writes it. Exits 0 once caught up with the log's end (--follow keeps going until SIGINT or
// SIGTERM); a failing event is "partition P offset O: <SQLite's message>" and exit 1.
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "projection/projector.h"
#include "tools/commands.h"
#include "tools/json.h"

namespace strata::tools {

namespace {

struct ProjectArgs {
  std::string dir;
  std::string topic;
  std::string db;
  std::string name;
  std::string schema;
  std::string apply;
  bool follow = false;
  std::string on_error = "stop";
  bool rebuild = false;
  std::size_t batch = projection::ProjectorOptions{}.batch_events_max;
  bool json = false;
};

struct StatusArgs {
  std::string db;
  bool json = false;
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

int run_project(const ProjectArgs& args) {
  auto schema = sql_argument(args.schema, "--schema");
  if (!schema) return fail(schema.status().message());
  auto apply = sql_argument(args.apply, "--apply");
  if (!apply) return fail(apply.status().message());
  if (args.on_error != "stop" && args.on_error != "skip") return fail("--on-error takes stop or skip");

  projection::ProjectorOptions options;
  options.database = args.db;
  options.topic = args.topic;
  options.log_directory = args.dir;
  options.batch_events_max = args.batch;
  options.on_error = args.on_error == "skip" ? projection::OnError::kSkip : projection::OnError::kStop;
  options.rebuild = args.rebuild ? projection::RebuildMode::kAlways : projection::RebuildMode::kNever;
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
  Status added =
      (*projector)
          ->add(projection::SqlProjection{
              .name = args.name.empty() ? args.topic : args.name, .schema = *schema, .apply = *apply});
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
  if (summary.handed_over) {
    std::fprintf(stderr,
                 "strata: rebuilt %s; the projector already following it goes on from the rebuilt state\n",
                 args.db.c_str());
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (args.json) {
    std::printf(
        "{\"projection\":%s,\"topic\":%s,\"db\":%s,\"events_applied\":%llu,\"dead_letters\":%llu,"
        "\"transactions\":%llu,\"rebuilt\":%s,\"seconds\":%s,\"events_per_s\":%s,\"positions\":[",
        json_string(args.name.empty() ? args.topic : args.name).c_str(), json_string(args.topic).c_str(),
        json_string(args.db).c_str(), static_cast<unsigned long long>(summary.events_applied),
        static_cast<unsigned long long>(summary.dead_letters),
        static_cast<unsigned long long>(summary.transactions), summary.rebuilt ? "true" : "false",
        json_number(seconds).c_str(),
        json_number(seconds > 0 ? static_cast<double>(summary.events_applied) / seconds : 0).c_str());
    const std::vector<std::uint64_t> positions = (*projector)->positions();
    for (std::size_t p = 0; p < positions.size(); ++p) {
      std::printf("%s{\"partition\":%zu,\"next_offset\":%llu}", p == 0 ? "" : ",", p,
                  static_cast<unsigned long long>(positions[p]));
    }
    std::printf("]}\n");
  } else if (progress_bar) {
    std::fprintf(stderr, "%llu events applied in %.2f s%s\n",
                 static_cast<unsigned long long>(summary.events_applied), seconds,
                 summary.dead_letters > 0
                     ? (", " + std::to_string(summary.dead_letters) + " dead letters").c_str()
                     : "");
  }
  return 0;
}

int run_status(const StatusArgs& args) {
  auto projections = projection::read_status(args.db);
  if (!projections) return fail(projections.status().message());
  if (args.json) {
    std::printf("{\"db\":%s,\"projections\":[", json_string(args.db).c_str());
    for (std::size_t i = 0; i < projections->size(); ++i) {
      const projection::ProjectionStatus& s = (*projections)[i];
      std::printf(
          "%s{\"name\":%s,\"topic\":%s,\"dir\":%s,\"state\":%s,\"running\":%s,\"error\":%s,"
          "\"log_recreated\":%s,\"lag_events\":%llu,\"lag_seconds\":%s,\"dead_letters\":%llu,"
          "\"partitions\":[",
          i == 0 ? "" : ",", json_string(s.name).c_str(), json_string(s.topic).c_str(),
          json_string(s.log_directory).c_str(), json_string(s.state).c_str(), s.running ? "true" : "false",
          s.error.empty() ? "null" : json_string(s.error).c_str(), s.log_recreated ? "true" : "false",
          static_cast<unsigned long long>(s.lag_events), json_number(s.lag_seconds).c_str(),
          static_cast<unsigned long long>(s.dead_letters));
      for (std::size_t p = 0; p < s.partitions.size(); ++p) {
        const projection::PartitionStatus& partition = s.partitions[p];
        std::printf(
            "%s{\"partition\":%u,\"next_offset\":%llu,\"end_offset\":%llu,\"lag_events\":%llu,"
            "\"lag_seconds\":%s}",
            p == 0 ? "" : ",", partition.partition, static_cast<unsigned long long>(partition.next_offset),
            static_cast<unsigned long long>(partition.end_offset),
            static_cast<unsigned long long>(partition.lag_events),
            json_number(partition.lag_seconds).c_str());
      }
      std::printf("]}");
    }
    std::printf("]}\n");
    return 0;
  }
  for (const projection::ProjectionStatus& s : *projections) {
    std::printf("%s: topic %s in %s, %s, lag %llu events (%.3f s), %llu dead letters\n", s.name.c_str(),
                s.topic.c_str(), s.log_directory.c_str(), s.state.c_str(),
                static_cast<unsigned long long>(s.lag_events), s.lag_seconds,
                static_cast<unsigned long long>(s.dead_letters));
    if (s.log_recreated)
      std::printf("  the topic was recreated since: rebuild it (strata project --rebuild)\n");
    if (!s.error.empty()) std::printf("  error: %s\n", s.error.c_str());
    for (const projection::PartitionStatus& partition : s.partitions) {
      std::printf("  partition %u: at offset %llu of %llu, lag %llu events (%.3f s)\n", partition.partition,
                  static_cast<unsigned long long>(partition.next_offset),
                  static_cast<unsigned long long>(partition.end_offset),
                  static_cast<unsigned long long>(partition.lag_events), partition.lag_seconds);
    }
  }
  return 0;
}

}  // namespace

void add_project_command(CLI::App& app) {
  auto args = std::make_shared<ProjectArgs>();
  auto status_args = std::make_shared<StatusArgs>();
  CLI::App* command = app.add_subcommand("project", "Build a SQLite read model from a topic, exactly once");
  // Required by hand (not by CLI11) so that `project status` does not need them.
  command->add_option("--dir", args->dir, "Log directory (required)")->check(CLI::ExistingDirectory);
  command->add_option("--topic", args->topic, "Topic to project (required)");
  command->add_option("--db", args->db, "SQLite database file (required)");
  command->add_option("--name", args->name, "Projection name (default: the topic's)");
  command->add_option("--schema", args->schema, "SQL run once when the projection is new, or @FILE");
  command->add_option(
      "--apply", args->apply,
      "SQL run per event with :partition :offset :timestamp_us :key :value, or @FILE (required)");
  command->add_flag("--follow", args->follow, "Keep applying new events after catching up");
  command->add_option("--on-error", args->on_error,
                      "stop (default) or skip (to the strata_dead_letter table)");
  command->add_flag("--rebuild", args->rebuild,
                    "Build afresh from offset 0 beside the database, then replace it");
  command->add_option("--batch", args->batch, "Events per transaction")->check(CLI::PositiveNumber);
  command->add_flag("--json", args->json, "A JSON summary on stdout");

  CLI::App* status = command->add_subcommand("status", "Each projection's position, lag and state");
  status->add_option("--db", status_args->db, "SQLite database file")->required();
  status->add_flag("--json", status_args->json, "One JSON object on stdout");
  status->callback([status_args] { exit_code = run_status(*status_args); });

  command->callback([status, args] {
    if (status->parsed()) return;
    std::string missing;
    for (const auto& [value, option] : {std::pair{&args->dir, "--dir"}, std::pair{&args->topic, "--topic"},
                                        std::pair{&args->db, "--db"}, std::pair{&args->apply, "--apply"}}) {
      if (value->empty()) missing += std::string(missing.empty() ? "" : ", ") + option;
    }
    if (!missing.empty()) {
      exit_code = fail(missing + " required (see strata project --help)", 2);
      return;
    }
    exit_code = run_project(*args);
  });
}

}  // namespace strata::tools
