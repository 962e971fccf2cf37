#include "bench/e2e/workload.h"

#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <thread>

#include "strata/inspect.h"
#include "strata/reader.h"

namespace strata::bench {

namespace {

using Clock = std::chrono::steady_clock;
constexpr double kSyncFloorSeconds = 2;

// Samples a counter every 100 ms while the run lasts: the rate over time for `--report`, and (when enabled)
// "<workload>: N of M events" on stderr once a second.
class Progress {
 public:
  Progress(bool print, std::string workload, std::uint64_t total, const std::atomic<std::uint64_t>& done)
      : workload_(std::move(workload)), total_(total), done_(done), print_(print) {
    thread_ = std::thread([this] { loop(); });
  }
  ~Progress() { stop(); }

  // Stops sampling; the rate in each 100 ms since the start.
  std::vector<RatePoint> stop() {
    stop_.store(true);
    if (thread_.joinable()) thread_.join();
    return std::move(rates_);
  }

 private:
  void loop() {
    const auto start = Clock::now();
    auto last_time = start;
    std::uint64_t last_done = 0;
    for (unsigned tick = 1; !stop_.load(); ++tick) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      const auto now = Clock::now();
      const std::uint64_t done = done_.load();
      const double interval = std::chrono::duration<double>(now - last_time).count();
      rates_.push_back({std::chrono::duration<double>(now - start).count(),
                        static_cast<double>(done - last_done) / interval});
      last_time = now;
      last_done = done;
      if (print_ && tick % 10 == 0 && !stop_.load()) {
        std::fprintf(stderr, "\r%s: %llu of %llu events", workload_.c_str(), static_cast<unsigned long long>(done),
                     static_cast<unsigned long long>(total_));
        printed_ = true;
      }
    }
    if (printed_) std::fputs("\r\033[K", stderr);
  }
  std::string workload_;
  std::uint64_t total_;
  const std::atomic<std::uint64_t>& done_;
  const bool print_;
  std::atomic<bool> stop_{false};
  bool printed_ = false;
  std::vector<RatePoint> rates_;
  std::thread thread_;
};

// Runs options.producers threads, each with its own producer, key and value buffers (the value filled with
// `fill`) and its slice of the events; body(p, producer, key, value, begin, end) appends them. Returns the
// first error any thread reported, after all joined.
template <typename Body>
Status run_producers(Log& log, const WorkloadOptions& options, std::byte fill, Body body) {
  std::vector<Status> errors(options.producers);
  std::vector<std::thread> threads;
  for (unsigned p = 0; p < options.producers; ++p) {
    threads.emplace_back([&, p] {
      auto producer = log.producer();
      std::vector<std::byte> key(options.key_bytes);
      std::vector<std::byte> value(options.value_bytes, fill);
      const auto [begin, end] = producer_slice(options, p);
      errors[p] = body(p, *producer, key, value, begin, end);
    });
  }
  for (auto& thread : threads) thread.join();
  for (const Status& error : errors) STRATA_RETURN_IF_ERROR(error);
  return Status::ok();
}

// Order events as JSON, `bytes` long each (padded in a note field), all different: what compression is
// measured on. A pool, so producers spend no time formatting.
std::vector<std::vector<std::byte>> json_like_values(std::size_t bytes) {
  static const char* const kStatuses[] = {"created", "paid", "packed", "shipped", "delivered"};
  std::vector<std::vector<std::byte>> values;
  for (unsigned i = 0; i < 4096; ++i) {
    char text[512];
    int n = std::snprintf(text, sizeof text,
                          R"({"order":"o-%06u","customer":"c-%05u","status":"%s","amount":%u.%02u,"items":%u,"note":")",
                          i * 7919 % 1000000, i * 104729 % 100000, kStatuses[i % 5], i * 31 % 5000, i % 100, i % 9 + 1);
    std::string value(text, static_cast<std::size_t>(std::max(n, 0)));
    while (value.size() + 2 < bytes) value += static_cast<char>('a' + (i + value.size()) % 26);
    value += "\"}";
    value.resize(bytes, ' ');
    const auto* data = reinterpret_cast<const std::byte*>(value.data());
    values.emplace_back(data, data + value.size());
  }
  return values;
}

