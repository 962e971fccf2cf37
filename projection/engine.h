// The machinery behind Projector. Its parts, each in a file of its own:
//
//   definition.h        a projection's definition, its hash and checks
//   sources.h           the topics' readers (a stream per partition)
//   checkpoint_store.h  the projector's tables, and the checks of a stored projection against the log
//   write_transaction.h BEGIN / COMMIT / ROLLBACK / savepoints, and noticing another connection's commit
//   published.h         what other threads see: committed positions, the summary
//   wal_checkpointer.h  WAL checkpoints off the loop's thread;  sql_apply.h  the statements per event
//
// and the Engine's own, by job: engine_open.cc (the connection, adding projections), engine_start.cc (locks,
// checks, new projections, reloading after a swap), engine_rebuild.cc (the rebuild beside the live file),
// engine_loop.cc (the poll rounds and the idle follower), engine_apply.cc (one event: apply, or skip it into
// a dead letter), engine_transaction.cc (commit with checkpoints and heartbeat; the idle heartbeat).
//
// One transaction, as the loop runs it:
//
//   BEGIN IMMEDIATE; PRAGMA data_version   -- changed since our last commit: another connection (a rebuild's
//                                          -- swap) rewrote the file: roll back and reload the checkpoints
//   per event, per projection reading its topic whose checkpoint is at or below the event's offset: apply
//   UPDATE strata_checkpoint (each projection, each partition that moved); UPDATE strata_projection (state,
//   heartbeat)
//   COMMIT
//
// The transaction begins lazily, at the first event a poll hands out, so an idle projector holds no lock
// (other projections of the same file write between its transactions); an idle follower commits a heartbeat
// every heartbeat_interval. A poll round stops at the first event that cannot be taken (Reader::poll_until:
// an error, a swap to reload, a failure to retry in savepoints, stop()), the reader left at that event.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "projection/checkpoint_store.h"
#include "projection/definition.h"
#include "projection/projector.h"
#include "projection/published.h"
#include "projection/sources.h"
#include "projection/sql_apply.h"
#include "projection/sqlite.h"
#include "projection/wal_checkpointer.h"
#include "projection/write_transaction.h"
#include "strata/file_lock.h"

namespace strata::projection {

// The files the projector keeps beside the database.
std::string lock_path(const std::string& database, std::string_view projection);
std::string rebuild_path(const std::string& database);
// Deletes a database file and SQLite's files beside it.
void remove_database_files(const std::string& database);

// How Engine::open sets up the file (the rebuild's file differs from the live one).
struct OpenMode {
  bool fresh = false;            // delete what is there (a rebuild's leftover) before opening
  std::int64_t page_size = 0;    // 0: SQLite's default
  bool synchronous_off = false;  // a rebuild's file: a crash restarts the rebuild anyway
};

class Engine {
 public:
  static Result<std::unique_ptr<Engine>> open(ProjectorOptions options, const OpenMode& mode = {});
  ~Engine();

  Status add(Definition definition);
  // Runs to the end the log has now (follow = false) or until stop() (follow = true).
  Status run(bool follow);
  void stop() { stop_requested_.store(true, std::memory_order_relaxed); }
  Status wait_until(std::string_view topic, std::uint32_t partition, std::uint64_t offset,
                    std::chrono::nanoseconds timeout) {
    return published_.wait_until(std::string(topic.empty() ? options_.topic : topic), partition, offset, timeout);
  }
  std::vector<std::uint64_t> positions(std::string_view topic) const {
    return published_.positions(std::string(topic.empty() ? options_.topic : topic));
  }
  RunSummary summary() const { return published_.summary(); }
  std::uint32_t partitions(std::string_view topic) const { return static_cast<std::uint32_t>(positions(topic).size()); }
  const std::string& default_topic() const { return options_.topic; }

 private:
  Engine() = default;

