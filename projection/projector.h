// projection/: read models built from topics, in SQLite, exactly once. The core engine does not link SQLite;
// this folder uses the engine's public API only (strata/log.h, reader.h, topics.h).
//
//   auto projector = strata::projection::Projector::open({.database = "orders.db", .log = log.get()}).value();
//   projector->add({.name = "orders",
//                   .schema = "CREATE TABLE totals(id TEXT PRIMARY KEY, total REAL)",
//                   .topics = {{"orders", "INSERT INTO totals VALUES(:key, :value->>'$.total') "
//                                         "ON CONFLICT(id) DO UPDATE SET total = total + excluded.total"},
//                              {"refunds", "UPDATE totals SET total = total - (:value->>'$.amount') "
//                                          "WHERE id = :key"}}});
//   projector->catch_up();             // or follow() on a thread, stop() from another
//
// Exactly once: every transaction applies a batch of events AND advances each projection's checkpoint row
// per topic and partition (table strata_checkpoint: the next offset to apply), so after a crash at any
// moment the read model holds each event once: a commit carries both or neither.
//
// Order: within a partition, offset order. Across partitions and topics nothing is promised: a transaction
// takes up to 4,096 events from each partition in turn (topics in the order the projections name them,
// partitions ascending), so an event of `users` may be applied before an earlier-timestamped one of
// `orders`. A model over several topics must not depend on that order (upserts, or rows keyed by the event).
//
// Several projections (distinct names) may share a database, in one Projector or in several processes: each
// has its own checkpoint rows and lock file (<database>-strata-lock-<name>); writers take turns through
// SQLite's own locking (a busy timeout of 10 s). A rebuild that replaces the file's contents under a running
// projector is noticed through SQLite's data_version (the running one reloads its checkpoints, or stops when
// it was rebuilt with another definition).
//
// What is applied: durable events only. With `log`, acknowledged events (Log::reader); with `log_directory`
// (a log another process writes), what the writer has published as synced (Reader::open with
// ReadLevel::kDurable). A read model never holds an event the log can still lose.
//
// The checkpoint also records each topic's log_id and a hash of the projection's definition (its topics and
// apply statements, whitespace-normalized; not the schema, which runs once). A projection whose log was
// recreated, whose checkpoint is past the log's end, or whose definition changed is refused with a message
// that says so, or rebuilt (RebuildMode).
//
// Health: a running projector writes a heartbeat into strata_projection every heartbeat_interval (and with
// every commit); read_status() calls a projection running while that heartbeat is fresh.
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
class StatementCache;

// The open SQLite transaction a handler projection writes in. Valid during the call only.
class Transaction {
 public:
  sqlite3* db() const { return db_; }
  // The topic of the event being applied (empty in a schema callback).
  std::string_view topic() const { return topic_; }
  // Runs one or more statements without parameters.
  Status exec(std::string_view sql);
  // A statement prepared once per Projector and kept by its text, reset and with its bindings cleared.
  Result<sqlite3_stmt*> statement(std::string_view sql);
  // Steps `stmt` until done (rows ignored) and resets it; the error carries SQLite's message.
  Status run(sqlite3_stmt* stmt);

 private:
  friend class Engine;
  Transaction(StatementCache* statements, sqlite3* db, std::string_view topic = {})
      : statements_(statements), db_(db), topic_(topic) {}
  StatementCache* statements_;
  sqlite3* db_;
  std::string_view topic_;
};

// One topic of an SQL projection and the statements run for each of its events.
struct TopicApply {
  std::string topic;
  std::string apply;
};

// SQL statements run for each event with the named parameters :topic :partition :offset :timestamp_us :key
// :value :headers (key and value bound as TEXT when valid UTF-8, else BLOB; an empty key is NULL; headers as
// a JSON object, each value as text when valid UTF-8, else base64). `schema` runs once, in the transaction
// that creates the projection, and is not part of its definition.
struct SqlProjection {
  std::string name;  // the checkpoint's name; letters, digits, '_', '-', '.'
  std::string schema = {};
  std::string apply = {};              // the statements for ProjectorOptions::topic (a projection of one topic)
  std::vector<TopicApply> topics = {};  // or: statements per topic (each topic once)
};

// A C++ projection. Change `version` whenever `apply` changes meaning: the stored version is compared like
// an SQL projection's text, and a change is refused (or rebuilt). tests/projection/handler_example_test.cc
// keeps an in-memory index this way.
struct HandlerProjection {
  std::string name;
  std::string version;
  std::vector<std::string> topics = {};        // empty: ProjectorOptions::topic
  std::function<Status(Transaction&)> schema = {};  // optional; runs once, like SqlProjection::schema
  // Transaction::topic() names the event's topic.
  std::function<Status(Transaction&, const Event&)> apply;
};

