#include "engine/log_core.h"

#include <algorithm>
#include <cstring>
#include <future>

#include "engine/group_checkpoints.h"
#include "engine/recovery.h"
#include "engine/segment_mappings.h"
#include "engine/wall_clock.h"
#include "engine/writer.h"
#include "io/file.h"
#include "strata/file_lock.h"
#include "io/random_bytes.h"

namespace strata::detail {

namespace {

// "1 partition", "3 partitions".
std::string partitions_text(std::uint32_t partitions) {
  return std::to_string(partitions) + (partitions == 1 ? " partition" : " partitions");
}

Status validate_options(const LogOptions& options) {
  if (options.directory.empty()) return invalid_argument("LogOptions.directory is empty");
  if (options.segment_bytes < (1u << 20)) return invalid_argument("segment_bytes must be at least 1 MiB");
  if (options.segment_bytes > format::kSegmentBytesMax) {
    return invalid_argument("segment_bytes must be at most 4 GiB (index positions are 32-bit)");
  }
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
  if (options.writer_threads < 1 || options.writer_threads > kWriterThreadsMax) {
    return invalid_argument("writer_threads must be between 1 and " + std::to_string(kWriterThreadsMax) + ", not " +
                            std::to_string(options.writer_threads));
  }
  return Status::ok();
}

}  // namespace

// A topic of many partitions starts each partition's staging at this size (at least), growing it for large
// events; a topic of one partition starts at staging_bytes.
constexpr std::size_t kStagingMinBytes = 256u << 10;
// Staging grows at most to this (a 16 MiB client batch needs room for two).
constexpr std::size_t kStagingMaxBytes = 64u << 20;
constexpr std::int64_t kProducerIdBlock = 1000;

LogCore::LogCore(LogOptions options) : options_(std::move(options)) {
  for (unsigned w = 0; w < options_.writer_threads; ++w) writers_.emplace_back(options_.shared_ring_bytes);
}

LogCore::~LogCore() {
  (void)close();
}

Result<std::shared_ptr<LogCore>> LogCore::open(LogOptions options) {
  STRATA_RETURN_IF_ERROR(validate_options(options));
  std::shared_ptr<LogCore> core(new LogCore(std::move(options)));
  std::vector<ring::StripedMpscRing*> shared_rings;
  for (WriterSlot& writer : core->writers_) shared_rings.push_back(&writer.shared_ring);
  core->shared_state_ = std::make_shared<ProducerState>(core, 0, core->options_.appends_in_flight_max, shared_rings,
                                                        core->writer_count());
  // The largest record fits a segment and twice in the largest staging (see PartitionWriter::needs_growth).
  core->event_bytes_max_ =
      std::min<std::size_t>(core->options_.segment_bytes - format::kBatchHeaderBytes,
                            kStagingMaxBytes / 2 - format::kBatchHeaderBytes - io::kDirectIoAlignment);
  Status status = core->open_directory();
  if (status.is_ok()) status = core->refuse_format1();
  if (status.is_ok()) status = core->load_producer_ids();
  if (status.is_ok()) status = core->finish_interrupted_deletions();
  if (status.is_ok()) status = core->recover_topics();
  for (unsigned w = 0; status.is_ok() && w < core->writer_count(); ++w) {
    std::promise<Status> started;
    auto started_future = started.get_future();
    core->writers_[w].thread = std::thread([raw = core.get(), w, &started] { Writer(*raw, w).run(&started); });
    status = started_future.get();
    if (!status.is_ok()) core->writers_[w].thread.join();
  }
  if (!status.is_ok()) {
    (void)core->close();
    return status;
  }
  core->cleaner_ = std::make_unique<Cleaner>(*core, core->options_.compaction_interval);
  return core;
}

Status LogCore::open_directory() {
  const std::string& dir = options_.directory;
  STRATA_RETURN_IF_ERROR(io::create_directory(dir));
  const std::string lock_path = dir + "/LOCK";
  auto lock = FileLock::acquire(lock_path);
  if (!lock) {
    if (lock.status().code() == StatusCode::kBusy) {
      return {StatusCode::kBusy,
              "another process has the log in " + dir + " open (" + lock_path + " is locked)"};
    }
    return lock.status();
  }
  lock_ = std::move(lock.value());
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

std::shared_ptr<LiveTopicSettings> LogCore::live_settings(const TopicInfo& info) const {
  auto settings = std::make_shared<LiveTopicSettings>();
  settings->store(resolve_topic_settings(info.configs, options_), info.compression);
  return settings;
}

PartitionConfig LogCore::partition_config(const TopicInfo& topic,
                                          std::shared_ptr<const LiveTopicSettings> settings) const {
  const std::size_t page = 4096;
  const std::size_t staging =
      std::max(kStagingMinBytes, options_.staging_bytes / topic.partitions / page * page);
  const std::size_t write_bytes_max = std::min(options_.write_bytes_max, staging / 2);
  const bool key_index = settings->key_index.load(std::memory_order_relaxed);
  return {durability_policy(),
          std::move(settings),
          std::min(staging, options_.staging_bytes),
          std::max(kStagingMaxBytes, options_.staging_bytes),
          write_bytes_max,
          std::min<std::size_t>({write_bytes_max, key_index ? kKeyIndexedBatchBytesMax : std::size_t{1} << 20,
                                 staging / 4}),
          direct_io_,
          writer_count(),
          &fdatasync_seconds_,
          key_index};
}

Status LogCore::refuse_format1() const {
  // A directory of strata's format 1 held <topic>/<20 digits>.seg: refuse it by name, never misread it.
  auto entries = io::list_directory_entries(options_.directory);
  if (!entries) return entries.status();
  for (const io::DirectoryEntry& entry : *entries) {
    if (!entry.is_directory) continue;
    auto names = io::list_directory(options_.directory + "/" + entry.name);
    if (!names) continue;
    for (const std::string& name : *names) {
      if (format::is_format1_segment_name(name)) {
        return {StatusCode::kUnsupported, options_.directory + "/" + entry.name + "/" + name +
                                              " is a segment of strata's format 1 (before Kafka RecordBatch v2); "
                                              "this version reads only Kafka-format logs: replay it into a new "
                                              "directory with the previous strata"};
      }
    }
  }
  return Status::ok();
}

Status LogCore::load_producer_ids() {
  const std::string path = options_.directory + "/" + std::string(format::kProducerIdsFile);
  auto bytes = io::read_small_file(path, 4096);
  if (!bytes) return bytes.status().code() == StatusCode::kNotFound ? Status::ok() : bytes.status();
  auto reserved = format::decode_producer_ids(*bytes, path);
  if (!reserved) return reserved.status();
  next_producer_id_ = producer_ids_reserved_ = *reserved;
  return Status::ok();
}

Result<ProducerIdentity> LogCore::allocate_producer_id() {
  std::lock_guard lock(producer_ids_mutex_);
  if (next_producer_id_ == producer_ids_reserved_) {
    // Reserve a block durably before handing out any of it: after a crash the next block starts above.
    const auto bytes = format::encode_producer_ids(producer_ids_reserved_ + kProducerIdBlock);
    STRATA_RETURN_IF_ERROR(
        io::replace_file_durably(options_.directory, std::string(format::kProducerIdsFile), bytes));
    producer_ids_reserved_ += kProducerIdBlock;
  }
  return ProducerIdentity{next_producer_id_++, 0};
}

Status LogCore::recover_topics() {
  auto names = io::list_directory(options_.directory);
  if (!names) return names.status();
  std::vector<std::string> topics;
  for (const std::string& name : *names) {
    if (name.size() > format::kTopicFileSuffix.size() && name.ends_with(format::kTopicFileSuffix)) {
      topics.push_back(name.substr(0, name.size() - format::kTopicFileSuffix.size()));
    }
  }
  std::sort(topics.begin(), topics.end());
  std::lock_guard lock(topics_mutex_);
  for (const std::string& name : topics) {
    if (!validate_topic_name(name).is_ok()) continue;
    const std::string path = options_.directory + "/" + format::topic_file_name(name);
    auto bytes = io::read_small_file(path, format::kTopicFileBytesMax);
    if (!bytes) return bytes.status();
    auto info = format::decode_topic(*bytes, name, path);
    if (!info) return info.status();
    auto id = add_topic(std::move(info.value()));
    if (!id) return id.status();
  }
  return Status::ok();
}

Result<TopicId> LogCore::add_topic(TopicInfo info) {
  const TopicId id = topic_count_.load(std::memory_order_relaxed);
  if (id >= kTopicsMax) {
    return invalid_argument("too many topics: at most " + std::to_string(kTopicsMax) + " per log");
  }
  const PartitionId first = partition_count_.load(std::memory_order_relaxed);
  if (first + info.partitions > kLogPartitionsMax) {
    return invalid_argument("too many partitions: at most " + std::to_string(kLogPartitionsMax) + " per log");
  }
  auto settings = live_settings(info);
  STRATA_RETURN_IF_ERROR(open_partitions(info, partition_config(info, settings), 0, info.partitions, first));
  topic_ids_.emplace(info.name, id);
  TopicEntry& entry = topics_[id];
  entry.first_partition = first;
  entry.initial_partitions = info.partitions;
  entry.partitions.store(info.partitions, std::memory_order_relaxed);
  entry.added_ids.store(nullptr, std::memory_order_relaxed);
  entry.settings = std::move(settings);
  entry.info = std::move(info);
  // Release: the writer thread and producers see the partitions and topic complete before the new counts.
  partition_count_.store(first + entry.info.partitions, std::memory_order_release);
  topic_count_.store(id + 1, std::memory_order_release);
  return id;
}

Status LogCore::open_partitions(const TopicInfo& info, const PartitionConfig& config, std::uint32_t from,
                                std::uint32_t to, PartitionId first_id) {
  DeferredSyncs syncs;
  for (std::uint32_t p = from; p < to; ++p) {
    const std::string dir = options_.directory + "/" + format::partition_directory_name(info.name, p);
    STRATA_RETURN_IF_ERROR(io::create_directory(dir));
    auto recovered = recover_partition(dir);
    if (!recovered) return recovered.status();
    if (!recovered->report.empty()) recovery_report_ += info.name + "-" + std::to_string(p) + ": " + recovered->report;
    const PartitionId id = first_id + (p - from);
    std::string key_report;
    auto writer =
        PartitionWriter::open(id, info.name, p, dir, config, std::move(recovered.value()), &key_report, &syncs);
    if (!key_report.empty()) recovery_report_ += info.name + "-" + std::to_string(p) + ": " + key_report;
    if (!writer) return writer.status();
    partitions_[id] = std::move(writer.value());
  }
  // Before the caller publishes the partitions.
  return syncs.run();
}

Result<TopicId> LogCore::create_topic(std::string_view name, const TopicOptions& options) {
  if (options.partitions > kPartitionsMax) {
    return invalid_argument("a topic has at most " + std::to_string(kPartitionsMax) + " partitions");
  }
  TopicInfo info;
  info.name = std::string(name);
  info.partitions = options.partitions == 0 ? 1 : options.partitions;
  info.configs = options.configs;
  STRATA_RETURN_IF_ERROR(validate_topic_configs(&info.configs).with_context("topic " + info.name));
  info.compression = resolve_topic_settings(info.configs, options_).compression.value_or(options.compression);
  info.created_time_us = wall_clock_us();
  std::uint8_t id_bytes[16];
  STRATA_RETURN_IF_ERROR(
      io::random_bytes(std::as_writable_bytes(std::span(id_bytes)), "the log id of topic " + info.name));
  info.log_id = format::log_id_text(id_bytes);
  // A deletion of this name that failed midway (an I/O error) is finished first: its files never become
  // part of the new topic.
  if (auto finished = finish_deletion_of(info.name); !finished) return finished.status();
  // Partition directories first, then the metadata file: its rename is what creates the topic.
  for (std::uint32_t p = 0; p < info.partitions; ++p) {
    STRATA_RETURN_IF_ERROR(
        io::create_directory(options_.directory + "/" + format::partition_directory_name(info.name, p)));
  }
  STRATA_RETURN_IF_ERROR(
      io::replace_file_durably(options_.directory, format::topic_file_name(info.name), format::encode_topic(info)));
  return add_topic(std::move(info));
}

Result<TopicId> LogCore::topic(std::string_view name, const TopicOptions& options) {
  STRATA_RETURN_IF_ERROR(validate_topic_name(name));
  std::lock_guard lock(topics_mutex_);
  if (const auto it = topic_ids_.find(std::string(name)); it != topic_ids_.end()) {
    const TopicInfo& info = topics_[it->second].info;
    if (options.partitions != 0 && options.partitions != info.partitions) {
      return invalid_argument("topic " + info.name + " has " + partitions_text(info.partitions) + ", not " +
                              std::to_string(options.partitions) +
                              " (the count is fixed when a topic is created)");
    }
    return it->second;
  }
  if (!accepting()) return Status(StatusCode::kClosed, "the log is closed");
  return create_topic(name, options);
}

Result<TopicEntry*> LogCore::topic_to_change(std::string_view name) {
  const auto it = topic_ids_.find(std::string(name));
  if (it == topic_ids_.end()) {
    return Status(StatusCode::kNotFound, "no topic " + std::string(name) + " in " + options_.directory);
  }
  if (!accepting()) return failure();
  return &topics_[it->second];
}

Status LogCore::set_topic_configs(std::string_view name, TopicConfigs configs) {
  STRATA_RETURN_IF_ERROR(validate_topic_configs(&configs).with_context("topic " + std::string(name)));
  std::lock_guard lock(topics_mutex_);
  auto found = topic_to_change(name);
  if (!found) return found.status();
  TopicEntry& entry = **found;
  if (resolve_topic_settings(configs, options_).key_index != entry.settings->key_index.load()) {
    return invalid_argument("topic " + std::string(name) +
                            ": strata.key-index is set when a topic is created and cannot be changed");
  }
  TopicInfo info = entry.info;
  info.configs = std::move(configs);
  // A codec in compression.type sets the engine's batches; "producer" (or none set) keeps what the topic had.
  if (auto codec = resolve_topic_settings(info.configs, options_).compression) info.compression = *codec;
  // Durable first: what is in effect is never ahead of what a restart would find.
  STRATA_RETURN_IF_ERROR(
      io::replace_file_durably(options_.directory, format::topic_file_name(info.name), format::encode_topic(info)));
  entry.settings->store(resolve_topic_settings(info.configs, options_), info.compression);
  // Only the fields that changed: producers read entry.info's name and partitions without the lock.
  entry.info.configs = std::move(info.configs);
  entry.info.compression = info.compression;
  return Status::ok();
}

// Kafka's CreatePartitions: a topic's partition count only grows. The new partitions' directories first,
// then the metadata file with the new count (the commit point, as at creation), then their writers, published
// to the writer threads (partition_count_) before producers see the new count.
Result<CompactionStats> LogCore::compact(std::string_view name) {
  auto topic = find_topic(name);
  if (!topic) return topic.status();
  if (!topics_[*topic].settings->compact.load(std::memory_order_relaxed)) {
    return invalid_argument("topic " + std::string(name) +
                            " is not compacted: set cleanup.policy=compact (or compact,delete) first");
  }
  if (cleaner_ == nullptr || closing()) return Status(StatusCode::kClosed, "the log is closed");
  return cleaner_->compact_topic(*topic);
}

Status LogCore::increase_partitions(std::string_view name, std::uint32_t partitions) {
  std::lock_guard lock(topics_mutex_);
  auto found = topic_to_change(name);
  if (!found) return found.status();
  TopicEntry& entry = **found;
  const std::uint32_t current = entry.info.partitions;
  if (partitions <= current) {
    return invalid_argument("topic " + entry.info.name + " has " + partitions_text(current) +
                            ": the count can only grow (asked for " + std::to_string(partitions) + ")");
  }
  if (partitions > kPartitionsMax) {
    return invalid_argument("a topic has at most " + std::to_string(kPartitionsMax) + " partitions");
  }
  const PartitionId first_id = partition_count_.load(std::memory_order_relaxed);
  if (first_id + (partitions - current) > kLogPartitionsMax) {
    return invalid_argument("too many partitions: at most " + std::to_string(kLogPartitionsMax) + " per log");
  }
  TopicInfo info = entry.info;
  info.partitions = partitions;
  for (std::uint32_t p = current; p < partitions; ++p) {
    STRATA_RETURN_IF_ERROR(
        io::create_directory(options_.directory + "/" + format::partition_directory_name(info.name, p)));
  }
  STRATA_RETURN_IF_ERROR(
      io::replace_file_durably(options_.directory, format::topic_file_name(info.name), format::encode_topic(info)));
  // The staging of the new partitions is sized for the new count, like a topic created with it.
  if (Status opened = open_partitions(info, partition_config(info, entry.settings), current, partitions, first_id);
      !opened.is_ok()) {
    // The metadata promises partitions this process could not open: take the promise back, or stop the log.
    if (Status restored = io::replace_file_durably(options_.directory, format::topic_file_name(info.name),
                                                   format::encode_topic(entry.info));
        !restored.is_ok()) {
      fail(restored);
    }
    return opened;
  }
  auto ids = std::make_unique<PartitionId[]>(partitions - entry.initial_partitions);
  for (std::uint32_t p = entry.initial_partitions; p < partitions; ++p) {
    ids[p - entry.initial_partitions] = p < current ? entry.partition_id(p) : first_id + (p - current);
  }
  entry.added_ids.store(ids.get(), std::memory_order_release);
  added_id_tables_.push_back(std::move(ids));
  partition_count_.store(first_id + (partitions - current), std::memory_order_release);
  entry.info.partitions = partitions;
  entry.partitions.store(partitions, std::memory_order_release);
  return Status::ok();
}

TopicInfo LogCore::topic_info(TopicId topic) const {
  std::lock_guard lock(topics_mutex_);
  return topics_[topic].info;
}

Result<TopicId> LogCore::find_topic(std::string_view name) const {
  std::lock_guard lock(topics_mutex_);
  if (const auto it = topic_ids_.find(std::string(name)); it != topic_ids_.end()) return it->second;
  return Status(StatusCode::kNotFound, "no topic " + std::string(name) + " in " + options_.directory);
}

// Deleting: the metadata file is renamed to <topic>.strata-deleting first (durably), the commit point: from
// then on no open of the log sees the topic, and one after a crash finishes the removal. Before that the
// topic's partitions are marked deleted and the log flushed, so that the writer has written and synced all
// it took of them, refuses whatever comes later, and closed their files.
Status LogCore::delete_topic(std::string_view name) {
  STRATA_RETURN_IF_ERROR(validate_topic_name(name));
  // No compaction pass writes into the directories being removed (one in progress finishes first).
  std::unique_lock<std::mutex> passes;
  if (cleaner_ != nullptr) passes = cleaner_->hold_passes();
  // Held throughout: topic() cannot recreate the name while its directories are being removed.
  std::lock_guard lock(topics_mutex_);
  const auto it = topic_ids_.find(std::string(name));
  if (it == topic_ids_.end()) {
    return Status(StatusCode::kNotFound, "no topic " + std::string(name) + " in " + options_.directory);
  }
  if (!accepting()) return failure();
  const TopicId id = it->second;
  const TopicEntry& entry = topics_[id];
  topic_deleted_[id].store(true, std::memory_order_release);
  for (std::uint32_t p = 0; p < entry.info.partitions; ++p) {
    partitions_[entry.partition_id(p)]->counters().deleted.store(true, std::memory_order_release);
  }
  topic_ids_.erase(it);
  // Readers waiting on the topic return and answer kNotFound.
  for (std::uint32_t p = 0; p < entry.info.partitions; ++p) {
    partitions_[entry.partition_id(p)]->counters().visible_signal.notify_always();
  }
  STRATA_RETURN_IF_ERROR(flush());
  STRATA_RETURN_IF_ERROR(io::rename_durably(options_.directory, format::topic_file_name(entry.info.name),
                                            format::deleting_topic_file_name(entry.info.name)));
  return finish_topic_deletion(entry.info);
}

Status LogCore::finish_topic_deletion(const TopicInfo& info) {
  for (std::uint32_t p = 0; p < info.partitions; ++p) {
    const std::string partition_dir = options_.directory + "/" + format::partition_directory_name(info.name, p);
    forget_segment_mappings(partition_dir);
    STRATA_RETURN_IF_ERROR(io::remove_directory_files(partition_dir));
  }
  STRATA_RETURN_IF_ERROR(remove_topic_group_offsets(options_.directory, info.name));
  STRATA_RETURN_IF_ERROR(io::sync_directory(options_.directory));  // the partition directories are gone
  STRATA_RETURN_IF_ERROR(
      io::remove_file(options_.directory + "/" + format::deleting_topic_file_name(info.name)));
  return io::sync_directory(options_.directory);
}

Result<bool> LogCore::finish_deletion_of(const std::string& topic) {
  const std::string path = options_.directory + "/" + format::deleting_topic_file_name(topic);
  auto bytes = io::read_small_file(path, format::kTopicFileBytesMax);
  if (!bytes) return bytes.status().code() == StatusCode::kNotFound ? Result<bool>(false) : bytes.status();
  auto info = format::decode_topic(*bytes, topic, path);
  if (!info) return Status(info.status()).with_context("finishing the deletion of topic " + topic);
  STRATA_RETURN_IF_ERROR(finish_topic_deletion(*info));
  return true;
}

Status LogCore::finish_interrupted_deletions() {
  auto names = io::list_directory(options_.directory);
  if (!names) return names.status();
  for (const std::string& name : *names) {
    const std::string_view suffix = format::kDeletingTopicFileSuffix;
    if (name.size() <= suffix.size() || !name.ends_with(suffix)) continue;
    const std::string topic = name.substr(0, name.size() - suffix.size());
    if (!validate_topic_name(topic).is_ok()) continue;
    auto finished = finish_deletion_of(topic);
    if (!finished) return finished.status();
    if (*finished) recovery_report_ += "finished deleting topic " + topic + "\n";
  }
  return Status::ok();
}

std::vector<TopicInfo> LogCore::topic_infos() const {
  std::lock_guard lock(topics_mutex_);
  std::vector<TopicInfo> infos;
  for (TopicId id = 0; id < topic_count_.load(std::memory_order_relaxed); ++id) {
    if (!topic_deleted(id)) infos.push_back(topics_[id].info);
  }
  std::sort(infos.begin(), infos.end(), [](const TopicInfo& a, const TopicInfo& b) { return a.name < b.name; });
  return infos;
}

std::shared_ptr<ProducerState> LogCore::new_producer(bool shared) {
  if (shared) return shared_state_;
  auto state = std::make_shared<ProducerState>(shared_from_this(), options_.producer_ring_bytes,
                                               options_.appends_in_flight_max,
                                               std::span<ring::StripedMpscRing* const>{}, writer_count());
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

void LogCore::flush_done(unsigned writer, std::uint64_t epoch) {
  std::lock_guard lock(state_mutex_);
  writers_[writer].flush_completed = std::max(writers_[writer].flush_completed, epoch);
  std::uint64_t completed = epoch;
  for (const WriterSlot& slot : writers_) completed = std::min(completed, slot.flush_completed);
  if (completed <= flush_completed_) return;  // other writers still work on it
  flush_completed_ = completed;
  // Clear the request unless a newer one arrived meanwhile.
  std::uint64_t expected = completed;
  flush_requested_.compare_exchange_strong(expected, 0);
  flush_cv_.notify_all();
}

void LogCore::wake_all_writers() {
  for (WriterSlot& writer : writers_) writer.signal.notify_always();
}

Status LogCore::flush() {
  std::unique_lock lock(state_mutex_);
  if (closed_ || closing_.load()) return {StatusCode::kClosed, "flush() on a closed log"};
  const std::uint64_t epoch = ++flush_epochs_;  // under state_mutex_
  flush_requested_.store(epoch, std::memory_order_release);
  wake_all_writers();
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
  if (cleaner_ != nullptr) cleaner_->stop();
  closing_.store(true, std::memory_order_release);
  wake_all_writers();
  for (WriterSlot& writer : writers_) {
    if (writer.thread.joinable()) writer.thread.join();
  }
  lock_.release();
  // Producers hold this core (to answer kClosed after close); it no longer holds them back.
  {
    std::lock_guard producers_lock(producers_mutex_);
    producers_.clear();
  }
  shared_state_.reset();
  forget_segment_mappings(options_.directory);  // readers still open keep theirs
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
  const PartitionId count = partition_count();
  for (PartitionId id = 0; id < count; ++id) {
    PartitionWriter& writer = *partitions_[id];
    PartitionCounters& counters = writer.counters();
    if (counters.deleted.load(std::memory_order_acquire)) continue;
    TopicStats topic_stats;
    topic_stats.name = writer.topic();
    topic_stats.partition = writer.partition();
    topic_stats.next_offset = counters.next_offset.load(std::memory_order_relaxed);
    topic_stats.durable_offset = counters.durable_offset.load(std::memory_order_relaxed);
    topic_stats.segments = counters.segments.load(std::memory_order_relaxed);
    topic_stats.disk_bytes = counters.disk_bytes.load(std::memory_order_relaxed);
    topic_stats.io_uring_registered_staging = counters.staging_registered.load(std::memory_order_relaxed);
    stats.disk_bytes_written += topic_stats.disk_bytes;
    stats.writes += counters.writes.load(std::memory_order_relaxed);
    stats.syncs += counters.syncs.load(std::memory_order_relaxed);
    stats.topics.push_back(std::move(topic_stats));
  }
  return stats;
}

}  // namespace strata::detail
