#include "bench/e2e/project_workload.h"

#include <sqlite3.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <thread>

#include "projection/projector.h"
#include "strata/reader.h"

namespace strata::bench {

namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* kTopic = "project";
constexpr const char* kSchema =
    "CREATE TABLE accounts(id TEXT PRIMARY KEY, total INTEGER NOT NULL, events INTEGER NOT NULL)";
constexpr const char* kApply =
    "INSERT INTO accounts VALUES(:value->>'$.id', :value->>'$.amount', 1) "
    "ON CONFLICT(id) DO UPDATE SET total = total + excluded.total, events = events + 1";

// N events laid out back to back: key i is "k" and digits (key_bytes long), value i a JSON object naming the
// same id, padded to value_bytes.
struct Events {
  std::size_t key_bytes = 0;
  std::size_t value_bytes = 0;
  std::vector<char> keys;
  std::vector<char> values;

  std::string_view key(std::uint64_t i) const { return {keys.data() + i * key_bytes, key_bytes}; }
  std::string_view value(std::uint64_t i) const { return {values.data() + i * value_bytes, value_bytes}; }
};

Result<Events> make_events(std::uint64_t count, std::size_t key_bytes, std::size_t value_bytes,
                           std::uint64_t distinct_keys) {
  if (key_bytes < 2 || key_bytes > 20) return invalid_argument("project: keys of 2 to 20 bytes");
  Events events;
  events.key_bytes = key_bytes;
  events.value_bytes = value_bytes;
  events.keys.resize(count * key_bytes);
  events.values.resize(count * value_bytes);
  char key[32];
  std::string value;
  for (std::uint64_t i = 0; i < count; ++i) {
    std::snprintf(key, sizeof(key), "k%0*llu", static_cast<int>(key_bytes - 1),
                  static_cast<unsigned long long>(i % distinct_keys));
    value = "{\"id\":\"" + std::string(key, key_bytes) + "\",\"amount\":" + std::to_string(i % 1000) +
            ",\"pad\":\"";
    if (value.size() + 2 > value_bytes) {
      return invalid_argument("project: values of at least " + std::to_string(value.size() + 2) + " bytes");
    }
    value.append(value_bytes - value.size() - 2, 'x');
    value += "\"}";
    std::memcpy(events.keys.data() + i * key_bytes, key, key_bytes);
    std::memcpy(events.values.data() + i * value_bytes, value.data(), value_bytes);
  }
  return events;
}

std::span<const std::byte> bytes_of(std::string_view text) {
  return {reinterpret_cast<const std::byte*>(text.data()), text.size()};
}

Status sqlite_error(sqlite3* db, const char* what) {
  return Status(StatusCode::kIoError, std::string("reference: ") + what + ": " + sqlite3_errmsg(db));
}

// The reference: the projector's statements, pragmas and transaction size on one connection, the events
// bound straight from memory.
Result<double> run_reference(const std::string& path, const Events& events, std::uint64_t count,
                             std::size_t batch_events) {
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  sqlite3* db = nullptr;
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) {
    Status status = sqlite_error(db, "open");
    sqlite3_close(db);
    return status;
  }
  auto exec = [&](const char* sql) -> Status {
    return sqlite3_exec(db, sql, nullptr, nullptr, nullptr) == SQLITE_OK ? Status::ok()
                                                                         : sqlite_error(db, sql);
  };
  sqlite3_stmt* apply = nullptr;
  auto body = [&]() -> Result<double> {
    STRATA_RETURN_IF_ERROR(exec("PRAGMA journal_mode=WAL"));
    STRATA_RETURN_IF_ERROR(exec("PRAGMA synchronous=NORMAL"));
    STRATA_RETURN_IF_ERROR(exec("PRAGMA cache_size=-65536"));
    STRATA_RETURN_IF_ERROR(exec(kSchema));
    if (sqlite3_prepare_v3(db, kApply, -1, SQLITE_PREPARE_PERSISTENT, &apply, nullptr) != SQLITE_OK) {
      return sqlite_error(db, "prepare");
    }
    const int value_index = sqlite3_bind_parameter_index(apply, ":value");
    const auto start = Clock::now();
    STRATA_RETURN_IF_ERROR(exec("BEGIN IMMEDIATE"));
    for (std::uint64_t i = 0; i < count; ++i) {
      const std::string_view value = events.value(i);
      sqlite3_bind_text(apply, value_index, value.data(), static_cast<int>(value.size()), SQLITE_STATIC);
      if (sqlite3_step(apply) != SQLITE_DONE) return sqlite_error(db, "step");
      sqlite3_reset(apply);
      if ((i + 1) % batch_events == 0) {
        STRATA_RETURN_IF_ERROR(exec("COMMIT"));
        STRATA_RETURN_IF_ERROR(exec("BEGIN IMMEDIATE"));
      }
    }
    STRATA_RETURN_IF_ERROR(exec("COMMIT"));
    return std::chrono::duration<double>(Clock::now() - start).count();
  };
  Result<double> seconds = body();
  sqlite3_finalize(apply);
  sqlite3_close(db);
  return seconds;
}

