// The consumer-group log (see group_log.h): loading and catching up, appends with group commit, compaction.
// Format 2's checkpoint files are read in group_log_legacy.cc.
#include "engine/group_log.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "engine/group_log_legacy.h"

namespace strata {

namespace {

std::atomic<std::uint64_t> compaction_bytes_min{16u << 20};
// A file replaced (by another process's compaction) this many times in a row while opening it is an error.
constexpr int kReopenAttemptsMax = 64;
// Directories whose GroupLog is kept open in this process (more are closed once unused).
constexpr std::size_t kOpenDirectoriesMax = 64;
// How far ahead of the records the file is extended with zeros (see GroupLog::ensure_room).
constexpr std::uint64_t kWriteAheadBytes = 64u << 10;
// fdatasyncs of the group log in flight at once in a process (the engine's writer overlaps as many).
constexpr int kSyncsInFlightMax = 4;

void erase_if_unused(GroupLog::Groups* groups, GroupLog::Groups::iterator it) {
  if (it->second.offsets.empty() && it->second.state.empty()) groups->erase(it);
}

void apply_record(const format::GroupLogRecord& record, GroupLog::Groups* groups) {
  switch (record.type) {
    case format::GroupLogRecordType::kOffsets: {
      GroupLog::Group& group = (*groups)[record.name];
      for (const GroupPartitionOffset& entry : record.offsets) {
        group.offsets[{entry.topic, entry.partition}] = entry.committed;
      }
      break;
    }
    case format::GroupLogRecordType::kTopicDeleted:
      for (auto it = groups->begin(); it != groups->end();) {
        std::erase_if(it->second.offsets, [&](const auto& entry) { return entry.first.first == record.name; });
        auto next = std::next(it);
        erase_if_unused(groups, it);
        it = next;
      }
      break;
    case format::GroupLogRecordType::kGroupState: {
      auto it = groups->try_emplace(record.name).first;
      it->second.state = record.state;
      erase_if_unused(groups, it);
      break;
    }
  }
}

// Offsets records of a compacted file hold at most this many partitions each (bounds one record's body).
constexpr std::size_t kSnapshotOffsetsPerRecord = 65536;

std::vector<std::byte> encode_snapshot(const GroupLog::Groups& groups) {
  std::vector<std::byte> out = format::encode_group_log_header();
  for (const auto& [name, group] : groups) {
    format::GroupLogRecord record{format::GroupLogRecordType::kOffsets, name, {}, {}};
    for (const auto& [key, committed] : group.offsets) {
      record.offsets.push_back({key.first, key.second, committed});
      if (record.offsets.size() == kSnapshotOffsetsPerRecord) {
        format::append_group_log_record(record, &out);
        record.offsets.clear();
      }
    }
    if (!record.offsets.empty()) format::append_group_log_record(record, &out);
    if (!group.state.empty()) {
      format::append_group_log_record({format::GroupLogRecordType::kGroupState, name, {}, group.state}, &out);
    }
  }
  return out;
}

// Whether a valid record starts anywhere in `bytes` after position `from`: a damaged record followed by one
// is corruption, not a torn append.
bool all_zeros(std::span<const std::byte> bytes) {
  return std::all_of(bytes.begin(), bytes.end(), [](std::byte b) { return b == std::byte{0}; });
}

bool valid_record_after(std::span<const std::byte> bytes, std::size_t from) {
  format::GroupLogRecord scratch;
  std::size_t used = 0;
  for (std::size_t at = from + 1; at + sizeof(format::GroupLogRecordHeader) <= bytes.size(); ++at) {
    if (format::decode_group_log_record(bytes.subspan(at), &scratch, &used)) return true;
  }
  return false;
}

}  // namespace

Result<std::shared_ptr<GroupLog>> GroupLog::of_directory(const std::string& dir) {
  std::error_code error;
  const std::filesystem::path resolved = std::filesystem::canonical(dir, error);
  if (error || !std::filesystem::is_directory(resolved, error)) {
    return Status(StatusCode::kNotFound, "log directory " + dir + " does not exist");
  }
  // Leaked on purpose: no destructor runs at exit while another static's destructor may still commit.
  static auto* open_logs = new std::map<std::string, std::shared_ptr<GroupLog>>();
  static std::mutex open_logs_mutex;
  std::lock_guard lock(open_logs_mutex);
  auto found = open_logs->find(resolved.string());
  if (found != open_logs->end()) return found->second;
  if (open_logs->size() >= kOpenDirectoriesMax) {
    std::erase_if(*open_logs, [](const auto& entry) { return entry.second.use_count() == 1; });
  }
  auto log = std::make_shared<GroupLog>(resolved.string());
  open_logs->emplace(resolved.string(), log);
  return log;
}

void GroupLog::set_compaction_bytes_min(std::uint64_t bytes) {
  compaction_bytes_min.store(bytes, std::memory_order_relaxed);
}

GroupLog::GroupLog(std::string dir)
    : dir_(std::move(dir)), path_(dir_ + "/" + std::string(format::kGroupLogFile)) {}

GroupLog::~GroupLog() {
  {
    std::lock_guard lock(sync_mutex_);
    syncer_stopping_ = true;
    syncer_wanted_.notify_all();
  }
  if (syncer_.joinable()) syncer_.join();
  if (compactor_.joinable()) compactor_.join();
}

std::uint64_t GroupLog::file_bytes() const {
  std::lock_guard lock(mutex_);
  return applied_bytes_;
}

void GroupLog::unlock_file() {
  if (file_) file_->unlock();
}

Status GroupLog::open_or_create(bool create) {
  auto opened = io::File::open(path_, io::OpenMode::kReadWrite);
  if (!opened && opened.status().code() == StatusCode::kNotFound) {
    // Reading a directory that only has format 2's checkpoints migrates them too.
    if (!create && !has_legacy_checkpoints(dir_)) return Status::ok();
    auto legacy = read_legacy_checkpoints(dir_);
    if (!legacy) return legacy.status();
    GroupLog::Groups groups;
    for (auto& [group, offsets] : *legacy) {
      for (auto& entry : offsets) groups[group].offsets[{entry.topic, entry.partition}] = entry.committed;
    }
    const Status created = io::create_file_durably(dir_, std::string(format::kGroupLogFile),
                                                   encode_snapshot(groups));
    if (created.is_ok()) {
      STRATA_RETURN_IF_ERROR(remove_legacy_checkpoints(dir_));
    } else if (created.code() != StatusCode::kAlreadyExists) {  // another process created it first
      return created;
    }
    opened = io::File::open(path_, io::OpenMode::kReadWrite);
  }
  if (!opened) return opened.status();
  file_ = std::make_shared<io::File>(std::move(opened.value()));
  groups_.clear();
  applied_bytes_ = 0;
  return Status::ok();
}

Status GroupLog::catch_up(bool exclusive, bool create) {
  for (int attempt = 0;; ++attempt) {
    if (!file_) {
      STRATA_RETURN_IF_ERROR(open_or_create(create));
      if (!file_) return Status::ok();  // nothing committed yet in this directory
    }
    STRATA_RETURN_IF_ERROR(file_->lock(exclusive));
    auto links = file_->link_count();
    if (!links) {
      file_->unlock();
      return links.status();
    }
    if (*links > 0) break;
    // Renamed over by another process's compaction (or removed): start again from the current file.
    file_->unlock();
    file_.reset();
    groups_.clear();
    applied_bytes_ = 0;
    if (attempt == kReopenAttemptsMax) return Status(StatusCode::kBusy, path_ + ": replaced while opening it");
  }
  auto size = file_->size();
  Status status = size.status();
  if (status.is_ok() && *size < applied_bytes_) {  // shortened by hand: read it again from the start
    groups_.clear();
    applied_bytes_ = 0;
  }
  if (status.is_ok()) file_size_ = *size;
  if (status.is_ok() && *size < sizeof(format::GroupLogHeader)) {  // created whole (link()): cut short since
    status = corruption(path_ + ": " + std::to_string(*size) + " bytes, shorter than a group log's header");
  }
  if (status.is_ok() && *size > applied_bytes_) {
    // Past the records, the file holds zeros written ahead (see ensure_room): one look at where the next
    // record would start tells whether another process appended since.
    std::byte next[sizeof(format::GroupLogRecordHeader)] = {};
    auto read = file_->read_at(next, applied_bytes_);
    status = read.status();
    if (status.is_ok() && (applied_bytes_ == 0 || !all_zeros(std::span(next).first(*read)))) {
      status = load_from(applied_bytes_, exclusive);
    }
  }
  if (!status.is_ok()) file_->unlock();
  return status;
}

Status GroupLog::load_from(std::uint64_t position, bool exclusive) {
  auto size = file_->size();
  if (!size) return size.status();
  std::vector<std::byte> bytes(*size - position);
  auto read = file_->read_at(bytes, position);
  if (!read) return read.status();
  bytes.resize(*read);
  std::size_t at = 0;
  if (position == 0) {
    if (!format::is_group_log_header(bytes)) return corruption(path_ + ": not a strata group log (bad header)");
    at = sizeof(format::GroupLogHeader);
  }
  format::GroupLogRecord record;
  while (at < bytes.size()) {
    std::size_t used = 0;
    if (!format::decode_group_log_record(std::span(bytes).subspan(at), &record, &used)) {
      if (all_zeros(std::span(bytes).subspan(at))) break;  // the end of the records: zeros written ahead
      if (valid_record_after(bytes, at)) {
        return corruption(path_ + ": position " + std::to_string(position + at) +
                          ": damaged record followed by valid ones");
      }
      break;  // a torn append: never acknowledged
    }
    apply_record(record, &groups_);
    at += used;
  }
  applied_bytes_ = position + at;
  if (at < bytes.size() && exclusive && !all_zeros(std::span(bytes).subspan(at))) {
    // Cut the torn append off, so that the next record follows the last valid one.
    STRATA_RETURN_IF_ERROR(file_->truncate(applied_bytes_));
    STRATA_RETURN_IF_ERROR(file_->sync_data());
    file_size_ = applied_bytes_;
  }
  if (position == 0 && exclusive && applied_bytes_ > compaction_bytes_min.load(std::memory_order_relaxed)) {
    return compact_locked();
  }
  return Status::ok();
}

Status GroupLog::append(const format::GroupLogRecord& record) {
  auto logical_end = write_record(record);
  if (!logical_end) return logical_end.status();
  return wait_synced(*logical_end);
}

Result<std::uint64_t> GroupLog::append_without_waiting(const format::GroupLogRecord& record) {
  auto logical_end = write_record(record);
  if (!logical_end) return logical_end.status();
  std::lock_guard lock(sync_mutex_);
  background_wanted_ = std::max(background_wanted_, *logical_end);
  if (!syncer_.joinable()) syncer_ = std::thread([this] { run_syncer(); });
  syncer_wanted_.notify_one();
  return logical_end;
}

Result<bool> GroupLog::synced(std::uint64_t ticket) const {
  std::lock_guard lock(sync_mutex_);
  if (synced_logical_ >= ticket) return true;
  if (!failed_.is_ok()) return failed_;
  return false;
}

void GroupLog::run_syncer() {
  std::unique_lock lock(sync_mutex_);
  while (!syncer_stopping_) {
    if (background_wanted_ <= synced_logical_ || !failed_.is_ok()) {
      syncer_wanted_.wait(lock);
      continue;
    }
    const std::uint64_t target = background_wanted_;
    lock.unlock();
    (void)wait_synced(target);  // a failure is kept in failed_, which synced() answers
    lock.lock();
  }
}

Result<std::uint64_t> GroupLog::write_record(const format::GroupLogRecord& record) {
  std::vector<std::byte> bytes;
  format::append_group_log_record(record, &bytes);
  std::uint64_t logical_end = 0;
  {
    std::lock_guard lock(mutex_);
    {
      std::lock_guard sync_lock(sync_mutex_);
      if (!failed_.is_ok()) return failed_;
    }
    STRATA_RETURN_IF_ERROR(catch_up(/*exclusive=*/true, /*create=*/true));
    Status written = ensure_room(bytes.size());
    if (written.is_ok()) written = file_->write_at(bytes, applied_bytes_);
    if (!written.is_ok()) {
      (void)file_->truncate(applied_bytes_);  // a partial record must not stay before the next one
      unlock_file();
      return written;
    }
    applied_bytes_ += bytes.size();
    apply_record(record, &groups_);
    unlock_file();
    {
      std::lock_guard sync_lock(sync_mutex_);
      appended_logical_ += bytes.size();
      logical_end = appended_logical_;
      sync_file_ = file_;
    }
    maybe_start_compaction();
  }
  return logical_end;
}

Status GroupLog::wait_synced(std::uint64_t logical_end) {
  std::unique_lock lock(sync_mutex_);
  while (synced_logical_ < logical_end) {
    if (!failed_.is_ok()) return failed_;
    // A sync in flight that started after this append was written covers it: wait for it. Otherwise start
    // one now, covering everything appended so far, unless kSyncsInFlightMax already run (overlapping
    // fdatasyncs of one file each flush what was written before they began, so an append waits for about
    // one sync, not the rest of the one in flight plus its own).
    if (sync_started_logical_ >= logical_end || syncs_in_flight_ >= kSyncsInFlightMax) {
      synced_changed_.wait(lock);
      continue;
    }
    ++syncs_in_flight_;
    const std::shared_ptr<io::File> file = sync_file_;
    const std::uint64_t target = appended_logical_;
    sync_started_logical_ = target;
    lock.unlock();
    const Status synced = file->sync_data();
    lock.lock();
    --syncs_in_flight_;
    if (synced.is_ok()) {
      synced_logical_ = std::max(synced_logical_, target);
    } else {
      failed_ = synced;
    }
    synced_changed_.notify_all();
    synced_fds_.notify();  // after the state synced() reads is published (under the lock it takes)
  }
  return Status::ok();
}

Status GroupLog::ensure_room(std::size_t bytes) {
  if (applied_bytes_ + bytes <= file_size_) return Status::ok();
  // Zeros written ahead: an append then overwrites blocks the file already has, and its fdatasync flushes
  // data only, without the file-size change that costs a journal commit (p99 10x worse on this VM's disk).
  static const std::vector<std::byte> zeros(kWriteAheadBytes);
  const std::uint64_t end = (applied_bytes_ + bytes + kWriteAheadBytes - 1) / kWriteAheadBytes * kWriteAheadBytes;
  for (std::uint64_t at = file_size_; at < end;) {
    const std::size_t chunk = static_cast<std::size_t>(std::min<std::uint64_t>(zeros.size(), end - at));
    STRATA_RETURN_IF_ERROR(file_->write_at(std::span(zeros).first(chunk), at));
    at += chunk;
  }
  file_size_ = end;
  return Status::ok();
}

void GroupLog::maybe_start_compaction() {
  const std::uint64_t threshold =
      std::max(compaction_bytes_min.load(std::memory_order_relaxed), 8 * compacted_bytes_);
  if (applied_bytes_ <= threshold || compacting_.exchange(true)) return;
  auto run = [this] {
    const Status compacted = compact();
    if (!compacted.is_ok()) std::fprintf(stderr, "strata: compacting %s: %s\n", path_.c_str(),
                                         compacted.to_string().c_str());
    compacting_.store(false);
  };
  // A shared GroupLog (of_directory's, which lives as long as the process) keeps itself alive in a detached
  // thread: nobody would join a finished one before exit. A compaction cut short by exit leaves the old file
  // (replace_file_durably renames a synced copy).
  if (std::shared_ptr<GroupLog> self = weak_from_this().lock()) {
    std::thread([self, run] { run(); }).detach();
    return;
  }
  if (compactor_.joinable()) compactor_.join();  // the previous one has finished (compacting_ was false)
  compactor_ = std::thread(run);
}

Status GroupLog::compact() {
  std::lock_guard lock(mutex_);
  STRATA_RETURN_IF_ERROR(catch_up(/*exclusive=*/true, /*create=*/true));
  const Status compacted = compact_locked();
  unlock_file();
  return compacted;
}

Status GroupLog::compact_locked() {
  const std::vector<std::byte> bytes = encode_snapshot(groups_);
  STRATA_RETURN_IF_ERROR(io::replace_file_durably(dir_, std::string(format::kGroupLogFile), bytes));
  auto reopened = io::File::open(path_, io::OpenMode::kReadWrite);
  if (!reopened) return reopened.status();  // the next call finds the old file renamed over and reloads
  file_->unlock();
  file_ = std::make_shared<io::File>(std::move(reopened.value()));
  applied_bytes_ = bytes.size();
  compacted_bytes_ = bytes.size();
  file_size_ = bytes.size();
  std::lock_guard sync_lock(sync_mutex_);
  synced_logical_ = appended_logical_;  // all of it is in the new file, fsynced before the rename
  sync_started_logical_ = std::max(sync_started_logical_, appended_logical_);
  sync_file_ = file_;
  synced_changed_.notify_all();
  return Status::ok();
}

}  // namespace strata