void finish(WorkloadResult* result, const Log& log) {
  const LogStats stats = log.stats();
  result->disk_bytes = stats.disk_bytes_written;
  result->syncs = stats.syncs;
  result->io_backend = stats.io_backend;
  result->peak_rss_mb = peak_rss_mb();
}

// One producer appends `events` events, waiting for each acknowledgement; a reader waits on the topic. The
// latency is from the producer's wait() returning to the reader's callback for that event.
Result<std::vector<double>> measure_tail_latency(Log& log, TopicId topic, std::uint64_t events,
                                            const WorkloadOptions& options) {
  auto opened = log.reader("durable");
  if (!opened) return opened.status();
  Reader& reader = *opened.value();
  if (Status status = reader.seek_to_end(); !status.is_ok()) return status;
  const std::uint64_t first = reader.position();
  std::vector<std::atomic<std::int64_t>> acked_at_ns(events);
  std::vector<double> latencies_us;
  latencies_us.reserve(events);
  std::atomic<bool> stop{false};
  Status read_error;  // the tailer's, read after it joined
  auto now_ns = [] {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count();
  };
  std::thread tailer([&] {
    while (!stop.load() && reader.position() < first + events) {
      if (!reader.wait(std::chrono::milliseconds(100))) continue;
      auto polled = reader.poll(4096, [&](const Event& event) {
        const std::int64_t acked = acked_at_ns[event.offset - first].load(std::memory_order_acquire);
        // The reader may get an event before its producer's wait() returned: that counts as zero.
        latencies_us.push_back(acked == 0 ? 0.0
                                          : std::max(0.0, static_cast<double>(now_ns() - acked) / 1000.0));
      });
      if (!polled) {  // never spin on it: the run reports it
        read_error = polled.status();
        return;
      }
    }
  });
  auto producer = log.producer();
  std::vector<std::byte> key(options.key_bytes);
  std::vector<std::byte> value(options.value_bytes, std::byte{'t'});
  Status error;
  for (std::uint64_t i = 0; i < events && error.is_ok(); ++i) {
    auto ticket = producer->append(topic, key, value);
    if (!ticket) {
      error = ticket.status();
      break;
    }
    auto offset = producer->wait(*ticket);
    if (!offset) {
      error = offset.status();
      break;
    }
    if (*offset >= first && *offset < first + events)
      acked_at_ns[*offset - first].store(now_ns(), std::memory_order_release);
  }
  if (!error.is_ok()) stop.store(true);
  tailer.join();
  if (!error.is_ok()) return error;
  if (!read_error.is_ok()) return Status(read_error.code(), "tail reader: " + read_error.to_string());
  return latencies_us;
}

}  // namespace

LogOptions log_options(const WorkloadOptions& options) {
  LogOptions log;
  log.directory = options.directory;
  log.durability = options.durability;
  log.allow_buffered_io = options.allow_buffered_io;
  log.writer_threads = options.writer_threads;
  return log;
}

std::pair<std::uint64_t, std::uint64_t> producer_slice(const WorkloadOptions& options, unsigned p) {
  return {options.events * p / options.producers, options.events * (p + 1) / options.producers};
}

void fill_key(std::vector<std::byte>& key, std::uint64_t index) {
  std::memcpy(key.data(), &index, std::min(key.size(), sizeof index));
}

WorkloadResult base_result(const char* name, const WorkloadOptions& options, unsigned producers) {
  WorkloadResult result;
  result.workload = name;
  result.events = options.events;
  result.producers = producers;
  result.value_bytes = options.value_bytes;
  result.key_bytes = options.key_bytes;
  result.durability = options.durability;
  result.writer_threads = options.writer_threads;
  return result;
}

double peak_rss_mb() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;
}

LatencySummary summarize(std::vector<double>& latencies_us) {
  LatencySummary summary;
  if (latencies_us.empty()) return summary;
  std::sort(latencies_us.begin(), latencies_us.end());
  auto at = [&](double q) {
    return latencies_us[std::min(latencies_us.size() - 1,
                                 static_cast<std::size_t>(q * static_cast<double>(latencies_us.size())))];
  };
  summary.p50_us = at(0.50);
  summary.p99_us = at(0.99);
  summary.p999_us = at(0.999);
  summary.max_us = latencies_us.back();
  return summary;
}