// Reads every event once so that the catch-up reads from the page cache, as the reference reads memory.
Status warm(Log& log, std::uint32_t partitions) {
  for (std::uint32_t p = 0; p < partitions; ++p) {
    auto reader = log.reader(kTopic, p);
    if (!reader) return reader.status();
    for (;;) {
      auto polled = (*reader)->poll(65536, [](const Event&) {});
      if (!polled) return polled.status();
      if (*polled == 0) break;
    }
  }
  return Status::ok();
}

projection::SqlProjection projection_definition() {
  return {.name = "accounts", .schema = kSchema, .apply = kApply};
}

// Appends at `rate` per second for `duration` while the projector follows; the lag of each event from just
// before its append to its commit in the read model, in microseconds.
Result<std::vector<double>> measure_live_lag(Log& log, TopicId topic, std::uint32_t partitions,
                                             projection::Projector& projector, const Events& events,
                                             const ProjectWorkloadOptions& project) {
  const auto count = static_cast<std::uint64_t>(project.live_events_per_s *
                                                std::chrono::duration<double>(project.live_duration).count());
  std::vector<std::uint64_t> base(partitions);
  for (std::uint32_t p = 0; p < partitions; ++p) {
    auto offsets = log.offsets(topic, p);
    if (!offsets) return offsets.status();
    base[p] = offsets->written;
  }
  std::vector<std::atomic<std::int64_t>> appended_ns(count);
  std::atomic<bool> failed{false};
  const auto interval = std::chrono::duration<double>(1.0 / project.live_events_per_s);
  const auto start = Clock::now();
  std::thread producer_thread([&] {
    auto producer = log.producer();
    const std::uint64_t sample = events.values.size() / events.value_bytes;
    for (std::uint64_t i = 0; i < count && !failed.load(); ++i) {
      std::this_thread::sleep_until(
          start + std::chrono::duration_cast<Clock::duration>(interval * static_cast<double>(i)));
      appended_ns[i].store(Clock::now().time_since_epoch().count(), std::memory_order_release);
      auto ticket = producer->append(topic, static_cast<std::uint32_t>(i % partitions),
                                     bytes_of(events.key(i % sample)), bytes_of(events.value(i % sample)));
      if (!ticket) failed.store(true);
    }
    (void)producer->wait_all();
  });
  std::vector<double> lags_us;
  lags_us.reserve(count);
  Status status;
  for (std::uint64_t i = 0; i < count && status; ++i) {
    const auto partition = static_cast<std::uint32_t>(i % partitions);
    status = projector.wait_until(partition, base[partition] + i / partitions, std::chrono::seconds(30));
    const std::int64_t now = Clock::now().time_since_epoch().count();
    lags_us.push_back(static_cast<double>(now - appended_ns[i].load(std::memory_order_acquire)) / 1e3);
  }
  if (!status) failed.store(true);
  producer_thread.join();
  if (!status) return status;
  if (failed.load()) return io_error("project: a live append failed");
  return lags_us;
}

