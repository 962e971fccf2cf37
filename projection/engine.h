// The machinery behind Projector: the topics' readers, the transaction loop, the heartbeat and the rebuild
// beside the live file. The tables and the definition checks are CheckpointStore's (checkpoint_store.h), the
// WAL checkpoints WalCheckpointer's, the SQL statements SqlApply's. Internal to projection/.
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
// every heartbeat_interval.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "strata/file_lock.h"
#include "projection/checkpoint_store.h"
#include "projection/projector.h"
#include "projection/sql_apply.h"
#include "projection/sqlite.h"
#include "projection/wal_checkpointer.h"
#include "strata/log.h"
#include "strata/reader.h"
#include "strata/topics.h"

namespace strata::projection {

// The files the projector keeps beside the database.
std::string lock_path(const std::string& database, std::string_view projection);
std::string rebuild_path(const std::string& database);

// A projection's definition as stored and compared.
struct Definition {
  std::string name;
  bool is_sql = true;
  std::string schema;
  std::vector<TopicApply> topics;  // the handler's: topics with empty statements
  HandlerProjection handler;
  std::string hash;  // 16 hex digits over the topics and normalized statements, or the handler's version
};
Definition sql_definition(SqlProjection projection, const std::string& default_topic);
Definition handler_definition(HandlerProjection projection, const std::string& default_topic);

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
                    std::chrono::nanoseconds timeout);
  std::vector<std::uint64_t> positions(std::string_view topic) const;
  RunSummary summary() const;
  std::uint32_t partitions(std::string_view topic) const;
  const std::string& default_topic() const { return options_.topic; }

  // For Transaction.
  Result<sqlite3_stmt*> handler_statement(std::string_view sql);
  sqlite3* db() const { return db_.get(); }

 private:
  Engine() = default;

  static constexpr std::uint64_t kUnread = UINT64_MAX;  // a projection's checkpoint for a topic it does not read

  // One partition of one topic.
  struct Stream {
    std::size_t source = 0;  // index into sources_
    std::uint32_t partition = 0;
    std::unique_ptr<Reader> reader;
    std::uint64_t read_position = 0;  // the next offset to read in this transaction
    std::int64_t read_time = 0;       // timestamp of the last event read
  };
  struct Source {
    TopicInfo info;
    std::size_t first_stream = 0;
  };
  struct ProjectionState {
    Definition definition;
    std::vector<std::optional<SqlApply>> apply;  // per source; empty where the projection does not read it
    std::vector<bool> reads;                     // per source
    std::vector<std::uint64_t> committed;        // per stream: the next offset to apply, as committed
    FileLock lock;
  };
  // Why a poll round ended before its end.
  enum class RoundEnd : std::uint8_t {
    kNone,
    kFailed,        // round_error_ says why
    kReload,        // another connection rewrote the file: roll back, reload the checkpoints
    kRetryCareful,  // an event failed under --on-error skip: roll back, apply again in savepoints
  };

  // Starting (engine_start.cc).
  Status wait_for_sources(bool follow);
  Status open_sources();
  Status take_locks(bool* all_held);
  Status start(bool follow);
  Status check_stored(std::vector<std::string>* mismatches, std::map<std::string, std::string>* stored_hashes);
  Status create_projection(ProjectionState& projection);
  Status load_projection(ProjectionState& projection);
  Status seek_readers();
  Status prepare_loop();
  std::vector<TopicLog> topic_logs(const ProjectionState& projection) const;
  Status rebuild_beside(const std::map<std::string, std::string>& stored_hashes);
  Status copy_over_live(sqlite3* source);
  Result<std::vector<std::uint64_t>> live_positions();
  Status reload_after_swap();

  // The loop (engine.cc).
  Result<std::size_t> poll_round();
  void on_event(std::size_t stream, const Event& event);
  Status apply(ProjectionState& projection, std::size_t source, const Event& event, bool key_text,
               bool value_text);
  void apply_careful(ProjectionState& projection, std::size_t source, const Event& event, bool key_text,
                     bool value_text);
  void end_round(RoundEnd end, Status error = Status::ok());
  Status handle_round_end();
  Status begin_transaction();
  Status commit_transaction();
  void rollback_transaction();
  Status save_heartbeats(std::int64_t now_us);
  Status heartbeat();
  Status check_database_file();
  bool at_end() const;
  void idle_wait();
  Status check_log_identity();
  void report_progress(std::uint64_t applied, const std::vector<std::uint64_t>& targets, bool force);
  void publish_positions();
  void finish(const Status& status);
  Status run_loop(bool follow);

  ProjectorOptions options_;
  OpenMode mode_;
  std::string log_directory_;  // absolute
  Connection db_;
  CheckpointStore store_;
  WalCheckpointer checkpointer_;
  ino_t database_inode_ = 0;
  dev_t database_device_ = 0;

  std::vector<Source> sources_;
  std::vector<Stream> streams_;
  std::vector<ProjectionState> projections_;
  bool have_locks_ = false;
  bool started_ = false;
  bool caught_up_ = false;
  std::atomic<bool> stop_requested_{false};

  Statement begin_, commit_, rollback_, data_version_, savepoint_, release_, rollback_to_;
  std::map<std::string, Statement, std::less<>> handler_statements_;

  // The open transaction.
  bool transaction_open_ = false;
  std::uint64_t transaction_events_ = 0;
  std::chrono::steady_clock::time_point transaction_started_, heartbeat_last_;
  std::int64_t data_version_seen_ = -1;
  bool careful_ = false;                    // applying each event in a savepoint (skip mode, after a failure)
  std::uint64_t pending_dead_letters_ = 0;  // dead letters in the open transaction
  RoundEnd round_end_ = RoundEnd::kNone;
  Status round_error_;

  // Skip mode: the run of failures with one message and no success between.
  std::string streak_message_;
  std::uint64_t streak_events_ = 0;
  std::string streak_where_;

  std::chrono::steady_clock::time_point run_started_, progress_last_;
  std::uint64_t run_applied_ = 0;

  // Shared with other threads (wait_until, positions, summary).
  mutable std::mutex mutex_;
  std::condition_variable committed_changed_;
  std::vector<std::pair<std::string, std::uint32_t>> stream_keys_;  // (topic, partition) per stream
  std::vector<std::uint64_t> committed_min_;                       // per stream
  bool finished_ = false;
  RunSummary summary_;
};

}  // namespace strata::projection
