#include "bench/e2e/report.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <filesystem>
#include <fstream>

extern char** environ;

namespace strata::bench {

namespace {

// gnuplot's single-quoted string: a quote is doubled.
std::string quoted(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

Status write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
  out.close();
  if (!out) return Status(StatusCode::kIoError, "cannot write " + path);
  return Status::ok();
}

// The distribution as HdrHistogram plots it: percentiles packed towards the tail, x = 1 / (1 - q), so
// 90% sits at 10, 99% at 100, 99.9% at 1000; the last point is the maximum.
std::string percentile_table(const std::vector<double>& sorted_us) {
  std::string text = "# percentile latency_us\n";
  const double n = static_cast<double>(sorted_us.size());
  char line[64];
  for (int step = 0;; ++step) {
    const double q = 1 - std::pow(10.0, -step / 20.0);
    if (1 / (1 - q) > n) break;
    const auto index = std::min(sorted_us.size() - 1, static_cast<std::size_t>(q * n));
    std::snprintf(line, sizeof line, "%.6f %.3f\n", q * 100, sorted_us[index]);
    text += line;
  }
  std::snprintf(line, sizeof line, "%.6f %.3f\n", (1 - 1 / n) * 100, sorted_us.back());
  return text + line;
}

std::string rate_table(const std::vector<RatePoint>& rates) {
  std::string text = "# seconds events_per_s\n";
  char line[64];
  for (const RatePoint& point : rates) {
    std::snprintf(line, sizeof line, "%.3f %.1f\n", point.seconds, point.events_per_s);
    text += line;
  }
  return text;
}

// Runs `gnuplot script` (found on PATH) with its messages in `log`: its exit status, kNotInstalled when there
// is no gnuplot, or -1 when it could not run.
constexpr int kNotInstalled = -2;
int run_gnuplot(const std::string& script, const std::string& log) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  std::string program = "gnuplot";
  std::string argument = script;
  char* argv[] = {program.data(), argument.data(), nullptr};
  pid_t pid = 0;
  const int spawned = ::posix_spawnp(&pid, "gnuplot", &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) return spawned == ENOENT ? kNotInstalled : -1;
  int status = 0;
  if (::waitpid(pid, &status, 0) != pid) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

struct Plot {
  std::string file;
  std::string title;
};

std::string plot_command(const std::vector<Plot>& plots, const std::string& using_columns) {
  std::string command = "plot ";
  for (std::size_t i = 0; i < plots.size(); ++i) {
    if (i > 0) command += ", \\\n     ";
    command += quoted(plots[i].file) + " using " + using_columns + " with lines lw 2 title " +
               quoted(plots[i].title);
  }
  return command + "\n";
}

}  // namespace

Result<ReportOutcome> write_report(const std::string& dir, const std::vector<ReportEntry>& entries) {
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) return Status(StatusCode::kIoError, "cannot create --report directory " + dir + ": " + error.message());
  const std::string base = std::filesystem::absolute(dir).string();

  std::string json;
  std::vector<Plot> latencies;
  std::vector<Plot> rates;
  for (const ReportEntry& entry : entries) {
    json += entry.json + "\n";
    const WorkloadResult& r = entry.result;
    if (!r.ack_latencies_us.empty()) {
      const std::string file = base + "/" + r.workload + "-ack-latency.dat";
      STRATA_RETURN_IF_ERROR(write_file(file, percentile_table(r.ack_latencies_us)));
      latencies.push_back({file, r.workload + ": append to acknowledgement"});
    }
    if (!r.tail_latencies_us.empty()) {
      const std::string file = base + "/" + r.workload + "-tail-latency.dat";
      STRATA_RETURN_IF_ERROR(write_file(file, percentile_table(r.tail_latencies_us)));
      latencies.push_back({file, r.workload + ": acknowledgement to a waiting reader"});
    }
    if (!r.rates.empty()) {
      const std::string file = base + "/" + r.workload + "-rate.dat";
      STRATA_RETURN_IF_ERROR(write_file(file, rate_table(r.rates)));
      rates.push_back({file, r.workload});
    }
  }
  STRATA_RETURN_IF_ERROR(write_file(base + "/bench.json", json));

  ReportOutcome outcome;
  if (latencies.empty() && rates.empty()) {
    outcome.message = "report: " + base + "/bench.json (these workloads record no latency or rate to draw)";
    return outcome;
  }
  const int panels = (latencies.empty() ? 0 : 1) + (rates.empty() ? 0 : 1);
  const std::string svg = base + "/report.svg";
  std::string script = "set terminal svg size 1000," + std::to_string(420 * panels) +
                       " dynamic enhanced font 'sans,12' background rgb 'white'\n"
                       "set output " + quoted(svg) + "\n"
                       "set multiplot layout " + std::to_string(panels) + ",1\n"
                       "set grid\nset key top left\n";
  if (!latencies.empty()) {
    script +=
        "set title 'Latency distribution (strata bench)'\n"
        "set logscale x\nset logscale y\n"
        "set xlabel 'percentile'\nset ylabel 'microseconds'\n"
        "set xtics ('0%%' 1, '90%%' 10, '99%%' 100, '99.9%%' 1000, '99.99%%' 10000, '99.999%%' 100000)\n" +
        plot_command(latencies, "(1/(1-$1/100)):2");
    script += "unset logscale\nset xtics autofreq\n";
  }
  if (!rates.empty()) {
    script +=
        "set title 'Events per second, every 100 ms'\n"
        "set logscale y\nset xlabel 'seconds since the workload started'\nset ylabel 'events/s'\n" +
        plot_command(rates, "1:2");
  }
  script += "unset multiplot\n";
  const std::string script_path = base + "/report.gp";
  STRATA_RETURN_IF_ERROR(write_file(script_path, script));

  const std::string log = base + "/gnuplot.log";
  const int code = run_gnuplot(script_path, log);
  if (code == kNotInstalled) {
    outcome.message = "report: data in " + base + "; no picture: gnuplot is not installed (Debian: apt-get install "
                      "gnuplot-nox), then run: gnuplot " + script_path;
    return outcome;
  }
  if (code != 0) {
    outcome.message = "report: data in " + base + "; gnuplot failed (exit " + std::to_string(code) + "), see " + log;
    return outcome;
  }
  outcome.svg = svg;
  outcome.message = "report: " + svg + " (data and script in " + base + ")";
  return outcome;
}

}  // namespace strata::bench
