#include "engine/log_core.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <future>

#include "engine/recovery.h"
#include "engine/writer.h"
#include "io/errno_status.h"
#include "io/file.h"

namespace strata::detail {

namespace {

Status validate_options(const LogOptions& options) {
  if (options.directory.empty()) return invalid_argument("LogOptions.directory is empty");
  if (options.segment_bytes < (1u << 20)) return invalid_argument("segment_bytes must be at least 1 MiB");
  if (!ring::RingBuffer::is_valid_capacity(options.producer_ring_bytes) ||
      !ring::RingBuffer::is_valid_capacity(options.shared_ring_bytes)) {
    return invalid_argument(
        "producer_ring_bytes and shared_ring_bytes must be powers of two of at least 256");
  }
  if (options.staging_bytes < (1u << 20) || options.staging_bytes % 4096 != 0) {
    return invalid_argument("staging_bytes must be a multiple of 4096 and at least 1 MiB");
  }
  if (options.write_bytes_max < 4096 || options.write_bytes_max > options.staging_bytes / 2) {
    return invalid_argument("write_bytes_max must be between 4096 and half of staging_bytes");
  }
  if (!ring::is_power_of_two(options.appends_in_flight_max)) {
    return invalid_argument("appends_in_flight_max must be a power of two");
  }
  return Status::ok();
}

}  // namespace

LogCore::LogCore(LogOptions options)
    : options_(std::move(options)), shared_ring_(options_.shared_ring_bytes) {
  shared_state_ = std::make_shared<ProducerState>(this, 0, options_.appends_in_flight_max, &shared_ring_);
}

LogCore::~LogCore() {
  (void)close();
}

Result<std::unique_ptr<LogCore>> LogCore::open(LogOptions options) {
  STRATA_RETURN_IF_ERROR(validate_options(options));
  std::unique_ptr<LogCore> core(new LogCore(std::move(options)));
  STRATA_RETURN_IF_ERROR(core->open_directory());
  STRATA_RETURN_IF_ERROR(core->recover_topics());
  std::promise<Status> started;
  auto started_future = started.get_future();
  core->writer_thread_ = std::thread([raw = core.get(), &started] { Writer(*raw).run(&started); });
  Status status = started_future.get();
  if (!status.is_ok()) {
    core->writer_thread_.join();
    core->closed_ = true;
    return status;
  }
  return core;
}

Status LogCore::open_directory() {
  const std::string& dir = options_.directory;
  STRATA_RETURN_IF_ERROR(io::create_directory(dir));
  const std::string lock_path = dir + "/LOCK";
  lock_fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd_ < 0) return io::status_from_errno(errno, "open " + lock_path);
  if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    const int error_number = errno;
    ::close(lock_fd_);
    lock_fd_ = -1;
    if (error_number == EWOULDBLOCK) {
      return {StatusCode::kBusy,
              "another process has the log in " + dir + " open (" + lock_path + " is locked)"};
    }
    return io::status_from_errno(error_number, "flock " + lock_path);
  }
  auto direct = io::supports_direct_io(dir);
  if (!direct) return direct.status();
  if (!*direct) {
    if (!options_.allow_buffered_io) {
      return {StatusCode::kUnsupported,
              "the filesystem of " + dir +
                  " refuses O_DIRECT; open with allow_buffered_io (--buffered-io) to "
                  "write through the page cache instead"};
    }
    direct_io_ = false;
  }
  return Status::ok();
}

TopicConfig LogCore::topic_config() const {
  return {options_.durability,
          options_.segment_bytes,
          options_.staging_bytes,
          options_.write_bytes_max,
          std::min<std::size_t>(options_.write_bytes_max, 1u << 20),
          options_.batch_sync_bytes,
          options_.batch_sync_interval,
          direct_io_,
          RetentionPolicy{options_.retention_bytes, options_.retention_age}};
}

Status LogCore::recover_topics() {
  std::vector<std::string> names;
  DIR* listing = ::opendir(options_.directory.c_str());
  if (listing == nullptr) return io::status_from_errno(errno, "opendir " + options_.directory);
  while (const dirent* entry = ::readdir(listing)) {
    const std::string name = entry->d_name;
    if (entry->d_type == DT_DIR && validate_topic_name(name).is_ok()) names.push_back(name);
  }
  ::closedir(listing);
  std::sort(names.begin(), names.end());
  std::lock_guard lock(topics_mutex_);
  for (const std::string& name : names) {
    auto id = add_topic(name);
    if (!id) return id.status();
  }
  return Status::ok();
}

Result<TopicId> LogCore::add_topic(const std::string& name) {
  const TopicId id = topic_count_.load(std::memory_order_relaxed);
  if (id >= kTopicsMax) {
    return invalid_argument("too many topics: at most " + std::to_string(kTopicsMax) + " per log");
  }
  const std::string dir = options_.directory + "/" + name;
  STRATA_RETURN_IF_ERROR(io::create_directory(dir));
  STRATA_RETURN_IF_ERROR(io::sync_directory(options_.directory));
  auto recovered = recover_topic(dir);
  if (!recovered) return recovered.status();
  if (!recovered->report.empty()) recovery_report_ += "topic " + name + ": " + recovered->report;
  auto writer = TopicWriter::open(id, name, dir, topic_config(), *recovered);
  if (!writer) return writer.status();
  topics_[id] = std::move(writer.value());
  topic_ids_.emplace(name, id);
  // Release: the writer thread sees the topic's state complete before it sees the new count.
  topic_count_.store(id + 1, std::memory_order_release);
  return id;
}