Result<WorkloadResult> run_ingest(const WorkloadOptions& options) {
  auto opened = Log::open(log_options(options));
  if (!opened) return opened.status();
  Log& log = *opened.value();
  auto topic = log.topic("ingest", TopicOptions{options.partitions, options.compression});
  if (!topic) return topic.status();
  WorkloadResult result = base_result("ingest", options, options.producers);
  result.partitions = options.partitions;
  result.compression = options.compression;
  const std::vector<std::vector<std::byte>> json_values =
      options.json_values ? json_like_values(options.value_bytes) : std::vector<std::vector<std::byte>>{};

  std::atomic<std::uint64_t> appended{0};
  Progress progress(options.progress, "ingest", options.events, appended);
  const auto start = Clock::now();
  STRATA_RETURN_IF_ERROR(run_producers(
      log, options, std::byte{'v'},
      [&](unsigned, Producer& producer, std::vector<std::byte>& key, const std::vector<std::byte>& value,
          std::uint64_t begin, std::uint64_t end) {
        for (std::uint64_t i = begin; i < end; ++i) {
          fill_key(key, i);
          auto ticket = producer.append(*topic, key, json_values.empty() ? value : json_values[i % json_values.size()]);
          if (!ticket) return ticket.status();
          if ((i & 4095) == 0)
            appended.fetch_add(std::min<std::uint64_t>(4096, end - i), std::memory_order_relaxed);
        }
        return producer.wait_all();
      }));
  STRATA_RETURN_IF_ERROR(log.flush());  // the final fdatasync
  result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  result.rates = progress.stop();
  finish(&result, log);
  STRATA_RETURN_IF_ERROR(log.close());
  return result;
}

Result<WorkloadResult> run_durable(const WorkloadOptions& options) {
  WorkloadOptions sync_options = options;
  sync_options.durability = Durability::kSync;
  auto opened = Log::open(log_options(sync_options));
  if (!opened) return opened.status();
  Log& log = *opened.value();
  auto topic = log.topic("durable");
  if (!topic) return topic.status();
  WorkloadResult result = base_result("durable", sync_options, options.producers);
  // Before the producers start, so the two do not share the device.
  auto floor = measure_sync_floor(options.directory, kSyncFloorSeconds, options.allow_buffered_io);
  if (!floor) return Status(floor.status().code(), "sync floor: " + floor.status().message());
  result.sync_floor = *floor;

  std::atomic<std::uint64_t> acknowledged{0};
  std::vector<std::vector<double>> latencies(options.producers);
  Progress progress(options.progress, "durable", options.events, acknowledged);
  const auto start = Clock::now();
  STRATA_RETURN_IF_ERROR(run_producers(
      log, options, std::byte{'d'},
      [&](unsigned p, Producer& producer, std::vector<std::byte>& key, const std::vector<std::byte>& value,
          std::uint64_t begin, std::uint64_t end) {
        latencies[p].reserve(end - begin);
        for (std::uint64_t i = begin; i < end; ++i) {
          fill_key(key, i);
          const auto sent = Clock::now();
          auto ticket = producer.append(*topic, key, value);
          if (!ticket) return ticket.status();
          auto offset = producer.wait(*ticket);
          if (!offset) return offset.status();
          latencies[p].push_back(std::chrono::duration<double, std::micro>(Clock::now() - sent).count());
          acknowledged.fetch_add(1, std::memory_order_relaxed);
        }
        return Status::ok();
      }));
  result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  result.rates = progress.stop();
  // A separate, short phase, so the reader thread does not compete with the 16 producers measured above.
  auto tail = measure_tail_latency(log, *topic, std::min<std::uint64_t>(options.events, 2000), options);
  if (!tail) return tail.status();
  result.tail_latency = summarize(*tail);
  result.tail_latencies_us = std::move(*tail);
  std::vector<double> all;
  for (auto& per_thread : latencies) all.insert(all.end(), per_thread.begin(), per_thread.end());
  result.ack_latency = summarize(all);
  result.ack_latencies_us = std::move(all);
  finish(&result, log);
  STRATA_RETURN_IF_ERROR(log.close());
  return result;
}

