// The machinery behind Projector: the database and its metadata tables, one reader per partition, the
// transaction loop, the checkpoint checks and the rebuild beside the live file. Internal to projection/.
//
// One transaction, as the loop runs it:
//
//   BEGIN IMMEDIATE; PRAGMA data_version   -- changed since our last commit: another connection (a rebuild's
//                                          -- swap) rewrote the file: roll back and reload the checkpoints
//   per event, per projection whose checkpoint is at or below the event's offset: its statements
//   UPDATE strata_checkpoint (each projection, each partition that moved); UPDATE strata_projection (state)
//   COMMIT
//
// The transaction begins lazily, at the first event a poll hands out, so an idle projector holds no lock.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "projection/projector.h"
#include "projection/sqlite.h"
#include "strata/log.h"
#include "strata/reader.h"

namespace strata::projection {

// The file names the projector keeps beside the database.
std::string lock_path(const std::string& database);
std::string rebuild_path(const std::string& database);

// A projection's definition as stored and compared.
struct Definition {
  std::string name;
  bool is_sql = true;
  SqlProjection sql;
  HandlerProjection handler;
  std::string hash;  // 16 hex digits over the SQL text or the handler's declared version
};

struct BoundStatement {
  Statement statement;
  // Parameter indexes (0: the statement does not use it).
  int partition = 0, offset = 0, timestamp_us = 0, key = 0, value = 0;
};

struct ProjectionState {
  Definition definition;
  std::vector<BoundStatement> statements;    // SQL projections
  std::vector<std::uint64_t> committed;      // per partition: the next offset to apply, as committed
  std::vector<std::int64_t> committed_time;  // per partition: timestamp of the last applied event
};

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
  Status wait_until(std::uint32_t partition, std::uint64_t offset, std::chrono::nanoseconds timeout);
  std::vector<std::uint64_t> positions() const;
  RunSummary summary() const;
  std::uint32_t partitions() const { return topic_.partitions; }

  // For Transaction.
  Result<sqlite3_stmt*> handler_statement(std::string_view sql);
  sqlite3* db() const { return db_.get(); }

 private:
  Engine() = default;

  struct StoredProjection {
    std::string name, topic, log_id, definition_hash;
    std::uint32_t partitions = 0;
  };

  Status open_readers();
  Status start();
  Result<std::vector<StoredProjection>> load_stored();
  Status load_checkpoints(ProjectionState& projection);
  Status create_projection(ProjectionState& projection);
  Status prepare_apply(ProjectionState& projection);
  Status check_against_log(const ProjectionState& projection, const StoredProjection& stored,
                           std::string* mismatch);
  Status rebuild_beside(const std::vector<StoredProjection>& stored);
  Status reload_after_swap();
  Result<std::vector<std::uint64_t>> live_positions();
  Status seek_readers();

  // The loop.
  Result<std::size_t> poll_round();
  void on_event(std::uint32_t partition, const Event& event);
  Status apply(ProjectionState& projection, const Event& event, bool key_text, bool value_text);
  void apply_careful(ProjectionState& projection, const Event& event, bool key_text, bool value_text);
  Status begin_transaction();
  Status commit_transaction();
  void rollback_transaction();
  void idle_wait(unsigned idle_rounds);
  Status check_log_identity();
  void report_progress(std::uint64_t applied, const std::vector<std::uint64_t>& targets, bool force);
  void finish(const Status& status);

  ProjectorOptions options_;
  OpenMode mode_;
  TopicInfo topic_;
  std::string log_directory_;  // absolute
  Connection db_;
  // WAL checkpoints beside the writer (start_checkpointer in engine.cc says why).
  static constexpr int kWalPagesCheckpoint = 1'000;
  static constexpr int kWalPagesHardMax = 16'000;
  Status start_checkpointer();
  void stop_checkpointer();
  void run_checkpointer();
  std::uint64_t request_checkpoint();
  void wait_for_checkpoint(std::uint64_t request);
  static int on_wal_commit(void* engine, sqlite3* db, const char* schema, int wal_pages);
  Connection checkpoint_db_;
  std::thread checkpointer_;
  std::mutex checkpoint_mutex_;
  std::condition_variable checkpoint_wake_, checkpoint_done_;
  std::uint64_t checkpoints_requested_ = 0;  // guarded by checkpoint_mutex_
  std::uint64_t checkpoints_completed_ = 0;  // guarded by checkpoint_mutex_
  bool checkpoint_stop_ = false;             // guarded by checkpoint_mutex_
  int wal_pages_ = 0;                        // the WAL's size after the last commit (the projector's thread)

  int lock_fd_ = -1;
  bool have_lock_ = false;
  std::vector<std::unique_ptr<Reader>> readers_;
  std::vector<std::uint64_t> read_position_;  // per partition: the next offset to read in this transaction
  std::vector<std::int64_t> read_time_;       // per partition: timestamp of the last event read
  std::vector<ProjectionState> projections_;
  bool started_ = false;
  bool caught_up_ = false;
  std::atomic<bool> stop_requested_{false};

  // Internal statements.
  Statement begin_, commit_, rollback_, data_version_, update_checkpoint_, update_state_, insert_dead_letter_,
      savepoint_, release_, rollback_to_;
  std::map<std::string, Statement, std::less<>> handler_statements_;

  // The open transaction.
  bool transaction_open_ = false;
  std::uint64_t transaction_events_ = 0;
  std::chrono::steady_clock::time_point transaction_started_;
  std::int64_t data_version_seen_ = -1;
  bool careful_ = false;                    // applying each event in a savepoint (skip mode, after a failure)
  std::uint64_t pending_dead_letters_ = 0;  // dead letters in the open transaction

  // What the current poll round ran into.
  bool abort_round_ = false;
  bool reload_needed_ = false;
  bool retry_careful_ = false;
  Status round_error_;

  // Skip mode: the run of failures with one message and no success between.
  std::string streak_message_;
  std::uint64_t streak_events_ = 0;
  std::uint32_t streak_partition_ = 0;
  std::uint64_t streak_offset_ = 0;

  std::chrono::steady_clock::time_point run_started_, progress_last_;
  std::uint64_t run_applied_ = 0;

  // Shared with other threads (wait_until, positions, summary).
  mutable std::mutex mutex_;
  std::condition_variable committed_changed_;
  std::vector<std::uint64_t> committed_min_;
  bool finished_ = false;
  RunSummary summary_;
  std::string final_state_ = "stopped";
  std::string final_error_;
};

}  // namespace strata::projection
