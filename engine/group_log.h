// GroupLog: the consumer groups of one log directory, kept in the append-only file strata-groups.strata-log
// (its layout is in engine/format.h). Every process that touches the directory's groups (the server, `strata
// tail --group`, a projection, the C API) goes through the GroupLog of that directory in its process, and
// they agree through the file:
//
// - A change is one record, appended under the file's exclusive flock, then made durable by an fdatasync that
//   concurrent appends of the process share (group commit: a sync covers everything written before it
//   began; an append not yet covered starts one, up to 4 in flight). append() returns once its record is
//   synced.
// - Before any read or append, the records other processes appended since are read and applied, under the
//   flock (shared for reads). The in-memory state is always that of the records read so far.
// - Compaction rewrites the live state into a new file and renames it over the old one, under the exclusive
//   flock; a process holding the old file sees its link count drop to 0 and reopens. It runs on open when
//   the file holds much more than its live state, and on a background thread when an append finds it so.
// - A directory without the file but with format 2's checkpoint files (strata-groups/<group>/...) is
//   migrated on first use: the file is created holding them (link(), so that only one process creates it),
//   then the old files are removed.
//
// - An event loop that must not block on an fdatasync appends without waiting (append_without_waiting): a
//   background thread of this GroupLog syncs (sharing the sync with every append written before it began),
//   and after each sync writes once to every eventfd armed with watch_syncs().
//
// Threads: any. Failure: once an fdatasync fails, every later append answers that error (what was
// acknowledged before stays).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

#include "engine/format.h"
#include "engine/wake_fds.h"
#include "io/file.h"
#include "strata/status.h"

namespace strata {

class GroupLog : public std::enable_shared_from_this<GroupLog> {
 public:
  struct Group {
    std::map<std::pair<std::string, std::uint32_t>, GroupOffset> offsets;  // by (topic, partition)
    std::string state;  // the coordinator's, opaque here; empty: none
  };
  using Groups = std::map<std::string, Group, std::less<>>;

  // The GroupLog of directory `dir` (which must exist) in this process: one per directory, shared.
  static Result<std::shared_ptr<GroupLog>> of_directory(const std::string& dir);

  explicit GroupLog(std::string dir);
  ~GroupLog();  // joins a running compaction of a GroupLog not owned by a shared_ptr
  GroupLog(const GroupLog&) = delete;
  GroupLog& operator=(const GroupLog&) = delete;

  // Appends the record and returns once it is durable (or the error that stopped it).
  Status append(const format::GroupLogRecord& record);
  // Appends the record (visible to reads at once) and returns its ticket without waiting for its sync, which
  // the background thread does; synced(ticket) tells when it is durable.
  Result<std::uint64_t> append_without_waiting(const format::GroupLogRecord& record);
  // Whether the record of `ticket` is durable; the error once a sync failed. A few instructions under a lock
  // no sync holds.
  Result<bool> synced(std::uint64_t ticket) const;
  // Arms `eventfd` (WakeFds: arm, then look with synced(), then sleep): written once after the next sync. False
  // when WakeFds::kFdsMax fds are registered. unwatch_syncs: no write to it follows.
  bool watch_syncs(int eventfd) { return synced_fds_.arm(eventfd); }
  void unwatch_syncs(int eventfd) { synced_fds_.forget(eventfd); }
  // Calls read(groups) with the state of every record in the file, under this log's lock: `read` must not
  // call back into this GroupLog.
  template <typename Read>
  Status read(Read&& read) {
    std::lock_guard lock(mutex_);
    STRATA_RETURN_IF_ERROR(catch_up(/*exclusive=*/false, /*create=*/false));
    unlock_file();
    read(static_cast<const Groups&>(groups_));
    return Status::ok();
  }
  // Rewrites the file with the live state now (what the background does when the file grows).
  Status compact();
  // Where the records end in the file, as this process last saw it (0 before it exists); zeros follow.
  std::uint64_t file_bytes() const;

  // An append that finds the file larger than max(this, 8 x its last compacted size) starts a compaction.
  static void set_compaction_bytes_min(std::uint64_t bytes);

 private:
  Status catch_up(bool exclusive, bool create);  // takes the flock; the caller releases it with unlock_file()
  Status open_or_create(bool create);
  Status create_from_legacy_checkpoints();
  Status load_from(std::uint64_t position, bool exclusive);
  Status compact_locked();
  Status ensure_room(std::size_t bytes);  // the file extended with zeros past applied_bytes_ + bytes
  Result<std::uint64_t> write_record(const format::GroupLogRecord& record);  // the logical end after it
  Status wait_synced(std::uint64_t logical_end);
  void run_syncer();
  void unlock_file();
  void maybe_start_compaction();

  const std::string dir_;
  const std::string path_;
  mutable std::mutex mutex_;  // guards everything below but the sync fields
  std::shared_ptr<io::File> file_;  // null until the file exists; shared with a sync in flight
  Groups groups_;
  std::uint64_t applied_bytes_ = 0;   // the file's bytes read and applied (a prefix of whole records)
  std::uint64_t file_size_ = 0;       // the records, then zeros written ahead
  std::uint64_t compacted_bytes_ = 0;  // its size after the last compaction (or load)
  std::thread compactor_;  // only for a GroupLog not owned by a shared_ptr (else the thread is detached)
  std::atomic<bool> compacting_{false};

  mutable std::mutex sync_mutex_;  // taken after mutex_ when both are held
  std::condition_variable synced_changed_;
  std::shared_ptr<io::File> sync_file_;  // the file appends went to last
  std::uint64_t appended_logical_ = 0;   // bytes appended by this process, ever (survives compactions)
  std::uint64_t synced_logical_ = 0;     // of those, the ones known durable
  std::uint64_t sync_started_logical_ = 0;  // what the latest sync started covers
  int syncs_in_flight_ = 0;
  Status failed_ = Status::ok();
  // The background syncer of append_without_waiting (started by the first such append).
  std::uint64_t background_wanted_ = 0;  // the logical end it is to make durable
  bool syncer_stopping_ = false;
  std::condition_variable syncer_wanted_;
  std::thread syncer_;
  detail::WakeFds synced_fds_;
};

}  // namespace strata
