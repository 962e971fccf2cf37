// projection/: read models built from a topic, in SQLite, exactly once. The core engine does not link SQLite;
// this folder uses the engine's public API only (strata/log.h, reader.h, topics.h).
//
//   auto projector = strata::projection::Projector::open({.database = "orders.db", .topic = "orders",
//                                                          .log = log.get()}).value();
//   projector->add({.name = "totals",
//                   .schema = "CREATE TABLE totals(id TEXT PRIMARY KEY, total REAL)",
//                   .apply = "INSERT INTO totals VALUES(:key, :value->>'$.total') "
//                            "ON CONFLICT(id) DO UPDATE SET total = total + excluded.total"});
//   projector->catch_up();             // or follow() on a thread, stop() from another
//
// Exactly once: every transaction applies a batch of events AND advances each projection's checkpoint row
// per partition (table strata_checkpoint: the next offset to apply), so after a crash at any moment the read
// model holds each event once: a commit carries both or neither. Two projectors on one database file are
// kept apart by a lock file (<database>-strata-lock) and, for a rebuild that replaces the file's contents
// under a running projector, by SQLite's data_version (the running one reloads its checkpoints).
//
// What is applied: durable events only. With `log`, acknowledged events (Log::reader); with `log_directory`
// (a log another process writes), what the writer has fdatasynced (Reader::open with ReadLevel::kDurable,
// which reads the synced offset the writer publishes in each partition directory). A read model never holds
// an event the log can still lose.
//
// The checkpoint also records the topic's log_id and a hash of each projection's definition. A projection
// whose log was recreated, whose checkpoint is past the log's end, or whose definition changed is refused
// with a message that says so, or rebuilt (RebuildMode).
//
// Threads: one thread drives a Projector (catch_up, follow); stop(), wait_until() and positions() may be
// called from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "strata/log.h"
#include "strata/reader.h"
#include "strata/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace strata::projection {

class Engine;

// The open SQLite transaction a handler projection writes in. Valid during the call only.
class Transaction {
 public:
  sqlite3* db() const { return db_; }
  // Runs one or more statements without parameters.
  Status exec(std::string_view sql);
  // A statement prepared once per Projector and kept by its text, reset and with its bindings cleared.
  Result<sqlite3_stmt*> statement(std::string_view sql);
  // Steps `stmt` until done (rows ignored) and resets it; the error carries SQLite's message.
  Status run(sqlite3_stmt* stmt);

 private:
  friend class Engine;
  explicit Transaction(Engine* engine, sqlite3* db) : engine_(engine), db_(db) {}
  Engine* engine_;
  sqlite3* db_;
};

// SQL statements run for each event with the named parameters :partition :offset :timestamp_us :key :value
// (key and value bound as TEXT when valid UTF-8, else BLOB; an empty key is NULL). `schema` runs once, in the
// transaction that creates the projection.
struct SqlProjection {
  std::string name;  // the checkpoint's name; letters, digits, '_', '-', '.'
  std::string schema;
  std::string apply;
};

// A C++ projection. Change `version` whenever `apply` changes meaning: the stored version is compared like
// an SQL projection's text, and a change is refused (or rebuilt).
struct HandlerProjection {
  std::string name;
  std::string version;
  std::function<Status(Transaction&)> schema;  // optional; runs once, like SqlProjection::schema
  std::function<Status(Transaction&, const Event&)> apply;
};

enum class OnError : std::uint8_t {
  kStop,  // a failing event rolls its batch back and stops: "partition P offset O: <message>"
  kSkip,  // the failing event goes to strata_dead_letter in the same transaction; the projection goes on
};

enum class RebuildMode : std::uint8_t {
  kNever,     // a recreated log, a checkpoint past the log's end or a changed definition is an error
  kIfNeeded,  // any of those rebuilds
  kAlways,    // rebuild now, whatever the checkpoint says
};

struct Progress {
  std::uint64_t applied_events = 0;    // by this run
  std::uint64_t remaining_events = 0;  // to the end the log had when the run started
  double events_per_s = 0;
};