enum class OnError : std::uint8_t {
  kStop,  // a failing event rolls its batch back and stops: "topic T partition P offset O: <message>"
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
  std::string topic = {};  // the topic of projections that name none (SqlProjection::apply)
  Log* log = nullptr;         // in-process: durable events only. REQUIRES: outlives the Projector.
  std::string log_directory = {};  // or: a log directory another process writes (used when `log` is null)
  std::size_t batch_events_max = 10'000;  // events per transaction
  // Once caught up, a transaction is committed when the readers have nothing more, or at the latest this
  // long after its first event.
  std::chrono::microseconds live_commit_interval{2'000};
  OnError on_error = OnError::kStop;
  RebuildMode rebuild = RebuildMode::kNever;
  // Skipping: this many failures in a row with the same message and no success stop the projection (a
  // statement wrong for every event is reported once instead of filling the dead-letter table).
  std::uint64_t skip_streak_max = 1'000;
  std::function<void(const Progress&)> progress = {};  // called about every progress_interval while catching up
  std::chrono::milliseconds progress_interval{200};
  // How often a running projector proves it runs (read_status: running while the last one is at most
  // 3 intervals + 1 s old). An idle follower also checks then that its database file is still there.
  std::chrono::milliseconds heartbeat_interval{1'000};
  // follow() on a log directory or topic that does not exist yet waits for it; this is told once what it
  // waits for (the CLI prints it on stderr).
  std::function<void(const std::string&)> waiting = {};
};

struct RunSummary {
  std::uint64_t events_applied = 0;  // events read and applied (or dead-lettered) by this Projector
  std::uint64_t dead_letters = 0;
  std::uint64_t transactions = 0;
  bool rebuilt = false;
  // A rebuild was swapped in while another projector runs the projection: that one goes on following from
  // the rebuilt contents (its definition is the rebuilt one), or stops (it runs another definition:
  // follower_stops), and this one stopped after the swap.
  bool handed_over = false;
  bool follower_stops = false;
  // Times another connection's commit (a rebuild swapped in) made this projector reload its checkpoints.
  std::uint64_t reloads = 0;
};

// Per topic and partition: where the read model stands and where the log ends.
struct PartitionStatus {
  std::string topic;
  std::uint32_t partition = 0;
  std::uint64_t next_offset = 0;  // events below it are applied
  std::uint64_t end_offset = 0;   // the log's durable end
  std::uint64_t lag_events = 0;
  double lag_seconds = 0;  // how long the oldest unapplied event has waited (0 without lag)
};

struct ProjectionStatus {
  std::string name;
  std::vector<std::string> topics;
  std::string log_directory;
  // live: running, at the durable end when it last looked; catching-up: running, behind; stopped: nobody
  // runs it; failed: nobody runs it, and the last run ended with `error`.
  std::string state;
  bool running = false;          // a heartbeat at most 3 intervals + 1 s old
  std::int64_t heartbeat_us = 0;  // wall clock of the last heartbeat (0: none since it stopped)
  std::string error;              // the failure that stopped it (state failed)
  bool log_recreated = false;
  std::vector<PartitionStatus> partitions;
  std::uint64_t lag_events = 0;
  double lag_seconds = 0;  // the largest over partitions
  std::uint64_t dead_letters = 0;
};

// Reads every projection's checkpoint in `database` and the end of its log (the directory recorded with
// it); does not disturb a projector writing the database.
Result<std::vector<ProjectionStatus>> read_status(const std::string& database);

// Removes projection `name`'s rows (definition, checkpoints, dead letters) from `database`; its model tables
// are left to their owner. kBusy while a projector runs it; kNotFound when there is none.
Status drop_projection(const std::string& database, const std::string& name);

class Projector {
 public:
  // Opens (creating) the database (WAL mode). The topics are opened, and each projection's lock file taken,
  // at the first catch_up() / follow(): kBusy when another projector runs one of them (except with a
  // rebuild to do, which is built beside it and handed over).
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

  // Any thread. Waits until every projection reading `topic` has applied `offset` of `partition`
  // (read-your-writes: wait for the offset an append was acknowledged at, then query the database).
  // kTimedOut after `timeout`; kClosed if the projector stopped (by an error or stop()) before. Without a
  // topic: ProjectorOptions::topic, or the only topic.
  Status wait_until(std::string_view topic, std::uint32_t partition, std::uint64_t offset,
                    std::chrono::nanoseconds timeout);
  Status wait_until(std::uint32_t partition, std::uint64_t offset, std::chrono::nanoseconds timeout) {
    return wait_until({}, partition, offset, timeout);
  }
  // Any thread: the committed next offset per partition of `topic` (the smallest over the projections that
  // read it); empty before the topics are opened.
  std::vector<std::uint64_t> positions(std::string_view topic = {}) const;

  RunSummary summary() const;
  std::uint32_t partitions(std::string_view topic = {}) const;

 private:
  explicit Projector(std::unique_ptr<Engine> engine);
  std::unique_ptr<Engine> engine_;
};

}  // namespace strata::projection
