// strata verify: every batch and record of a log checked; with --repair-from, the damaged batches of
// sealed segments rebuilt from a mirror's copy of the same offsets (mirror/repair_from_cluster.h).
#include <unistd.h>

#include <cstdio>

#include "mirror/repair_from_cluster.h"
#include "strata/inspect.h"
#include "tools/commands.h"

namespace strata::tools {

namespace {

struct VerifyArgs {
  std::string dir, topic, repair_from;
};

int run_verify(const VerifyArgs& args) {
  const bool terminal = ::isatty(STDERR_FILENO) != 0;
  std::uint64_t done = 0;
  auto report = verify_log(args.dir, args.topic, [&](const std::string& path) {
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

void print_repair(const mirror::RepairResult& result) {
  const DamagedBatch& batch = result.batch;
  std::printf("%s: position %llu: offsets %llu-%llu: ", batch.segment_path.c_str(),
              static_cast<unsigned long long>(batch.position), static_cast<unsigned long long>(batch.first_offset),
              static_cast<unsigned long long>(batch.end_offset - 1));
  if (!result.repaired) {
    std::printf("NOT repaired (%s): %s\n", batch.reason.c_str(), result.problem.c_str());
  } else if (result.byte_identical) {
    std::printf("repaired byte for byte (%s)\n", batch.reason.c_str());
  } else {
    std::printf("repaired: the same events rebuilt into a new uncompressed batch (%s)\n", batch.reason.c_str());
  }
  std::fflush(stdout);
}

// Repairs, then verifies the whole log again: exit 0 only when both leave nothing wrong.
int run_repair(const VerifyArgs& args) {
  const mirror::RepairOptions options{args.dir, args.repair_from, args.topic, {}};
  auto results = mirror::repair_from_cluster(options, print_repair);
  if (!results) return fail(results.status().to_string());
  std::size_t repaired = 0;
  for (const auto& result : *results) repaired += result.repaired ? 1 : 0;
  std::fprintf(stderr, "%zu damaged batches in sealed segments, %zu repaired from %s\n", results->size(), repaired,
               args.repair_from.c_str());
  const int verified = run_verify(args);
  return repaired == results->size() ? verified : 1;
}

}  // namespace

void add_verify_command(CLI::App& app) {
  auto verify = std::make_shared<VerifyArgs>();
  CLI::App* verify_command =
      app.add_subcommand("verify", "Check every record of every segment; exit 0 when all check out");
  verify_command->add_option("--dir", verify->dir, "Log directory")
      ->required()
      ->check(CLI::ExistingDirectory);
  verify_command->add_option("--topic", verify->topic, "Only this topic");
  verify_command->add_option("--repair-from", verify->repair_from,
                             "Bootstrap servers of a mirror of this log (strata mirror --to): damaged batches of "
                             "sealed segments are rebuilt from its events at the same offsets; no process may "
                             "have the log open");
  verify_command->callback([verify] { exit_code = verify->repair_from.empty() ? run_verify(*verify) : run_repair(*verify); });
}

}  // namespace strata::tools