struct ProjectorOptions {
  std::string database;  // the SQLite file (created if missing)
  std::string topic;
  Log* log = nullptr;         // in-process: durable events only. REQUIRES: outlives the Projector.
  std::string log_directory;  // or: a log directory another process writes (used when `log` is null)
  std::size_t batch_events_max = 10'000;  // events per transaction
  // Once caught up, a transaction is committed when the readers have nothing more, or at the latest this
  // long after its first event.
  std::chrono::microseconds live_commit_interval{2'000};
  OnError on_error = OnError::kStop;
  RebuildMode rebuild = RebuildMode::kNever;
  // Skipping: this many failures in a row with the same message and no success stop the projection (a
  // statement wrong for every event is reported once instead of filling the dead-letter table).
  std::uint64_t skip_streak_max = 1'000;
  std::function<void(const Progress&)> progress;  // called about every progress_interval while catching up
  std::chrono::milliseconds progress_interval{200};
};

struct RunSummary {
  std::uint64_t events_applied = 0;  // events read and applied (or dead-lettered) by this Projector
  std::uint64_t dead_letters = 0;
  std::uint64_t transactions = 0;
  bool rebuilt = false;
  // A rebuild was swapped in while another projector holds the database's lock: that one goes on following
  // (from the rebuilt contents) and this one stopped after the swap.
  bool handed_over = false;
  // Times another connection's commit (a rebuild swapped in) made this projector reload its checkpoints.
  std::uint64_t reloads = 0;
};

// Per partition: where the read model stands and where the log ends.
struct PartitionStatus {
  std::uint32_t partition = 0;
  std::uint64_t next_offset = 0;  // events below it are applied
  std::uint64_t end_offset = 0;   // the log's durable end
  std::uint64_t lag_events = 0;
  double lag_seconds = 0;  // how long the oldest unapplied event has waited (0 without lag)
};

struct ProjectionStatus {
  std::string name;
  std::string topic;
  std::string log_directory;
  std::string state;  // catching-up | live | stopped | failed | not running
  bool running = false;
  std::string error;  // the failure that stopped it (state failed)
  bool log_recreated = false;
  std::vector<PartitionStatus> partitions;
  std::uint64_t lag_events = 0;
  double lag_seconds = 0;  // the largest over partitions
  std::uint64_t dead_letters = 0;
};

// Reads every projection's checkpoint in `database` and the end of its log (the directory recorded with
// it); does not disturb a projector writing the database.
Result<std::vector<ProjectionStatus>> read_status(const std::string& database);

class Projector {
 public:
  // Opens (creating) the database (WAL mode) and the topic's readers. Takes the database's lock file:
  // kBusy when another projector writes it (except with RebuildMode::kAlways, which may rebuild beside it).
  static Result<std::unique_ptr<Projector>> open(ProjectorOptions options);
  ~Projector();  // records the state (stopped or failed) and closes the database
  Projector(const Projector&) = delete;
  Projector& operator=(const Projector&) = delete;

  // REQUIRES: before the first catch_up() / follow(); names are unique.
  Status add(SqlProjection projection);
  Status add(HandlerProjection projection);

  // Applies events until every partition reached the end it had when called. The first call checks the
  // checkpoints against the log and the definitions, creates new projections, and rebuilds if asked.
  Status catch_up();
  // catch_up(), then applies new events as they become visible until stop() or an error.
  Status follow();
  // Any thread: makes follow() (or catch_up()) return after its current transaction.
  void stop();

  // Any thread. Waits until every projection has applied `offset` of `partition` (read-your-writes: wait
  // for the offset an append was acknowledged at, then query the database). kTimedOut after `timeout`;
  // kClosed if the projector stopped (by an error or stop()) before.
  Status wait_until(std::uint32_t partition, std::uint64_t offset, std::chrono::nanoseconds timeout);
  // Any thread: the committed next offset per partition (the smallest over the projections).
  std::vector<std::uint64_t> positions() const;

  RunSummary summary() const;
  std::uint32_t partitions() const;

 private:
  explicit Projector(std::unique_ptr<Engine> engine);
  std::unique_ptr<Engine> engine_;
};

}  // namespace strata::projection