Result<TopicId> LogCore::topic(std::string_view name) {
  STRATA_RETURN_IF_ERROR(validate_topic_name(name));
  std::lock_guard lock(topics_mutex_);
  if (const auto it = topic_ids_.find(std::string(name)); it != topic_ids_.end()) return it->second;
  if (!accepting()) return Status(StatusCode::kClosed, "the log is closed");
  return add_topic(std::string(name));
}

std::shared_ptr<ProducerState> LogCore::new_producer(bool shared) {
  if (shared) return shared_state_;
  auto state = std::make_shared<ProducerState>(this, options_.producer_ring_bytes,
                                               options_.appends_in_flight_max, nullptr);
  std::lock_guard lock(producers_mutex_);
  producers_.push_back(state);
  producers_version_.fetch_add(1, std::memory_order_release);
  return state;
}

bool LogCore::producers_changed(std::uint64_t* version, std::vector<std::shared_ptr<ProducerState>>* out) {
  const std::uint64_t current = producers_version_.load(std::memory_order_acquire);
  if (current == *version) return false;
  std::lock_guard lock(producers_mutex_);
  *out = producers_;
  *version = producers_version_.load(std::memory_order_relaxed);
  return true;
}

void LogCore::forget_producer(const ProducerState* state) {
  std::lock_guard lock(producers_mutex_);
  std::erase_if(producers_, [&](const auto& p) { return p.get() == state; });
  producers_version_.fetch_add(1, std::memory_order_release);
}

void LogCore::fail(Status status) {
  std::lock_guard lock(state_mutex_);
  if (failed_.load(std::memory_order_relaxed)) return;  // the first error is the one that matters
  failure_ = std::move(status).with_context("the log failed and accepts no more appends");
  failed_.store(true, std::memory_order_release);
  flush_cv_.notify_all();
}

Status LogCore::failure() const {
  std::lock_guard lock(state_mutex_);
  if (failed_.load(std::memory_order_relaxed)) return failure_;
  if (closing_.load(std::memory_order_relaxed)) return {StatusCode::kClosed, "the log is closed"};
  return Status::ok();
}

void LogCore::set_io_description(std::string description) {
  std::lock_guard lock(state_mutex_);
  io_description_ = std::move(description);
}

void LogCore::flush_done(std::uint64_t epoch) {
  std::lock_guard lock(state_mutex_);
  flush_completed_ = std::max(flush_completed_, epoch);
  // Clear the request unless a newer one arrived meanwhile.
  std::uint64_t expected = epoch;
  flush_requested_.compare_exchange_strong(expected, 0);
  flush_cv_.notify_all();
}

Status LogCore::flush() {
  std::unique_lock lock(state_mutex_);
  if (closed_ || closing_.load()) return {StatusCode::kClosed, "flush() on a closed log"};
  const std::uint64_t epoch = ++flush_epochs_;  // under state_mutex_
  flush_requested_.store(epoch, std::memory_order_release);
  writer_signal_.notify_always();
  flush_cv_.wait(lock, [&] { return flush_completed_ >= epoch || failed_.load(); });
  if (failed_.load()) return failure_;
  return Status::ok();
}

Status LogCore::close() {
  {
    std::lock_guard lock(state_mutex_);
    if (closed_) return failed_.load() ? failure_ : Status::ok();
    closed_ = true;
  }
  closing_.store(true, std::memory_order_release);
  writer_signal_.notify_always();
  if (writer_thread_.joinable()) writer_thread_.join();
  if (lock_fd_ >= 0) ::close(lock_fd_);
  lock_fd_ = -1;
  std::lock_guard lock(state_mutex_);
  return failed_.load() ? failure_ : Status::ok();
}

LogStats LogCore::stats() const {
  LogStats stats;
  {
    std::lock_guard lock(state_mutex_);
    stats.io_backend = io_description_;
    if (!direct_io_) stats.io_backend += ", page-cache writes (the filesystem refused O_DIRECT)";
  }
  stats.direct_io = direct_io_;
  stats.recovery_report = recovery_report_;
  const TopicId count = topic_count();
  for (TopicId id = 0; id < count; ++id) {
    TopicWriter& topic = *topics_[id];
    TopicCounters& counters = topic.counters();
    TopicStats topic_stats;
    topic_stats.name = topic.name();
    topic_stats.next_offset = counters.next_offset.load(std::memory_order_relaxed);
    topic_stats.durable_offset = counters.durable_offset.load(std::memory_order_relaxed);
    topic_stats.segments = counters.segments.load(std::memory_order_relaxed);
    topic_stats.disk_bytes = counters.disk_bytes.load(std::memory_order_relaxed);
    topic_stats.registered_staging = counters.staging_registered.load(std::memory_order_relaxed);
    stats.disk_bytes_written += topic_stats.disk_bytes;
    stats.writes += counters.writes.load(std::memory_order_relaxed);
    stats.syncs += counters.syncs.load(std::memory_order_relaxed);
    stats.topics.push_back(std::move(topic_stats));
  }
  return stats;
}

}  // namespace strata::detail