  struct ProjectionState {
    Definition definition;
    std::vector<std::optional<SqlApply>> apply;  // per source; empty where the projection does not read it
    std::vector<bool> reads;                     // per source
    std::vector<std::uint64_t> committed;        // per stream: the next offset to apply, as committed
    FileLock lock;
  };
  // Why a poll round stopped before its end (at the event it could not take).
  struct RoundEnd {
    enum Kind : std::uint8_t {
      kNone,
      kStopped,       // stop() was called: commit what was taken
      kFailed,        // `error` says why
      kReload,        // another connection rewrote the file: roll back, reload the checkpoints
      kRetryCareful,  // an event failed under --on-error skip: roll back, apply again in savepoints
    } kind = kNone;
    Status error;
  };
  // --on-error skip: whether events are applied in savepoints (after a failure), the dead letters in the
  // open transaction, and the run of failures with one message and no success between.
  struct Skipping {
    bool careful = false;
    std::uint64_t pending_dead_letters = 0;
    std::string streak_message, streak_where;
    std::uint64_t streak_events = 0;
    void end_streak() {
      streak_events = 0;
      streak_message.clear();
    }
  };
  // Progress reports of this run (ProjectorOptions::progress).
  struct RunProgress {
    std::chrono::steady_clock::time_point started, last;
    std::uint64_t applied = 0;  // committed by this run
    std::vector<std::uint64_t> targets;  // per stream: the end when the run started
  };

  // Opening (engine_open.cc).
  Status open_database();

  // Starting (engine_start.cc).
  Status start(bool follow);
  Status wait_for_sources(bool follow);
  Status open_sources();
  Status take_locks(bool* all_held);
  Status check_stored(std::vector<std::string>* mismatches, std::map<std::string, std::string>* stored_hashes);
  Status refuse_to_start(const std::vector<std::string>& mismatches, bool rebuild) const;
  Status create_projection(ProjectionState& projection);
  Status load_projection(ProjectionState& projection);
  Status prepare_statements(ProjectionState& projection);
  Status seek_readers();
  Status reload_after_swap();

  // The rebuild beside the live file (engine_rebuild.cc).
  Status rebuild_beside(const std::map<std::string, std::string>& stored_hashes);
  Status check_rebuild_allowed(const std::map<std::string, std::string>& stored_hashes) const;
  Result<std::unique_ptr<Engine>> build_beside();
  Status swap_in(std::unique_ptr<Engine> built, const std::map<std::string, std::string>& stored_hashes);
  Status copy_over_live(sqlite3* source);
  Result<std::vector<std::uint64_t>> live_positions();

  // The loop (engine_loop.cc).
  Status run_loop(bool follow);
  Result<std::size_t> poll_round(RoundEnd* end);
  Status handle_round_end(RoundEnd end);
  Status idle(std::chrono::steady_clock::time_point* last_identity_check);
  void report_progress(bool force);
  void finish(const Status& status);

  // One event (engine_apply.cc).
  bool take_event(std::size_t stream, const Event& event, RoundEnd* end);
  Status apply(ProjectionState& projection, std::size_t source, const Event& event, bool key_text, bool value_text);
  Status apply_careful(ProjectionState& projection, std::size_t source, const Event& event, bool key_text,
                       bool value_text);
  Status skip_failed(ProjectionState& projection, const std::string& topic, const Event& event, const Status& failure);

  // Transactions and heartbeats (engine_transaction.cc).
  Status commit_transaction();
  void rollback_transaction();
  Status save_checkpoints();
  Status save_heartbeats(std::int64_t now_us);
  Status heartbeat();
  Status check_database_file() const;
  void publish_positions();

  ProjectorOptions options_;
  OpenMode mode_;
  std::string log_directory_;  // absolute
  Connection db_;
  CheckpointStore store_;
  WalCheckpointer checkpointer_;
  std::pair<dev_t, ino_t> database_file_{};  // the file's identity when opened
  StatementCache handler_statements_;

  Sources topics_;
  std::vector<ProjectionState> projections_;
  bool have_locks_ = false;
  bool started_ = false;
  bool caught_up_ = false;
  std::atomic<bool> stop_requested_{false};

  WriteTransaction transaction_;
  Skipping skipping_;
  std::chrono::steady_clock::time_point heartbeat_last_;
  RunProgress progress_;

  Published published_;  // shared with other threads
};

}  // namespace strata::projection
