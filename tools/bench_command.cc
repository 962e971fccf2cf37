// strata bench ingest|durable|replay|fanout|conditional|key-read|all [--dir D] [--events N] [--producers P] [--size BYTES]
//              [--readers R] [--durability MODE] [--disk-limit] [--json]
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <optional>

#include "bench/e2e/disk_limit.h"
#include "bench/e2e/kafka_commit_workload.h"
#include "bench/e2e/kafka_connections_workload.h"
#include "bench/e2e/key_workload.h"
#include "bench/e2e/kafka_workload.h"
#include "bench/e2e/large_fetch.h"
#include "bench/e2e/mirror_workload.h"
#include "bench/e2e/project_workload.h"
#include "bench/e2e/report.h"
#include "bench/e2e/rocksdb_reference.h"
#include "bench/e2e/workload.h"
#include "tools/cli_checks.h"
#include "tools/commands.h"
#include "tools/json.h"

namespace strata::tools {

namespace {

struct BenchArgs {
  std::string workload;
  std::string dir;
  std::optional<std::uint64_t> events;
  std::optional<unsigned> producers;
  std::size_t size = 100;
  unsigned readers = 4;
  Durability durability = Durability::kNone;
  bool durability_given = false;
  bool disk_limit = false;
  double disk_limit_seconds = 3;
  bool json = false;
  std::string report;
  bool buffered_io = false;
  std::uint32_t partitions = 1;
  unsigned writers = 1;
  std::string compression = "none";
  std::string values = "filled";
};

// The contract's fields of one workload result, as the inside of a JSON object.
std::string result_fields(const bench::WorkloadResult& r) {
  return
      "\"workload\":" + json_string(r.workload) + ",\"events\":" + std::to_string(r.events) +
      ",\"producers\":" + std::to_string(r.producers) + ",\"readers\":" + std::to_string(r.readers) +
      ",\"value_bytes\":" + std::to_string(r.value_bytes) + ",\"key_bytes\":" + std::to_string(r.key_bytes) +
      ",\"durability\":" + json_string(durability_name(r.durability)) +
      ",\"seconds\":" + json_number(r.seconds) + ",\"events_per_s\":" + json_number(r.events_per_s()) +
      ",\"mb_per_s\":" + json_number(r.mb_per_s()) + ",\"disk_bytes\":" + std::to_string(r.disk_bytes) +
      ",\"syncs\":" + std::to_string(r.syncs) + ",\"peak_rss_mb\":" + json_number(r.peak_rss_mb) +
      ",\"io_backend\":" + json_string(r.io_backend) + ",\"partitions\":" + std::to_string(r.partitions) +
      ",\"writer_threads\":" + std::to_string(r.writer_threads) +
      ",\"compression\":" + json_string(compression_name(r.compression)) +
      ",\"disk_bytes_per_event\":" +
      json_number(r.events > 0 ? static_cast<double>(r.disk_bytes) / static_cast<double>(r.events) : 0);
}

std::string latency_fields(const bench::WorkloadResult& r) {
  std::string line;
  if (r.ack_latency) {
    line += ",\"ack_latency_us\":{\"p50\":" + json_number(r.ack_latency->p50_us) +
            ",\"p99\":" + json_number(r.ack_latency->p99_us) +
            ",\"p999\":" + json_number(r.ack_latency->p999_us) +
            ",\"max\":" + json_number(r.ack_latency->max_us) + "}";
  }
  if (r.tail_latency) {
    line += ",\"tail_latency_us\":{\"p50\":" + json_number(r.tail_latency->p50_us) +
            ",\"p99\":" + json_number(r.tail_latency->p99_us) + "}";
  }
  if (r.sync_floor && r.ack_latency) {
    // measure_sync_floor: 4 KiB write + fdatasync into written blocks of the same directory, just before.
    line += std::string(",\"floor\":{\"what\":\"4 KiB ") + (r.sync_floor->direct_io ? "O_DIRECT" : "buffered") +
            " write + fdatasync into written blocks\",\"p50_us\":" +
            json_number(r.sync_floor->p50_us) + ",\"p99_us\":" + json_number(r.sync_floor->p99_us) +
            ",\"ack_p50_ratio\":" + json_number(r.ack_latency->p50_us / r.sync_floor->p50_us) +
            ",\"ack_p99_ratio\":" + json_number(r.ack_latency->p99_us / r.sync_floor->p99_us) + "}";
  }
  return line;
}

std::string json_line(const bench::WorkloadResult& r, const std::optional<bench::DiskLimit>& limit,
                      const bench::WorkloadResult* reference = nullptr, double ratio = 0) {
  std::string line = result_fields(r) + latency_fields(r);
  if (reference != nullptr) {
    line += ",\"reference\":{" + result_fields(*reference) + latency_fields(*reference) +
            "},\"ratio\":" + json_number(ratio);
  }
  if (limit) {
    const double disk_mb_s = r.seconds > 0 ? static_cast<double>(r.disk_bytes) / r.seconds / 1e6 : 0;
    line += ",\"disk_limit_mb_s\":" + json_number(limit->sequential_mb_s) +
            ",\"fdatasync_p50_us\":" + json_number(limit->fresh.p50_us) +
            ",\"fdatasync_p99_us\":" + json_number(limit->fresh.p99_us) +
            ",\"fdatasync_written_p50_us\":" + json_number(limit->written.p50_us) +
            ",\"fdatasync_written_p99_us\":" + json_number(limit->written.p99_us) +
            ",\"disk_ratio\":" + json_number(disk_mb_s / limit->sequential_mb_s);
  }
  return "{" + line + "}";
}

void print_text(const bench::WorkloadResult& r, const std::optional<bench::DiskLimit>& limit) {
  const double disk_mb_s = r.seconds > 0 ? static_cast<double>(r.disk_bytes) / r.seconds / 1e6 : 0;
  if (r.workload == "recovery") {
    std::printf(
        "recovery opening a log whose active segment holds %llu events (%.1f MB): %.3f s, %.0f MB/s "
        "scanned\n",
        static_cast<unsigned long long>(r.events), static_cast<double>(r.disk_bytes) / 1e6, r.seconds,
        static_cast<double>(r.disk_bytes) / r.seconds / 1e6);
    return;
  }
  if (r.readers > 0) {
    std::printf(
        "%-8s %llu events read by %u reader(s) from sealed segments in the page cache, checksums checked\n",
        r.workload.c_str(), static_cast<unsigned long long>(r.events), r.readers);
  } else {
    std::printf("%-8s %llu events, %u producers, %zu-byte values, %zu-byte keys, durability %s, %u partition%s, "
                "compression %s%s\n",
                r.workload.c_str(), static_cast<unsigned long long>(r.events), r.producers, r.value_bytes,
                r.key_bytes, std::string(durability_name(r.durability)).c_str(), r.partitions, r.partitions == 1 ? "" : "s",
                std::string(compression_name(r.compression)).c_str(),
                r.writer_threads == 1 ? "" : (", " + std::to_string(r.writer_threads) + " writer threads").c_str());
  }
  std::printf("         %.2f s   %.2f M events/s   %.0f MB/s of keys+values", r.seconds,
              r.events_per_s() / 1e6, r.mb_per_s());
  if (r.readers == 0) {  // readers write nothing
    std::printf("   %.1f MB to disk (%.0f MB/s", static_cast<double>(r.disk_bytes) / 1e6, disk_mb_s);
    if (limit) std::printf(", %.0f%% of the disk limit", 100 * disk_mb_s / limit->sequential_mb_s);
    std::printf(")");
  }
  std::printf("\n");
  if (r.ack_latency) {
    std::printf("         ack latency: p50 %.0f us   p99 %.0f us   p99.9 %.0f us   max %.0f us",
                r.ack_latency->p50_us, r.ack_latency->p99_us, r.ack_latency->p999_us, r.ack_latency->max_us);
    if (limit) std::printf("   (p99 = %.2fx fresh-block fdatasync p99)", r.ack_latency->p99_us / limit->fresh.p99_us);
    std::printf("\n");
  }
  if (r.ack_latency && r.sync_floor) {
    std::printf("         floor (4 KiB write+fdatasync into written blocks, same directory): p50 %.0f us   p99 %.0f us"
                "   ack/floor: p50 %.2fx   p99 %.2fx\n",
                r.sync_floor->p50_us, r.sync_floor->p99_us, r.ack_latency->p50_us / r.sync_floor->p50_us,
                r.ack_latency->p99_us / r.sync_floor->p99_us);
  }
  if (r.tail_latency) {
    std::printf(
        "         tail latency (acknowledgement to a waiting reader's callback): p50 %.0f us   p99 %.0f us\n",
        r.tail_latency->p50_us, r.tail_latency->p99_us);
  }
  if (r.readers > 0) {
    if (r.readers > 1) {
      std::printf("         %.2f M events/s per reader\n", r.events_per_s() / 1e6 / r.readers);
    }
    return;
  }
  std::printf("         %llu fdatasyncs   peak RSS %.0f MB   writer: %s\n",
              static_cast<unsigned long long>(r.syncs), r.peak_rss_mb, r.io_backend.c_str());
}

void print_kafka_latency_text(const bench::KafkaWorkloadResult& k) {
  const bench::LatencySummary none;
  const bench::LatencySummary& strata = k.result.tail_latency.value_or(none);
  const bench::LatencySummary& mock = k.reference.tail_latency.value_or(none);
  std::printf(
      "kafka-latency %llu events of %zu bytes at 1000/s over %u partition%s, librdkafka producer "
      "(acks=all, idempotent, linger 0) and consumer, durability %s\n"
      "         produce to consume: strata serve p50 %.2f ms  p99 %.2f ms   mock cluster p50 %.2f ms  "
      "p99 %.2f ms\n",
      static_cast<unsigned long long>(k.result.events), k.result.value_bytes, k.result.partitions,
      k.result.partitions == 1 ? "" : "s", std::string(durability_name(k.result.durability)).c_str(), strata.p50_us / 1e3,
      strata.p99_us / 1e3, mock.p50_us / 1e3, mock.p99_us / 1e3);
}

void print_kafka_commit_text(const bench::WorkloadResult& r) {
  std::printf("kafka-commit %llu commits by %u librdkafka consumers, each committing synchronously after every "
              "message, durability %s\n"
              "         %.2f s   %.0f commits/s   commit latency p50 %.0f us   p99 %.0f us\n"
              "         floor (4 KiB write+fdatasync into written blocks, same directory): p50 %.0f us   p99 %.0f us"
              "   commit/floor: p50 %.2fx   p99 %.2fx\n",
              static_cast<unsigned long long>(r.events), r.readers, std::string(durability_name(r.durability)).c_str(),
              r.seconds, r.events_per_s(), r.ack_latency->p50_us, r.ack_latency->p99_us, r.sync_floor->p50_us,
              r.sync_floor->p99_us, r.ack_latency->p50_us / r.sync_floor->p50_us,
              r.ack_latency->p99_us / r.sync_floor->p99_us);
}

// The durable workload's RocksDB reference in the same run, or nullopt (and why, on stderr).
std::optional<bench::WorkloadResult> durable_reference(const bench::WorkloadOptions& options) {
  bench::WorkloadOptions reference_options = options;
  reference_options.directory = options.directory + "-rocksdb";
  auto reference = bench::run_durable_rocksdb(reference_options);
  std::filesystem::remove_all(reference_options.directory);
  if (!reference) {
    std::fprintf(stderr, "durable reference: %s\n", reference.status().to_string().c_str());
    return std::nullopt;
  }
  return *reference;
}

void print_reference_text(const bench::WorkloadResult& r, const bench::WorkloadResult& reference) {
  std::printf("         reference: %s, %u threads: %.0f events/s   ack p50 %.0f us   p99 %.0f us   ratio %.2f\n",
              reference.io_backend.c_str(), reference.producers, reference.events_per_s(),
              reference.ack_latency->p50_us, reference.ack_latency->p99_us, r.events_per_s() / reference.events_per_s());
}

// conditional: conditional appends over 1M keys against plain ingest in the same run.
template <typename Record>
Status run_conditional_workload(const bench::WorkloadOptions& options, bool json, Record& record) {
  const std::uint64_t keys = std::min<std::uint64_t>(1'000'000, options.events);
  auto measured = bench::run_conditional(options, keys);
  if (!measured) return measured.status();
  const auto& c = *measured;
  std::string line = json_line(c.result, std::nullopt, &c.reference, c.ratio);
  line.insert(line.size() - 1, ",\"keys\":" + std::to_string(c.keys) + ",\"conflicts\":" + std::to_string(c.conflicts));
  record(c.result, line);
  if (!json) {
    std::printf("conditional %llu appends over %llu keys, each expecting its key's previous offset, %u producers\n"
                "         %.2f s   %.0f k events/s   reference (ingest, same run) %.0f k events/s   ratio %.2f   "
                "conflicts %llu\n",
                static_cast<unsigned long long>(c.result.events), static_cast<unsigned long long>(c.keys),
                c.result.producers, c.result.seconds, c.result.events_per_s() / 1e3,
                c.reference.events_per_s() / 1e3, c.ratio, static_cast<unsigned long long>(c.conflicts));
  }
  return Status::ok();
}

// key-read: one key's 100 events out of N, warm and cold.
template <typename Record>
Status run_key_read_workload(const bench::WorkloadOptions& options, bool json, Record& record) {
  auto measured = bench::run_key_read(options);
  if (!measured) return measured.status();
  const auto& k = *measured;
  const auto summary = [](const bench::LatencySummary& l) {
    return "{\"p50\":" + json_number(l.p50_us) + ",\"p99\":" + json_number(l.p99_us) + ",\"max\":" +
           json_number(l.max_us) + "}";
  };
  std::string line = json_line(k.result, std::nullopt);
  line.insert(line.size() - 1, ",\"events_per_key\":" + std::to_string(k.events_per_key) +
                                   ",\"key_read_warm_us\":" + summary(k.warm) + ",\"key_read_cold_us\":" +
                                   summary(k.cold));
  record(k.result, line);
  if (!json) {
    std::printf("key-read one key's %llu events out of %llu in one partition (KeyReader)\n"
                "         warm p50 %.0f us  p99 %.0f us   cold (files dropped from the page cache) p50 %.1f ms  "
                "p99 %.1f ms\n",
                static_cast<unsigned long long>(k.events_per_key), static_cast<unsigned long long>(k.result.events),
                k.warm.p50_us, k.warm.p99_us, k.cold.p50_us / 1e3, k.cold.p99_us / 1e3);
  }
  return Status::ok();
}

int run_bench(const BenchArgs& args) {
  const bool temporary = args.dir.empty();
  std::string dir = args.dir;
  if (temporary) {
    std::string pattern = std::string(std::getenv("TMPDIR") != nullptr ? std::getenv("TMPDIR") : "/var/tmp") +
                          "/strata-bench.XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr)
      return fail("cannot create a temporary directory in " + pattern);
    dir = pattern;
  }
  struct Cleanup {
    std::string dir;
    bool remove;
    ~Cleanup() {
      if (remove) std::filesystem::remove_all(dir);
    }
  } cleanup{dir, temporary};
  if (!temporary) {
    std::error_code error;
    std::filesystem::create_directories(dir, error);  // --dir is created if missing (DESIGN.md)
    if (error) return fail("cannot create --dir " + dir + ": " + error.message());
  }

  std::optional<bench::DiskLimit> limit;
  if (args.disk_limit) {
    if (!args.json)
      std::fprintf(stderr, "measuring the disk limit of %s (%.0f s)...\n", dir.c_str(),
                   args.disk_limit_seconds);
    auto measured = bench::measure_disk_limit(dir, args.disk_limit_seconds);
    if (!measured) return fail("disk limit: " + measured.status().to_string());
    limit = *measured;
    if (!args.json) {
      std::printf(
          "disk     sequential O_DIRECT 1 MiB writes at QD16: %.0f MB/s   4 KiB write+fdatasync: fresh blocks "
          "p50 %.0f us, p99 %.0f us; written blocks p50 %.0f us, p99 %.0f us\n",
          limit->sequential_mb_s, limit->fresh.p50_us, limit->fresh.p99_us, limit->written.p50_us,
          limit->written.p99_us);
    }
  }

  std::vector<std::string> workloads;
  if (args.workload == "all") {
    workloads = {"ingest", "durable", "replay", "fanout"};
  } else {
    workloads = {args.workload};
  }
  int code = 0;
  std::vector<bench::ReportEntry> report;
  // The workload's JSON object: printed with --json, kept for --report.
  auto record = [&](const bench::WorkloadResult& r, std::string json) {
    if (args.json) std::printf("%s\n", json.c_str());
    if (!args.report.empty()) report.push_back({r, std::move(json)});
  };
  for (const std::string& workload : workloads) {
    bench::WorkloadOptions options;
    options.directory = dir + "/" + workload;
    options.value_bytes = args.size;
    options.readers = args.readers;
    options.durability = args.durability;
    options.progress = !args.json && ::isatty(STDERR_FILENO);
    options.allow_buffered_io = args.buffered_io;
    options.partitions = args.partitions;
    options.writer_threads = args.writers;
    (void)parse_compression(args.compression, &options.compression);
    options.json_values = args.values == "json";
    Result<bench::WorkloadResult> result = Status(StatusCode::kUnsupported, "unknown workload");
    std::optional<bench::WorkloadResult> reference;  // run in the same run, when the workload has one
    if (workload == "ingest") {
      options.events = args.events.value_or(10'000'000);
      options.producers = args.producers.value_or(2);
      result = bench::run_ingest(options);
    } else if (workload == "durable") {
      options.events = args.events.value_or(100'000);
      options.producers = args.producers.value_or(16);
      result = bench::run_durable(options);
      if (result) reference = durable_reference(options);
    } else if (workload == "project") {
      options.events = args.events.value_or(1'000'000);
      auto projected = bench::run_project(options);
      if (!projected) {
        code = fail(workload + ": " + projected.status().to_string());
        continue;
      }
      const auto& p = *projected;
      record(p.result, json_line(p.result, std::nullopt, &p.reference, p.ratio));
      if (!args.json) {
        std::printf("project  %llu events caught up by a SQLite projection (an upsert per event on a JSON field)\n"
                    "         %.2f s   %.0f k events/s   reference (same statements from memory) %.0f k events/s   "
                    "ratio %.2f\n",
                    static_cast<unsigned long long>(p.result.events), p.result.seconds, p.result.events_per_s() / 1e3,
                    p.reference.events_per_s() / 1e3, p.ratio);
        if (p.result.tail_latency) {
          std::printf("         live lag (append to committed in the read model) at %.0f events/s: p50 %.1f ms   "
                      "p99 %.1f ms\n",
                      p.live_events_per_s, p.result.tail_latency->p50_us / 1e3, p.result.tail_latency->p99_us / 1e3);
        }
      }
      std::fflush(stdout);
      std::filesystem::remove_all(options.directory);
      continue;
    } else if (workload == "kafka-connections") {
      options.events = args.events.value_or(10'000);
      options.durability = args.durability_given ? args.durability : Durability::kSync;
      auto measured = bench::run_kafka_connections(options);
      if (!measured) {
        code = fail(workload + ": " + measured.status().to_string());
        continue;
      }
      // events are idle connections; what they cost the server's process.
      std::string line = json_line(measured->result, std::nullopt);
      line.insert(line.size() - 1, ",\"connections\":" + std::to_string(measured->result.events) +
                                       ",\"kib_per_connection\":" + json_number(measured->kib_per_connection) +
                                       ",\"threads\":" + std::to_string(measured->threads));
      record(measured->result, line);
      if (!args.json) {
        std::printf("kafka-connections %llu idle connections (each after ApiVersions) to strata serve: "
                    "%.1f KiB each, %zu threads in the process; a producer and a consumer served meanwhile\n",
                    static_cast<unsigned long long>(measured->result.events), measured->kib_per_connection,
                    measured->threads);
      }
      std::fflush(stdout);
      std::filesystem::remove_all(options.directory);
      continue;
    } else if (workload == "kafka-commit") {
      options.events = args.events.value_or(16'000);
      options.durability = args.durability_given ? args.durability : Durability::kSync;
      auto measured = bench::run_kafka_commit(options);
      if (!measured) {
        code = fail(workload + ": " + measured.status().to_string());
        continue;
      }
      // The contract's fields, plus the workload's own names for them (events are commits, acks commits).
      std::string line = json_line(*measured, std::nullopt);
      line.insert(line.size() - 1, ",\"commits_per_s\":" + json_number(measured->events_per_s()) +
                                       ",\"commit_latency_us\":{\"p50\":" + json_number(measured->ack_latency->p50_us) +
                                       ",\"p99\":" + json_number(measured->ack_latency->p99_us) + "}");
      record(*measured, line);
      if (!args.json) print_kafka_commit_text(*measured);
      std::fflush(stdout);
      std::filesystem::remove_all(options.directory);
      continue;
    } else if (workload.starts_with("kafka-") || workload == "mirror") {
      options.events = args.events.value_or(workload == "kafka-latency" ? 5'000 : 1'000'000);
      // acks=all means fsynced, the server's default
      options.durability = args.durability_given ? args.durability : Durability::kSync;
      auto measured = workload == "kafka-produce" ? bench::run_kafka_produce(options)
                      : workload == "kafka-fetch" ? bench::run_kafka_fetch(options)
                      : workload == "mirror"      ? bench::run_mirror(options)
                                                  : bench::run_kafka_latency(options);
      if (!measured) {
        code = fail(workload + ": " + measured.status().to_string());
        continue;
      }
      const auto& k = *measured;
      // kafka-fetch also fetches 1 MiB batches once, against the loopback ceiling (bench/e2e/large_fetch.h).
      std::optional<bench::LargeFetchResult> large_batches;
      if (workload == "kafka-fetch") {
        const std::uint64_t batches = std::clamp<std::uint64_t>(options.events / 4000, 16, 256);
        auto large = bench::run_large_fetch(options.directory + "/large-batches", batches);
        if (!large) {
          code = fail(workload + ": 1 MiB batches: " + large.status().to_string());
          continue;
        }
        large_batches = *large;
      }
      std::string line = json_line(k.result, std::nullopt, &k.reference, k.ratio);
      if (large_batches) {
        const bench::LargeFetchResult& large = *large_batches;
        line.pop_back();  // into the object: json_line closes it
        line += ",\"large_batches\":{\"bytes\":" + std::to_string(large.bytes) +
                ",\"gb_per_s\":" + json_number(large.gb_per_s()) +
                ",\"loopback_gb_per_s\":" + json_number(large.loopback_gb_per_s()) +
                ",\"ratio\":" + json_number(large.ratio()) + "}}";
      }
      record(k.result, line);
      if (!args.json && workload == "kafka-latency") {
        print_kafka_latency_text(k);
      } else if (!args.json && workload == "mirror") {
        std::printf("mirror   %llu events of %zu bytes copied to strata serve on loopback, durability %s\n"
                    "         %.2f s   %.0f k events/s   reference (kafka-produce of the same events) %.0f k events/s"
                    "   ratio %.2f\n",
                    static_cast<unsigned long long>(k.result.events), k.result.value_bytes,
                    std::string(durability_name(k.result.durability)).c_str(), k.result.seconds,
                    k.result.events_per_s() / 1e3, k.reference.events_per_s() / 1e3, k.ratio);
      } else if (!args.json) {
        std::printf("%s %llu events of %zu bytes, librdkafka %s (acks=all, idempotent, linger 5 ms), durability %s\n"
                    "         strata serve %.2f s   %.0f k events/s   %.0f MB/s   mock cluster %.0f k events/s   "
                    "ratio %.2f\n",
                    workload.c_str(), static_cast<unsigned long long>(k.result.events), k.result.value_bytes,
                    workload == "kafka-produce" ? "producer" : "consumer", std::string(durability_name(k.result.durability)).c_str(),
                    k.result.seconds, k.result.events_per_s() / 1e3, k.result.mb_per_s(),
                    k.reference.events_per_s() / 1e3, k.ratio);
        if (large_batches) {
          const bench::LargeFetchResult& large = *large_batches;
          std::printf("         1 MiB batches: %.0f MiB fetched at %.2f GB/s   loopback ceiling %.2f GB/s   ratio %.2f\n",
                      static_cast<double>(large.bytes) / (1 << 20), large.gb_per_s(), large.loopback_gb_per_s(),
                      large.ratio());
        }
      }
      std::fflush(stdout);
      std::filesystem::remove_all(options.directory);
      continue;
    } else if (workload == "conditional" || workload == "key-read") {
      const bool conditional = workload == "conditional";
      options.events = args.events.value_or(conditional ? 2'000'000 : 10'000'000);
      options.producers = args.producers.value_or(2);
      if (Status status = conditional ? run_conditional_workload(options, args.json, record)
                                      : run_key_read_workload(options, args.json, record);
          !status.is_ok()) {
        code = fail(workload + ": " + status.to_string());
      }
      std::fflush(stdout);
      std::filesystem::remove_all(options.directory);
      continue;
    } else if (workload == "recovery") {
      options.events = args.events.value_or(9'000'000);  // about 1 GiB at 100-byte values
      result = bench::run_recovery(options);
    } else {
      options.events = args.events.value_or(10'000'000);
      result = bench::run_replay(options, workload == "replay" ? 1 : args.readers);
    }
    if (!result) {
      code = fail(workload + ": " + result.status().to_string());
      continue;
    }
    const double ratio = reference ? result->events_per_s() / reference->events_per_s() : 0;
    record(*result, json_line(*result, limit, reference ? &*reference : nullptr, ratio));
    if (!args.json) print_text(*result, limit);
    if (!args.json && reference) print_reference_text(*result, *reference);
    std::fflush(stdout);
    std::filesystem::remove_all(options.directory);
  }
  if (!args.report.empty()) {
    auto written = bench::write_report(args.report, report);
    if (!written) return fail("--report: " + written.status().to_string());
    std::fprintf(stderr, "%s\n", written->message.c_str());
  }
  return code;
}

}  // namespace

void add_bench_command(CLI::App& app) {
  auto args = std::make_shared<BenchArgs>();
  CLI::App* command = app.add_subcommand("bench", "Run an end-to-end benchmark workload (see DESIGN.md)");
  command
      ->add_option("workload", args->workload,
                   "ingest | durable | replay | fanout | recovery | project | conditional | key-read | kafka-produce | "
                   "kafka-fetch | kafka-latency | kafka-commit | kafka-connections | mirror | all "
                   "(all: the first four)")
      ->required()
      ->check(CLI::IsMember({"ingest", "durable", "replay", "fanout", "recovery", "project", "conditional", "key-read",
                             "kafka-produce", "kafka-fetch", "kafka-latency", "kafka-commit", "kafka-connections",
                             "mirror", "all"}));
  command->add_option("--dir", args->dir,
                      "Directory to run in (default: a temporary directory, removed after)");
  command
      ->add_option("--events", args->events,
                   "Events to append (default: ingest, replay, fanout 10000000; durable 100000)")
      ->check(whole_number(1));
  command->add_option("--producers", args->producers, "Producer threads (default: ingest 2, durable 16)")
      ->check(CLI::Range(1u, 1024u));
  command->add_option("--size", args->size, "Value bytes per event")
      ->check(CLI::Range(0, 1 << 20))
      ->capture_default_str();
  command->add_option("--readers", args->readers, "Reader threads for fanout")
      ->check(CLI::Range(1u, 256u))
      ->capture_default_str();
  add_durability_option(*command, &args->durability, "Durability of the ingest workload (kafka-*: default sync)")
      ->each([args](const std::string&) { args->durability_given = true; });
  command->add_flag(
      "--disk-limit", args->disk_limit,
      "First measure the disk's sequential O_DIRECT bandwidth and fdatasync latency, and report "
      "the workloads against them");
  command
      ->add_option("--disk-limit-seconds", args->disk_limit_seconds,
                   "How long the bandwidth measurement runs (0.5 to 600 seconds)")
      ->check(CLI::Range(0.5, 600.0))
      ->capture_default_str();
  command->add_option("--partitions", args->partitions, "Partitions of the ingest topic (events spread by key)")
      ->check(CLI::Range(1u, kPartitionsMax))
      ->capture_default_str();
  command->add_option("--writers", args->writers,
                      "Writer threads, each with its own io_uring; partitions are spread over them")
      ->check(CLI::Range(1u, kWriterThreadsMax))
      ->capture_default_str();
  command->add_option("--compression", args->compression, "Compression of the ingest topic's batches")
      ->check(CLI::IsMember({"none", "gzip", "snappy", "lz4", "zstd"}))
      ->capture_default_str();
  command->add_option("--values", args->values, "Ingest values: filled (one byte repeated) or json (JSON-like, all different)")
      ->check(CLI::IsMember({"filled", "json"}))
      ->capture_default_str();
  command->add_flag("--json", args->json, "One JSON object per workload on stdout");
  command->add_option("--report", args->report,
                      "Also write the JSON, the latency distributions and the rate over time into this directory, "
                      "and draw them in report.svg (needs gnuplot: Debian's gnuplot-nox)");
  command->add_flag("--buffered-io", args->buffered_io,
                    "If the directory's filesystem refuses O_DIRECT, write through the page cache");
  command->callback([args] { exit_code = run_bench(*args); });
}

}  // namespace strata::tools