namespace {

// One producer appends options.events events (key = offset) to `topic`, then the log is closed.
Status fill_and_close(const LogOptions& log_options, const std::string& topic_name,
                      const WorkloadOptions& options) {
  auto opened = Log::open(log_options);
  if (!opened) return opened.status();
  auto topic = opened.value()->topic(topic_name);
  if (!topic) return topic.status();
  auto producer = opened.value()->producer();
  std::vector<std::byte> key(options.key_bytes);
  std::vector<std::byte> value(options.value_bytes, std::byte{'f'});
  for (std::uint64_t i = 0; i < options.events; ++i) {
    fill_key(key, i);
    auto ticket = producer->append(*topic, key, value);
    if (!ticket) return ticket.status();
  }
  STRATA_RETURN_IF_ERROR(producer->wait_all());
  return opened.value()->close();
}

// Reads every event from offset 0; checks that each key is its offset. Returns the events read.
Result<std::uint64_t> replay_once(const std::string& dir) {
  auto reader = Reader::open(dir, "replay");
  if (!reader) return reader.status();
  std::uint64_t events = 0;
  std::uint64_t bad_keys = 0;
  while (true) {
    auto polled = reader.value()->poll(65536, [&](const Event& event) {
      std::uint64_t key = 0;
      std::memcpy(&key, event.key.data(), std::min(event.key.size(), sizeof key));
      bad_keys += key != event.offset;
      ++events;
    });
    if (!polled) return polled.status();
    if (*polled == 0) break;
  }
  if (bad_keys != 0) return corruption(std::to_string(bad_keys) + " events whose key is not their offset");
  return events;
}

}  // namespace

Result<WorkloadResult> run_replay(const WorkloadOptions& options, unsigned readers) {
  WorkloadOptions ingest = options;
  ingest.producers = 1;  // offsets then equal the keys, which the readers check
  ingest.durability = Durability::kNone;
  ingest.progress = false;
  LogOptions small_segments = log_options(ingest);
  small_segments.segment_bytes = 64u << 20;  // so that nearly everything is sealed
  STRATA_RETURN_IF_ERROR(fill_and_close(small_segments, "replay", options));
  auto warm = replay_once(options.directory);  // into the page cache
  if (!warm) return warm.status();
  if (*warm != options.events) {
    return corruption("replay read " + std::to_string(*warm) + " events of " +
                      std::to_string(options.events));
  }

  WorkloadResult result = base_result(readers == 1 ? "replay" : "fanout", options, 0);
  result.durability = Durability::kNone;
  result.readers = readers;
  std::vector<Result<std::uint64_t>> counts(readers, Result<std::uint64_t>(0));
  const auto start = Clock::now();
  std::vector<std::thread> threads;
  for (unsigned r = 0; r < readers; ++r) {
    threads.emplace_back([&, r] { counts[r] = replay_once(options.directory); });
  }
  for (auto& thread : threads) thread.join();
  result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  result.events = 0;
  for (auto& count : counts) {
    if (!count) return count.status();
    result.events += *count;
  }
  result.peak_rss_mb = peak_rss_mb();
  return result;
}

Result<WorkloadResult> run_recovery(const WorkloadOptions& options) {
  LogOptions log = log_options(options);
  log.durability = Durability::kNone;
  log.segment_bytes = 2ull << 30;
  STRATA_RETURN_IF_ERROR(fill_and_close(log, "recovery", options));
  // Drop the segment from the page cache where we may (root), so the scan reads the disk like after a crash.
  if (FILE* drop = std::fopen("/proc/sys/vm/drop_caches", "w")) {
    std::fputs("1", drop);
    std::fclose(drop);
  }
  WorkloadResult result = base_result("recovery", options, 0);
  const auto start = Clock::now();
  auto reopened = Log::open(log);
  result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  if (!reopened) return reopened.status();
  const LogStats stats = reopened.value()->stats();
  if (stats.topics.empty() || stats.topics[0].next_offset != options.events) {
    return corruption("recovery found " +
                      std::to_string(stats.topics.empty() ? 0 : stats.topics[0].next_offset) + " events of " +
                      std::to_string(options.events));
  }
  // What recovery had to read: the topic's valid batch bytes (through the public API, as a user would).
  auto described = describe_log(options.directory, "recovery");
  if (!described) return described.status();
  result.disk_bytes = 0;
  for (const PartitionDescription& partition : described->front().partitions) result.disk_bytes += partition.data_bytes;
  result.io_backend = stats.io_backend;
  result.peak_rss_mb = peak_rss_mb();
  return result;
}

}  // namespace strata::bench