std::uint64_t file_bytes(const std::string& path) {
  struct stat info {};
  return ::stat(path.c_str(), &info) == 0 ? static_cast<std::uint64_t>(info.st_size) : 0;
}

}  // namespace

Result<ProjectWorkloadResult> run_project(const WorkloadOptions& options,
                                          const ProjectWorkloadOptions& project) {
  const std::uint32_t partitions = std::max<std::uint32_t>(1, options.partitions);
  std::filesystem::create_directories(options.directory);
  const std::string log_dir = options.directory + "/log";
  const std::string db_path = options.directory + "/project.db";
  std::filesystem::remove_all(log_dir);
  for (const char* suffix : {"", "-wal", "-shm", "-strata-lock"}) std::filesystem::remove(db_path + suffix);

  auto events = make_events(options.events, options.key_bytes, options.value_bytes, project.distinct_keys);
  if (!events) return events.status();

  LogOptions log_options;
  log_options.directory = log_dir;
  log_options.durability = options.durability;
  log_options.allow_buffered_io = options.allow_buffered_io;
  auto opened = Log::open(log_options);
  if (!opened) return opened.status();
  std::unique_ptr<Log> log = std::move(opened.value());
  auto topic = log->topic(kTopic, {.partitions = partitions});
  if (!topic) return topic.status();
  {
    auto producer = log->producer();
    for (std::uint64_t i = 0; i < options.events; ++i) {
      auto ticket = producer->append(*topic, static_cast<std::uint32_t>(i % partitions),
                                     bytes_of(events->key(i)), bytes_of(events->value(i)));
      if (!ticket) return ticket.status();
    }
    STRATA_RETURN_IF_ERROR(producer->wait_all());
  }
  STRATA_RETURN_IF_ERROR(log->flush());
  STRATA_RETURN_IF_ERROR(warm(*log, partitions));

  ProjectWorkloadResult out;
  auto reference_seconds =
      run_reference(options.directory + "/reference.db", *events, options.events, project.batch_events);
  if (!reference_seconds) return reference_seconds.status();

  projection::ProjectorOptions projector_options;
  projector_options.database = db_path;
  projector_options.topic = kTopic;
  projector_options.log = log.get();
  projector_options.batch_events_max = project.batch_events;
  auto projector = projection::Projector::open(projector_options);
  if (!projector) return projector.status();
  STRATA_RETURN_IF_ERROR((*projector)->add(projection_definition()));
  const auto start = Clock::now();
  STRATA_RETURN_IF_ERROR((*projector)->catch_up());
  const double catch_up_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  const std::uint64_t applied = (*projector)->summary().events_applied;
  if (applied != options.events) {
    return io_error("project: caught up with " + std::to_string(applied) + " events of " +
                    std::to_string(options.events));
  }

  // Live: follow while one producer appends at a steady rate.
  std::thread follower;
  Status follow_status;
  follower = std::thread([&] { follow_status = (*projector)->follow(); });
  auto lags = measure_live_lag(*log, *topic, partitions, **projector, *events, project);
  (*projector)->stop();
  follower.join();
  if (!lags) return lags.status();
  STRATA_RETURN_IF_ERROR(follow_status);

  auto fill = [&](WorkloadResult& result, const char* name, double seconds) {
    result.workload = name;
    result.events = options.events;
    result.producers = 1;
    result.readers = 1;
    result.value_bytes = options.value_bytes;
    result.key_bytes = options.key_bytes;
    result.durability = options.durability;
    result.seconds = seconds;
    result.partitions = partitions;
    result.peak_rss_mb = peak_rss_mb();
  };
  fill(out.result, "project", catch_up_seconds);
  fill(out.reference, "project-reference", *reference_seconds);
  out.result.disk_bytes = file_bytes(db_path) + file_bytes(db_path + "-wal");
  out.reference.disk_bytes = file_bytes(options.directory + "/reference.db");
  out.ratio = out.reference.events_per_s() > 0 ? out.result.events_per_s() / out.reference.events_per_s() : 0;
  out.live_events = lags->size();
  out.live_events_per_s = project.live_events_per_s;
  out.result.tail_latency = summarize(*lags);
  return out;
}

}  // namespace strata::bench
