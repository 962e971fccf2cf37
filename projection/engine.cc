#include "projection/engine.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <thread>

#include "projection/text.h"
#include "strata/topics.h"

namespace strata::projection {

namespace {

// The projector's own tables. `partition` and `offset` read naturally in queries; SQLite accepts both as
// column names.
constexpr const char* kMetadataSql = R"sql(
CREATE TABLE IF NOT EXISTS strata_projection(
  name TEXT PRIMARY KEY,
  topic TEXT NOT NULL,
  log_directory TEXT NOT NULL,
  log_id TEXT NOT NULL,           -- the topic's identity when the projection was built (TopicInfo::log_id)
  partitions INTEGER NOT NULL,
  definition_hash TEXT NOT NULL,  -- over the SQL text, or a handler's declared version
  state TEXT NOT NULL,            -- catching-up | live | stopped | failed
  error TEXT,                     -- what stopped it, when failed
  updated_us INTEGER NOT NULL     -- wall clock of the last commit
);
CREATE TABLE IF NOT EXISTS strata_checkpoint(
  name TEXT NOT NULL,
  partition INTEGER NOT NULL,
  next_offset INTEGER NOT NULL,        -- every event below it is applied, none at or above
  last_timestamp_us INTEGER NOT NULL,  -- the last applied event's timestamp (0 before any)
  PRIMARY KEY(name, partition)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS strata_dead_letter(
  name TEXT NOT NULL,
  partition INTEGER NOT NULL,
  offset INTEGER NOT NULL,
  timestamp_us INTEGER NOT NULL,
  key BLOB,
  value BLOB,
  error TEXT NOT NULL,
  PRIMARY KEY(name, partition, offset)
) WITHOUT ROWID;
)sql";

constexpr std::size_t kPollEventsMax = 4096;  // per Reader::poll call
constexpr auto kLogIdentityCheckInterval = std::chrono::seconds(1);
constexpr auto kBackupBusyDeadline = std::chrono::seconds(60);

std::int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void bind_text(sqlite3_stmt* stmt, int index, std::string_view text) {
  sqlite3_bind_text(stmt, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
}

// Errors of the machine rather than of an event: never dead-lettered.
bool is_operating_error(StatusCode code) {
  return code == StatusCode::kNoSpace || code == StatusCode::kIoError || code == StatusCode::kBusy ||
         code == StatusCode::kCorruption;
}

void remove_database_files(const std::string& path) {
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) ::unlink((path + suffix).c_str());
}

std::string rebuild_hint() {
  return "rebuild it (strata project --rebuild; RebuildMode::kIfNeeded in C++)";
}

}  // namespace

std::string lock_path(const std::string& database) {
  return database + "-strata-lock";
}
std::string rebuild_path(const std::string& database) {
  return database + ".rebuild";
}

Result<std::unique_ptr<Engine>> Engine::open(ProjectorOptions options, const OpenMode& mode) {
  if (options.database.empty()) return invalid_argument("no database file given");
  if (options.batch_events_max == 0) return invalid_argument("the batch must hold at least one event");
  STRATA_RETURN_IF_ERROR(validate_topic_name(options.topic));
  std::unique_ptr<Engine> engine(new Engine());
  engine->options_ = std::move(options);
  engine->mode_ = mode;
  const ProjectorOptions& opts = engine->options_;

  // The topic: its partitions and the identity of its history.
  if (opts.log != nullptr) {
    bool found = false;
    for (TopicInfo& info : opts.log->topics()) {
      if (info.name == opts.topic) {
        engine->topic_ = std::move(info);
        found = true;
      }
    }
    if (!found) return Status(StatusCode::kNotFound, "the log has no topic " + opts.topic);
    engine->log_directory_ = opts.log->options().directory;
  } else {
    if (opts.log_directory.empty()) return invalid_argument("neither a Log nor a log directory given");
    auto info = read_topic_info(opts.log_directory, opts.topic);
    if (!info) return info.status();
    engine->topic_ = std::move(info.value());
    engine->log_directory_ = opts.log_directory;
  }
  std::error_code ignored;
  const auto absolute = std::filesystem::absolute(engine->log_directory_, ignored);
  if (!absolute.empty()) engine->log_directory_ = absolute.lexically_normal().string();

  // The lock file: one projector writes a database at a time.
  const std::string lock = lock_path(opts.database);
  engine->lock_fd_ = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (engine->lock_fd_ < 0) return io_error("opening " + lock + ": " + std::strerror(errno));
  if (::flock(engine->lock_fd_, LOCK_EX | LOCK_NB) == 0) {
    engine->have_lock_ = true;
  } else if (errno != EWOULDBLOCK || opts.rebuild != RebuildMode::kAlways) {
    return Status(StatusCode::kBusy,
                  "another projector is writing " + opts.database + " (it holds " + lock + ")");
  }
  if (mode.fresh) remove_database_files(opts.database);

  auto connection = Connection::open(opts.database);
  if (!connection) return connection.status();
  engine->db_ = std::move(connection.value());
  Connection& db = engine->db_;
  if (mode.page_size > 0) {
    STRATA_RETURN_IF_ERROR(db.exec("PRAGMA page_size=" + std::to_string(mode.page_size)));
  }
  auto journal = db.prepare("PRAGMA journal_mode=WAL");
  if (!journal) return journal.status().with_context("setting WAL mode on " + opts.database);
  if (sqlite3_step(journal->get()) != SQLITE_ROW ||
      std::string_view(reinterpret_cast<const char*>(sqlite3_column_text(journal->get(), 0))) != "wal") {
    return Status(StatusCode::kUnsupported, opts.database + ": SQLite refused WAL mode");
  }
  journal = Statement();
  // NORMAL in WAL mode syncs at checkpoints, not at each commit: a power loss may undo the last commits,
  // and with them their checkpoint rows, so the undone events are applied again: still exactly once.
  STRATA_RETURN_IF_ERROR(
      db.exec(mode.synchronous_off ? "PRAGMA synchronous=OFF" : "PRAGMA synchronous=NORMAL"));
  // 64 MiB of page cache: an upsert per event touches index pages all over the table while catching up.
  STRATA_RETURN_IF_ERROR(db.exec("PRAGMA cache_size=-65536"));
  if (engine->have_lock_) {
    Status status = db.exec(kMetadataSql);
    if (!status) return std::move(status).with_context(opts.database);
  }

  struct Prepared {
    Statement* statement;
    const char* sql;
  };
  const Prepared prepared[] = {
      {&engine->begin_, "BEGIN IMMEDIATE"},
      {&engine->commit_, "COMMIT"},
      {&engine->rollback_, "ROLLBACK"},
      {&engine->data_version_, "PRAGMA data_version"},
      {&engine->savepoint_, "SAVEPOINT strata_event"},
      {&engine->release_, "RELEASE strata_event"},
      {&engine->rollback_to_, "ROLLBACK TO strata_event"},
  };
  for (const Prepared& p : prepared) {
    auto statement = db.prepare(p.sql);
    if (!statement) return statement.status().with_context(p.sql);
    *p.statement = std::move(statement.value());
  }
  STRATA_RETURN_IF_ERROR(engine->open_readers());
  STRATA_RETURN_IF_ERROR(engine->start_checkpointer());
  return engine;
}

// WAL checkpoints on a connection and thread of their own. SQLite's automatic checkpoint runs inside the
// COMMIT that crosses 1,000 WAL pages, copying pages and syncing the file while the projector waits (a live
// commit then takes milliseconds: p99 live lag 10 ms against 1-2 ms without, on a 2-core VM); a PASSIVE
// checkpoint from another connection runs beside the writer instead. The WAL restarts from its beginning
// only when a write transaction begins with every frame copied back, which a writer committing back to back
// (catching up) never sees; so once the WAL holds kWalPagesHardMax pages, the writer waits after its commit
// for a checkpoint of everything, and its next transaction restarts the WAL.
Status Engine::start_checkpointer() {
  auto connection = Connection::open(options_.database);
  if (!connection) return connection.status().with_context("opening the checkpoint connection");
  checkpoint_db_ = std::move(connection.value());
  STRATA_RETURN_IF_ERROR(db_.exec("PRAGMA wal_autocheckpoint=0"));
  if (mode_.synchronous_off) STRATA_RETURN_IF_ERROR(checkpoint_db_.exec("PRAGMA synchronous=OFF"));
  sqlite3_wal_hook(db_.get(), &Engine::on_wal_commit, this);
  checkpointer_ = std::thread([this] { run_checkpointer(); });
  return Status::ok();
}

int Engine::on_wal_commit(void* engine_pointer, sqlite3*, const char*, int wal_pages) {
  auto* engine = static_cast<Engine*>(engine_pointer);
  engine->wal_pages_ = wal_pages;
  if (wal_pages >= kWalPagesCheckpoint) engine->request_checkpoint();
  return SQLITE_OK;
}

std::uint64_t Engine::request_checkpoint() {
  std::lock_guard lock(checkpoint_mutex_);
  checkpoint_wake_.notify_one();
  return ++checkpoints_requested_;
}

void Engine::wait_for_checkpoint(std::uint64_t request) {
  std::unique_lock lock(checkpoint_mutex_);
  checkpoint_done_.wait(lock, [&] { return checkpoints_completed_ >= request || checkpoint_stop_; });
}

void Engine::run_checkpointer() {
  std::unique_lock lock(checkpoint_mutex_);
  while (!checkpoint_stop_) {
    checkpoint_wake_.wait(
        lock, [&] { return checkpoints_requested_ > checkpoints_completed_ || checkpoint_stop_; });
    if (checkpoint_stop_) break;
    const std::uint64_t serving = checkpoints_requested_;
    lock.unlock();
    // An error (BUSY while another connection checkpoints) leaves the work to the next request.
    (void)sqlite3_wal_checkpoint_v2(checkpoint_db_.get(), "main", SQLITE_CHECKPOINT_PASSIVE, nullptr,
                                    nullptr);
    lock.lock();
    checkpoints_completed_ = serving;
    checkpoint_done_.notify_all();
  }
}

void Engine::stop_checkpointer() {
  if (!checkpointer_.joinable()) return;
  {
    std::lock_guard lock(checkpoint_mutex_);
    checkpoint_stop_ = true;
    checkpoint_wake_.notify_one();
    checkpoint_done_.notify_all();
  }
  checkpointer_.join();
  sqlite3_wal_hook(db_.get(), nullptr, nullptr);
  checkpoint_db_ = Connection();
}

Engine::~Engine() {
  stop_checkpointer();
  if (transaction_open_) rollback_transaction();
  if (started_ && have_lock_ && db_.get() != nullptr) {
    // The state a status query shows once this projector is gone.
    auto statement = db_.prepare("UPDATE strata_projection SET state=?1, error=?2 WHERE name=?3");
    if (statement) {
      for (const ProjectionState& projection : projections_) {
        bind_text(statement->get(), 1, final_state_);
        if (final_error_.empty()) {
          sqlite3_bind_null(statement->get(), 2);
        } else {
          bind_text(statement->get(), 2, final_error_);
        }
        bind_text(statement->get(), 3, projection.definition.name);
        (void)step_to_done(db_.get(), statement->get());  // best effort: only the status display needs it
      }
    }
  }
  handler_statements_.clear();
  db_ = Connection();
  if (lock_fd_ >= 0) ::close(lock_fd_);  // releases the flock
}

Status Engine::open_readers() {
  readers_.clear();
  for (std::uint32_t partition = 0; partition < topic_.partitions; ++partition) {
    Result<std::unique_ptr<Reader>> reader =
        options_.log != nullptr
            ? options_.log->reader(options_.topic, partition)
            : Reader::open(options_.log_directory, options_.topic, partition, ReadLevel::kDurable);
    if (!reader) return reader.status().with_context("partition " + std::to_string(partition));
    readers_.push_back(std::move(reader.value()));
  }
  read_position_.assign(topic_.partitions, 0);
  read_time_.assign(topic_.partitions, 0);
  std::lock_guard lock(mutex_);
  committed_min_.assign(topic_.partitions, 0);
  return Status::ok();
}

Status Engine::add(Definition definition) {
  STRATA_ASSERT(!started_, "Projector::add after the projector started");
  if (definition.name.empty()) return invalid_argument("a projection needs a name");
  for (const char c : definition.name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '.') {
      return invalid_argument("projection name \"" + definition.name +
                              "\": use letters, digits, '_', '-' and '.' only");
    }
  }
  for (const ProjectionState& existing : projections_) {
    if (existing.definition.name == definition.name) {
      return invalid_argument("two projections named " + definition.name);
    }
  }
  if (definition.is_sql && definition.sql.apply.empty()) {
    return invalid_argument("projection " + definition.name + " has no statements to apply");
  }
  if (!definition.is_sql && !definition.handler.apply) {
    return invalid_argument("projection " + definition.name + " has no handler");
  }
  ProjectionState state;
  state.definition = std::move(definition);
  projections_.push_back(std::move(state));
  return Status::ok();
}

// ---- Starting: checkpoints against the log and the definitions -------------------------------------------

Result<std::vector<Engine::StoredProjection>> Engine::load_stored() {
  auto statement = db_.prepare(
      "SELECT name, topic, log_id, partitions, definition_hash FROM strata_projection ORDER BY name");
  if (!statement) return statement.status();
  std::vector<StoredProjection> stored;
  int rc;
  while ((rc = sqlite3_step(statement->get())) == SQLITE_ROW) {
    auto text = [&](int column) {
      const unsigned char* value = sqlite3_column_text(statement->get(), column);
      return value != nullptr ? std::string(reinterpret_cast<const char*>(value)) : std::string();
    };
    stored.push_back({text(0), text(1), text(2), text(4),
                      static_cast<std::uint32_t>(sqlite3_column_int64(statement->get(), 3))});
  }
  if (rc != SQLITE_DONE) return sqlite_status(db_.get(), rc, "reading strata_projection");
  return stored;
}

Status Engine::load_checkpoints(ProjectionState& projection) {
  projection.committed.assign(topic_.partitions, 0);
  projection.committed_time.assign(topic_.partitions, 0);
  auto statement =
      db_.prepare("SELECT partition, next_offset, last_timestamp_us FROM strata_checkpoint WHERE name=?1");
  if (!statement) return statement.status();
  bind_text(statement->get(), 1, projection.definition.name);
  std::vector<bool> seen(topic_.partitions, false);
  int rc;
  while ((rc = sqlite3_step(statement->get())) == SQLITE_ROW) {
    const std::int64_t partition = sqlite3_column_int64(statement->get(), 0);
    const std::int64_t next_offset = sqlite3_column_int64(statement->get(), 1);
    if (partition < 0 || partition >= topic_.partitions || next_offset < 0) {
      return corruption(options_.database + ": projection " + projection.definition.name +
                        " has a checkpoint for partition " + std::to_string(partition) + " at offset " +
                        std::to_string(next_offset) + ", outside topic " + topic_.name);
    }
    const auto p = static_cast<std::size_t>(partition);
    projection.committed[p] = static_cast<std::uint64_t>(next_offset);
    projection.committed_time[p] = sqlite3_column_int64(statement->get(), 2);
    seen[p] = true;
  }
  if (rc != SQLITE_DONE) return sqlite_status(db_.get(), rc, "reading strata_checkpoint");
  for (std::uint32_t p = 0; p < topic_.partitions; ++p) {
    if (!seen[p]) {
      return corruption(options_.database + ": projection " + projection.definition.name +
                        " has no checkpoint for partition " + std::to_string(p));
    }
  }
  return Status::ok();
}

Status Engine::check_against_log(const ProjectionState& projection, const StoredProjection& stored,
                                 std::string* mismatch) {
  const std::string& name = projection.definition.name;
  if (stored.topic != topic_.name) {
    *mismatch = "projection " + name + " in " + options_.database + " was built from topic " + stored.topic +
                ", not " + topic_.name;
    return Status::ok();
  }
  if (stored.log_id != topic_.log_id || stored.partitions != topic_.partitions) {
    *mismatch = "projection " + name + " was built from another history of topic " + topic_.name +
                " (log id " + stored.log_id + ", the log now has " + topic_.log_id +
                "): the topic was deleted and recreated since; " + rebuild_hint();
    return Status::ok();
  }
  if (stored.definition_hash != projection.definition.hash) {
    *mismatch = "projection " + name + "'s definition changed since " + options_.database +
                " was built (stored hash " + stored.definition_hash + ", now " + projection.definition.hash +
                "); " + rebuild_hint() + " with the new definition";
    return Status::ok();
  }
  ProjectionState loaded;
  loaded.definition.name = name;
  STRATA_RETURN_IF_ERROR(load_checkpoints(loaded));
  for (std::uint32_t p = 0; p < topic_.partitions; ++p) {
    const std::uint64_t end = readers_[p]->end_offset();
    if (loaded.committed[p] > end) {
      *mismatch = "projection " + name + " has applied partition " + std::to_string(p) + " up to offset " +
                  std::to_string(loaded.committed[p]) + " but the log ends at " + std::to_string(end) +
                  " (the log lost events the read model holds); " + rebuild_hint();
      return Status::ok();
    }
  }
  return Status::ok();
}

Status Engine::start() {
  if (projections_.empty()) return invalid_argument("no projection to run");
  auto stored = load_stored();
  if (!stored) return stored.status();
  std::vector<std::string> mismatches;
  for (ProjectionState& projection : projections_) {
    for (const StoredProjection& row : *stored) {
      if (row.name != projection.definition.name) continue;
      std::string mismatch;
      STRATA_RETURN_IF_ERROR(check_against_log(projection, row, &mismatch));
      if (!mismatch.empty()) mismatches.push_back(std::move(mismatch));
    }
  }
  const bool rebuild = options_.rebuild == RebuildMode::kAlways ||
                       (options_.rebuild == RebuildMode::kIfNeeded && !mismatches.empty());
  if (!rebuild && !mismatches.empty()) {
    std::string message = mismatches.front();
    for (std::size_t i = 1; i < mismatches.size(); ++i) message += "; " + mismatches[i];
    return invalid_argument(std::move(message));
  }
  if (rebuild) {
    STRATA_RETURN_IF_ERROR(rebuild_beside(*stored));
    if (!have_lock_) return Status::ok();  // handed over: the lock holder follows the rebuilt file
    stored = load_stored();
    if (!stored) return stored.status();
  }
  for (ProjectionState& projection : projections_) {
    const bool exists = std::any_of(stored->begin(), stored->end(), [&](const StoredProjection& row) {
      return row.name == projection.definition.name;
    });
    if (!exists) STRATA_RETURN_IF_ERROR(create_projection(projection));
    STRATA_RETURN_IF_ERROR(load_checkpoints(projection));
    if (projection.definition.is_sql) STRATA_RETURN_IF_ERROR(prepare_apply(projection));
  }
  STRATA_RETURN_IF_ERROR(seek_readers());
  auto version = db_.query_int("PRAGMA data_version");
  if (!version) return version.status();
  data_version_seen_ = *version;

  auto prepare = [&](Statement* statement, const char* sql) {
    auto prepared = db_.prepare(sql);
    if (!prepared) return prepared.status().with_context(sql);
    *statement = std::move(prepared.value());
    return Status::ok();
  };
  STRATA_RETURN_IF_ERROR(prepare(&update_checkpoint_,
                                 "UPDATE strata_checkpoint SET next_offset=?1, last_timestamp_us=?2 "
                                 "WHERE name=?3 AND partition=?4"));
  STRATA_RETURN_IF_ERROR(prepare(
      &update_state_, "UPDATE strata_projection SET state=?1, error=NULL, updated_us=?2 WHERE name=?3"));
  STRATA_RETURN_IF_ERROR(prepare(&insert_dead_letter_,
                                 "INSERT OR REPLACE INTO strata_dead_letter"
                                 "(name, partition, offset, timestamp_us, key, value, error) "
                                 "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)"));
  started_ = true;
  return Status::ok();
}

Status Engine::create_projection(ProjectionState& projection) {
  const Definition& definition = projection.definition;
  STRATA_RETURN_IF_ERROR(db_.exec("BEGIN IMMEDIATE"));
  auto body = [&]() -> Status {
    if (definition.is_sql) {
      if (!definition.sql.schema.empty()) {
        Status status = db_.exec(definition.sql.schema);
        if (!status) return std::move(status).with_context("projection " + definition.name + ": schema");
      }
    } else if (definition.handler.schema) {
      Transaction transaction(this, db_.get());
      Status status = definition.handler.schema(transaction);
      if (!status) return std::move(status).with_context("projection " + definition.name + ": schema");
    }
    auto insert = db_.prepare(
        "INSERT INTO strata_projection(name, topic, log_directory, log_id, partitions, definition_hash, "
        "state, "
        "updated_us) VALUES(?1, ?2, ?3, ?4, ?5, ?6, 'catching-up', ?7)");
    if (!insert) return insert.status();
    bind_text(insert->get(), 1, definition.name);
    bind_text(insert->get(), 2, topic_.name);
    bind_text(insert->get(), 3, log_directory_);
    bind_text(insert->get(), 4, topic_.log_id);
    sqlite3_bind_int64(insert->get(), 5, topic_.partitions);
    bind_text(insert->get(), 6, definition.hash);
    sqlite3_bind_int64(insert->get(), 7, now_us());
    STRATA_RETURN_IF_ERROR(step_to_done(db_.get(), insert->get()));
    auto checkpoint = db_.prepare(
        "INSERT INTO strata_checkpoint(name, partition, next_offset, last_timestamp_us) VALUES(?1, ?2, ?3, "
        "0)");
    if (!checkpoint) return checkpoint.status();
    for (std::uint32_t p = 0; p < topic_.partitions; ++p) {
      // A new projection starts at the earliest event the log keeps (retention may have deleted older ones).
      bind_text(checkpoint->get(), 1, definition.name);
      sqlite3_bind_int64(checkpoint->get(), 2, p);
      sqlite3_bind_int64(checkpoint->get(), 3, static_cast<std::int64_t>(readers_[p]->start_offset()));
      STRATA_RETURN_IF_ERROR(step_to_done(db_.get(), checkpoint->get()));
    }
    return Status::ok();
  };
  Status status = body();
  if (!status) {
    (void)db_.exec("ROLLBACK");
    return status;
  }
  return db_.exec("COMMIT");
}

Status Engine::prepare_apply(ProjectionState& projection) {
  const std::string& name = projection.definition.name;
  auto statements = db_.prepare_all(projection.definition.sql.apply);
  // A statement wrong for every event (a misspelt column or table) fails here, once, before any event.
  if (!statements) return statements.status().with_context("projection " + name + ": apply");
  if (statements->empty()) return invalid_argument("projection " + name + ": apply has no statement");
  projection.statements.clear();
  for (Statement& statement : *statements) {
    BoundStatement bound;
    sqlite3_stmt* stmt = statement.get();
    const int count = sqlite3_bind_parameter_count(stmt);
    for (int index = 1; index <= count; ++index) {
      const char* raw = sqlite3_bind_parameter_name(stmt, index);
      const std::string_view parameter = raw != nullptr ? std::string_view(raw + 1) : std::string_view();
      int* slot = parameter == "partition"      ? &bound.partition
                  : parameter == "offset"       ? &bound.offset
                  : parameter == "timestamp_us" ? &bound.timestamp_us
                  : parameter == "key"          ? &bound.key
                  : parameter == "value"        ? &bound.value
                                                : nullptr;
      if (slot == nullptr) {
        return invalid_argument("projection " + name + ": apply: unknown parameter " +
                                (raw != nullptr ? std::string(raw) : "?" + std::to_string(index)) +
                                " (known: :partition :offset :timestamp_us :key :value)");
      }
      *slot = index;
    }
    bound.statement = std::move(statement);
    projection.statements.push_back(std::move(bound));
  }
  return Status::ok();
}

Status Engine::seek_readers() {
  std::vector<std::uint64_t> minimum(topic_.partitions, UINT64_MAX);
  for (const ProjectionState& projection : projections_) {
    for (std::uint32_t p = 0; p < topic_.partitions; ++p)
      minimum[p] = std::min(minimum[p], projection.committed[p]);
  }
  for (std::uint32_t p = 0; p < topic_.partitions; ++p) {
    Status status = readers_[p]->seek(minimum[p]);
    if (!status) return std::move(status).with_context("partition " + std::to_string(p));
    read_position_[p] = minimum[p];
  }
  {
    std::lock_guard lock(mutex_);
    committed_min_ = minimum;
  }
  committed_changed_.notify_all();
  return Status::ok();
}

// ---- Rebuild beside the live file ----------------------------------------------------------------------

// Builds every projection from the log's start into <database>.rebuild (the live file keeps serving reads,
// and a projector following it keeps going), then copies it over the live file with SQLite's backup API:
// one write transaction on the live file, so a reader sees the old contents or the new, never a mix.
//
// Why not rename(2) the new file over the old one: in WAL mode the -wal and -shm files belong to the live
// file by name, and readers that have it open keep using them; a renamed-in file would meet the old file's
// WAL (SQLite's "how to corrupt a database": unlinking or renaming a database in use).
Status Engine::rebuild_beside(const std::vector<StoredProjection>& stored) {
  for (const StoredProjection& row : stored) {
    const bool ours = std::any_of(projections_.begin(), projections_.end(),
                                  [&](const ProjectionState& p) { return p.definition.name == row.name; });
    if (!ours) {
      return invalid_argument("a rebuild replaces the whole of " + options_.database +
                              ", which also holds projection " + row.name + " (not defined here)");
    }
  }
  auto page_size = db_.query_int("PRAGMA page_size");
  if (!page_size) return page_size.status();
  ProjectorOptions options = options_;
  options.database = rebuild_path(options_.database);
  options.rebuild = RebuildMode::kNever;
  auto nested =
      Engine::open(options, OpenMode{.fresh = true, .page_size = *page_size, .synchronous_off = true});
  if (!nested) return nested.status().with_context("rebuilding in " + options.database);
  for (const ProjectionState& projection : projections_) {
    STRATA_RETURN_IF_ERROR((*nested)->add(projection.definition));
  }
  // Catch up at least to where the live file stands, so that the swap does not take readers back; a
  // projector following the live file may still commit in the moment before the copy (it then re-applies
  // those few events from the rebuilt checkpoint).
  constexpr int kCatchUpRoundsMax = 10;
  for (int round = 0; round < kCatchUpRoundsMax; ++round) {
    Status status = (*nested)->run(/*follow=*/false);
    if (!status) return std::move(status).with_context("rebuilding in " + options.database);
    auto live = live_positions();
    if (!live) return live.status();
    const std::vector<std::uint64_t> built = (*nested)->positions();
    bool behind = false;
    for (std::uint32_t p = 0; p < topic_.partitions; ++p) behind = behind || built[p] < (*live)[p];
    if (!behind) break;
  }

  sqlite3_backup* backup = sqlite3_backup_init(db_.get(), "main", (*nested)->db(), "main");
  if (backup == nullptr)
    return sqlite_status(db_.get(), sqlite3_errcode(db_.get()), "replacing " + options_.database);
  const auto deadline = std::chrono::steady_clock::now() + kBackupBusyDeadline;
  int rc;
  // One step of every page: the copy commits as one transaction on the live file. A projector following
  // the live file holds its write lock only during its own transactions, so BUSY passes.
  while ((rc = sqlite3_backup_step(backup, -1)) == SQLITE_BUSY || rc == SQLITE_LOCKED) {
    if (std::chrono::steady_clock::now() > deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  sqlite3_backup_finish(backup);
  if (rc != SQLITE_DONE)
    return sqlite_status(db_.get(), rc, "replacing " + options_.database + " with the rebuild");
  const RunSummary built = (*nested)->summary();
  nested->reset();
  remove_database_files(options.database);
  ::unlink(lock_path(options.database).c_str());
  std::lock_guard lock(mutex_);
  summary_.rebuilt = true;
  summary_.handed_over = !have_lock_;
  summary_.events_applied += built.events_applied;
  summary_.dead_letters += built.dead_letters;
  summary_.transactions += built.transactions;
  return Status::ok();
}

// The smallest checkpoint per partition in the live file (0 where it has none).
Result<std::vector<std::uint64_t>> Engine::live_positions() {
  std::vector<std::uint64_t> positions(topic_.partitions, 0);
  auto exists = db_.query_int("SELECT count(*) FROM sqlite_master WHERE name = 'strata_checkpoint'");
  if (!exists) return exists.status();
  if (*exists == 0) return positions;
  auto query = db_.prepare("SELECT partition, min(next_offset) FROM strata_checkpoint GROUP BY partition");
  if (!query) return query.status();
  int rc;
  while ((rc = sqlite3_step(query->get())) == SQLITE_ROW) {
    const std::int64_t partition = sqlite3_column_int64(query->get(), 0);
    if (partition >= 0 && partition < topic_.partitions) {
      positions[static_cast<std::size_t>(partition)] =
          static_cast<std::uint64_t>(std::max<std::int64_t>(0, sqlite3_column_int64(query->get(), 1)));
    }
  }
  if (rc != SQLITE_DONE) return sqlite_status(db_.get(), rc, "reading the live checkpoints");
  return positions;
}

// Another connection committed to the file (a rebuild's swap): take its checkpoints if it is still ours.
Status Engine::reload_after_swap() {
  auto stored = load_stored();
  if (!stored) return stored.status();
  for (ProjectionState& projection : projections_) {
    const auto row = std::find_if(stored->begin(), stored->end(), [&](const StoredProjection& r) {
      return r.name == projection.definition.name;
    });
    const std::string& name = projection.definition.name;
    if (row == stored->end()) {
      return invalid_argument("projection " + name + " was removed from " + options_.database +
                              " by another process");
    }
    if (row->definition_hash != projection.definition.hash || row->log_id != topic_.log_id) {
      return invalid_argument("projection " + name + " in " + options_.database +
                              " was replaced by a rebuild with another definition or log; restart with the "
                              "definition it was rebuilt with");
    }
    STRATA_RETURN_IF_ERROR(load_checkpoints(projection));
  }
  {
    std::lock_guard lock(mutex_);
    summary_.reloads += 1;
  }
  return seek_readers();
}

// ---- The loop ------------------------------------------------------------------------------------------

Status Engine::begin_transaction() {
  STRATA_RETURN_IF_ERROR(step_to_done(db_.get(), begin_.get()));
  transaction_open_ = true;
  transaction_events_ = 0;
  transaction_started_ = std::chrono::steady_clock::now();
  const int rc = sqlite3_step(data_version_.get());
  if (rc != SQLITE_ROW) {
    Status status = sqlite_status(db_.get(), rc, "PRAGMA data_version");
    sqlite3_reset(data_version_.get());
    return status;
  }
  const std::int64_t version = sqlite3_column_int64(data_version_.get(), 0);
  sqlite3_reset(data_version_.get());
  if (version != data_version_seen_) reload_needed_ = true;
  data_version_seen_ = version;
  return Status::ok();
}

Status Engine::commit_transaction() {
  STRATA_ASSERT(transaction_open_, "commit without a transaction");
  const std::int64_t now = now_us();
  std::vector<std::vector<std::uint64_t>> next(projections_.size());
  for (std::size_t j = 0; j < projections_.size(); ++j) {
    ProjectionState& projection = projections_[j];
    next[j] = projection.committed;
    for (std::uint32_t p = 0; p < topic_.partitions; ++p) {
      if (read_position_[p] <= projection.committed[p]) continue;
      next[j][p] = read_position_[p];
      sqlite3_stmt* update = update_checkpoint_.get();
      sqlite3_bind_int64(update, 1, static_cast<std::int64_t>(read_position_[p]));
      sqlite3_bind_int64(update, 2, read_time_[p]);
      bind_text(update, 3, projection.definition.name);
      sqlite3_bind_int64(update, 4, p);
      STRATA_RETURN_IF_ERROR(step_to_done(db_.get(), update));
    }
    sqlite3_stmt* state = update_state_.get();
    bind_text(state, 1, caught_up_ ? "live" : "catching-up");
    sqlite3_bind_int64(state, 2, now);
    bind_text(state, 3, projection.definition.name);
    STRATA_RETURN_IF_ERROR(step_to_done(db_.get(), state));
  }
  STRATA_RETURN_IF_ERROR(step_to_done(db_.get(), commit_.get()));
  transaction_open_ = false;
  if (wal_pages_ >= kWalPagesHardMax) {
    wait_for_checkpoint(request_checkpoint());  // so that the next transaction restarts the WAL
    wal_pages_ = 0;
  }
  if (!careful_ && transaction_events_ > 0) {
    streak_events_ = 0;  // a batch applied without a failure: the run of failures is broken
    streak_message_.clear();
  }
  careful_ = false;
  pending_dead_letters_ = 0;
  std::vector<std::uint64_t> minimum(topic_.partitions, UINT64_MAX);
  for (std::size_t j = 0; j < projections_.size(); ++j) {
    for (std::uint32_t p = 0; p < topic_.partitions; ++p) {
      if (next[j][p] != projections_[j].committed[p]) projections_[j].committed_time[p] = read_time_[p];
      minimum[p] = std::min(minimum[p], next[j][p]);
    }
    projections_[j].committed = std::move(next[j]);
  }
  {
    std::lock_guard lock(mutex_);
    committed_min_ = std::move(minimum);
    summary_.events_applied += transaction_events_;
    summary_.transactions += 1;
  }
  committed_changed_.notify_all();
  run_applied_ += transaction_events_;
  transaction_events_ = 0;
  return Status::ok();
}

void Engine::rollback_transaction() {
  if (transaction_open_) (void)step_to_done(db_.get(), rollback_.get());
  transaction_open_ = false;
  transaction_events_ = 0;
  std::lock_guard lock(mutex_);
  summary_.dead_letters -= std::min(summary_.dead_letters, pending_dead_letters_);
  pending_dead_letters_ = 0;
}

Status Engine::apply(ProjectionState& projection, const Event& event, bool key_text, bool value_text) {
  if (!projection.definition.is_sql) {
    Transaction transaction(this, db_.get());
    return projection.definition.handler.apply(transaction, event);
  }
  for (BoundStatement& bound : projection.statements) {
    sqlite3_stmt* stmt = bound.statement.get();
    if (bound.partition != 0) sqlite3_bind_int64(stmt, bound.partition, event.partition);
    if (bound.offset != 0) sqlite3_bind_int64(stmt, bound.offset, static_cast<std::int64_t>(event.offset));
    if (bound.timestamp_us != 0) sqlite3_bind_int64(stmt, bound.timestamp_us, event.timestamp_us);
    // SQLITE_STATIC: the views stay valid until the statement is stepped and reset below.
    if (bound.key != 0) {
      if (event.key.empty()) {
        sqlite3_bind_null(stmt, bound.key);
      } else if (key_text) {
        sqlite3_bind_text(stmt, bound.key, reinterpret_cast<const char*>(event.key.data()),
                          static_cast<int>(event.key.size()), SQLITE_STATIC);
      } else {
        sqlite3_bind_blob(stmt, bound.key, event.key.data(), static_cast<int>(event.key.size()),
                          SQLITE_STATIC);
      }
    }
    if (bound.value != 0) {
      if (value_text) {
        const char* text = event.value.empty() ? "" : reinterpret_cast<const char*>(event.value.data());
        sqlite3_bind_text(stmt, bound.value, text, static_cast<int>(event.value.size()), SQLITE_STATIC);
      } else {
        sqlite3_bind_blob(stmt, bound.value, event.value.data(), static_cast<int>(event.value.size()),
                          SQLITE_STATIC);
      }
    }
    int rc = sqlite3_step(stmt);
    while (rc == SQLITE_ROW) rc = sqlite3_step(stmt);
    if (rc != SQLITE_DONE) [[unlikely]] {
      Status status = sqlite_status(db_.get(), rc);
      sqlite3_reset(stmt);
      return status;
    }
    sqlite3_reset(stmt);
  }
  return Status::ok();
}

void Engine::apply_careful(ProjectionState& projection, const Event& event, bool key_text, bool value_text) {
  Status status = step_to_done(db_.get(), savepoint_.get());
  if (status) status = apply(projection, event, key_text, value_text);
  if (status) {
    status = step_to_done(db_.get(), release_.get());
    if (!status) {
      round_error_ = status;
      abort_round_ = true;
      return;
    }
    streak_events_ = 0;
    streak_message_.clear();
    return;
  }
  (void)step_to_done(db_.get(), rollback_to_.get());
  (void)step_to_done(db_.get(), release_.get());
  const std::string where =
      "partition " + std::to_string(event.partition) + " offset " + std::to_string(event.offset);
  if (is_operating_error(status.code())) {
    round_error_ = Status(status.code(), where + ": " + status.message());
    abort_round_ = true;
    return;
  }
  if (streak_events_ > 0 && status.message() == streak_message_) {
    ++streak_events_;
  } else {
    streak_message_ = status.message();
    streak_events_ = 1;
    streak_partition_ = event.partition;
    streak_offset_ = event.offset;
  }
  if (streak_events_ >= options_.skip_streak_max) {
    round_error_ = invalid_argument(
        "projection " + projection.definition.name + ": " + std::to_string(streak_events_) +
        " events in a row failed with the same error, from partition " + std::to_string(streak_partition_) +
        " offset " + std::to_string(streak_offset_) + ": " + streak_message_ +
        " (a statement wrong for every event?); stopped instead of dead-lettering them all");
    abort_round_ = true;
    return;
  }
  sqlite3_stmt* insert = insert_dead_letter_.get();
  bind_text(insert, 1, projection.definition.name);
  sqlite3_bind_int64(insert, 2, event.partition);
  sqlite3_bind_int64(insert, 3, static_cast<std::int64_t>(event.offset));
  sqlite3_bind_int64(insert, 4, event.timestamp_us);
  if (event.key.empty()) {
    sqlite3_bind_null(insert, 5);
  } else {
    sqlite3_bind_blob(insert, 5, event.key.data(), static_cast<int>(event.key.size()), SQLITE_STATIC);
  }
  sqlite3_bind_blob(insert, 6, event.value.empty() ? "" : static_cast<const void*>(event.value.data()),
                    static_cast<int>(event.value.size()), SQLITE_STATIC);
  bind_text(insert, 7, status.message());
  Status inserted = step_to_done(db_.get(), insert);
  if (!inserted) {
    round_error_ = std::move(inserted).with_context("recording a dead letter");
    abort_round_ = true;
    return;
  }
  std::lock_guard lock(mutex_);
  summary_.dead_letters += 1;
  pending_dead_letters_ += 1;
}

void Engine::on_event(std::uint32_t partition, const Event& event) {
  if (abort_round_) return;
  if (!transaction_open_) {
    Status status = begin_transaction();
    if (!status) {
      round_error_ = std::move(status);
      abort_round_ = true;
      return;
    }
    if (reload_needed_) {
      abort_round_ = true;
      return;
    }
  }
  const bool key_text = is_valid_utf8(event.key);
  const bool value_text = is_valid_utf8(event.value);
  for (ProjectionState& projection : projections_) {
    if (event.offset < projection.committed[partition]) continue;  // this projection has it already
    if (careful_) {
      apply_careful(projection, event, key_text, value_text);
      if (abort_round_) return;
      continue;
    }
    Status status = apply(projection, event, key_text, value_text);
    if (status) [[likely]] {
      continue;
    }
    if (options_.on_error == OnError::kSkip && !is_operating_error(status.code())) {
      retry_careful_ = true;  // roll back and apply this batch again, each event in a savepoint
    } else {
      const std::string prefix =
          projections_.size() > 1 ? "projection " + projection.definition.name + ": " : "";
      round_error_ = Status(status.code(), prefix + "partition " + std::to_string(partition) + " offset " +
                                               std::to_string(event.offset) + ": " + status.message());
    }
    abort_round_ = true;
    return;
  }
  read_position_[partition] = event.offset + 1;
  read_time_[partition] = event.timestamp_us;
  ++transaction_events_;
}

Result<std::size_t> Engine::poll_round() {
  abort_round_ = false;
  std::size_t polled = 0;
  for (std::uint32_t p = 0; p < topic_.partitions && !abort_round_; ++p) {
    const std::size_t room = options_.batch_events_max - transaction_events_;
    if (room == 0) break;
    auto count =
        readers_[p]->poll(std::min(room, kPollEventsMax), [&](const Event& event) { on_event(p, event); });
    if (!count) return count.status().with_context("partition " + std::to_string(p));
    polled += *count;
  }
  return polled;
}

void Engine::idle_wait(unsigned idle_rounds) {
  if (options_.log != nullptr) {
    // In-process readers are woken by the writer when the durable end moves.
    if (readers_.size() == 1) {
      (void)readers_[0]->wait(std::chrono::milliseconds(10));
      return;
    }
    for (std::size_t i = 0; i < readers_.size() * 8 && i < 64; ++i) {
      if (readers_[i % readers_.size()]->wait(std::chrono::microseconds(200))) return;
    }
    return;
  }
  // A directory another process writes: the synced offset it publishes is a shared word, so a poll at the
  // end costs nothing; poll again after a short sleep that grows while nothing comes, up to 5 ms.
  const unsigned shift = std::min(idle_rounds, 3u);
  std::this_thread::sleep_for(std::chrono::microseconds(625u << shift));
}

Status Engine::check_log_identity() {
  if (options_.log != nullptr) return Status::ok();  // the Log holds the directory: it cannot be recreated
  auto info = read_topic_info(options_.log_directory, options_.topic);
  if (!info) return info.status().with_context("topic " + options_.topic + " is gone");
  if (info->log_id != topic_.log_id) {
    return invalid_argument("topic " + topic_.name +
                            " was deleted and recreated while following it (log id " + topic_.log_id +
                            ", now " + info->log_id + "); " + rebuild_hint());
  }
  return Status::ok();
}

void Engine::report_progress(std::uint64_t applied, const std::vector<std::uint64_t>& targets, bool force) {
  if (!options_.progress) return;
  const auto now = std::chrono::steady_clock::now();
  if (!force && now - progress_last_ < options_.progress_interval) return;
  progress_last_ = now;
  Progress progress;
  progress.applied_events = applied;
  for (std::uint32_t p = 0; p < topic_.partitions; ++p) {
    if (targets[p] > read_position_[p]) progress.remaining_events += targets[p] - read_position_[p];
  }
  const double seconds = std::chrono::duration<double>(now - run_started_).count();
  progress.events_per_s = seconds > 0 ? static_cast<double>(applied) / seconds : 0;
  options_.progress(progress);
}

void Engine::finish(const Status& status) {
  if (transaction_open_) rollback_transaction();
  std::lock_guard lock(mutex_);
  if (!status) {
    final_state_ = "failed";
    final_error_ = status.message();
  }
  finished_ = !status || stop_requested_.load(std::memory_order_relaxed);
  committed_changed_.notify_all();
}

Status Engine::run(bool follow) {
  if (!started_) {
    Status status = start();
    if (!status) {
      finish(status);
      return status;
    }
    if (!have_lock_) {  // a rebuild was handed over to the projector holding the lock
      finish(Status::ok());
      return Status::ok();
    }
  }
  run_started_ = progress_last_ = std::chrono::steady_clock::now();
  run_applied_ = 0;
  std::vector<std::uint64_t> targets(topic_.partitions);
  for (std::uint32_t p = 0; p < topic_.partitions; ++p) targets[p] = readers_[p]->end_offset();
  auto reached_targets = [&] {
    for (std::uint32_t p = 0; p < topic_.partitions; ++p) {
      if (read_position_[p] < targets[p]) return false;
    }
    return true;
  };
  auto last_identity_check = std::chrono::steady_clock::now();
  unsigned idle_rounds = 0;
  Status status;
  // Bounded by the log: each round moves on or waits; stop() or an error ends it.
  while (status.is_ok()) {
    if (stop_requested_.load(std::memory_order_relaxed)) {
      if (transaction_open_) status = commit_transaction();
      break;
    }
    auto polled = poll_round();
    if (!polled) {
      status = polled.status();
      break;
    }
    if (!round_error_.is_ok()) {
      status = std::move(round_error_);
      round_error_ = Status::ok();
      break;
    }
    if (reload_needed_ || retry_careful_) {
      rollback_transaction();
      if (reload_needed_) {
        reload_needed_ = false;
        status = reload_after_swap();
      } else {
        retry_careful_ = false;
        careful_ = true;
        status = seek_readers();
      }
      continue;
    }
    const bool at_end = *polled == 0 || (!follow && reached_targets());
    if (transaction_open_) {
      const bool full = transaction_events_ >= options_.batch_events_max;
      const bool overdue = caught_up_ && std::chrono::steady_clock::now() - transaction_started_ >=
                                             options_.live_commit_interval;
      if (full || at_end || overdue) {
        status = commit_transaction();
        if (!status) break;
      }
    }
    if (at_end && !follow) break;
    if (*polled == 0) {
      if (!caught_up_) report_progress(run_applied_, targets, /*force=*/true);
      caught_up_ = true;
      const auto now = std::chrono::steady_clock::now();
      if (follow && now - last_identity_check >= kLogIdentityCheckInterval) {
        last_identity_check = now;
        status = check_log_identity();
        if (!status) break;
      }
      idle_wait(idle_rounds++);
    } else {
      idle_rounds = 0;
      if (!caught_up_) report_progress(run_applied_ + transaction_events_, targets, /*force=*/false);
    }
  }
  if (status && !caught_up_) report_progress(run_applied_, targets, /*force=*/true);  // the bar at 100%
  if (status && !follow) caught_up_ = true;
  finish(status);
  return status;
}

Status Engine::wait_until(std::uint32_t partition, std::uint64_t offset, std::chrono::nanoseconds timeout) {
  if (partition >= topic_.partitions) {
    return invalid_argument("topic " + topic_.name + " has no partition " + std::to_string(partition));
  }
  std::unique_lock lock(mutex_);
  const bool reached = committed_changed_.wait_for(
      lock, timeout, [&] { return committed_min_[partition] > offset || finished_; });
  if (committed_min_[partition] > offset) return Status::ok();
  if (!reached) {
    return Status(StatusCode::kTimedOut, "partition " + std::to_string(partition) + " offset " +
                                             std::to_string(offset) + " not applied yet (at " +
                                             std::to_string(committed_min_[partition]) + ")");
  }
  return Status(StatusCode::kClosed, "the projector stopped before applying partition " +
                                         std::to_string(partition) + " offset " + std::to_string(offset));
}

std::vector<std::uint64_t> Engine::positions() const {
  std::lock_guard lock(mutex_);
  return committed_min_;
}

RunSummary Engine::summary() const {
  std::lock_guard lock(mutex_);
  return summary_;
}

Result<sqlite3_stmt*> Engine::handler_statement(std::string_view sql) {
  auto it = handler_statements_.find(sql);
  if (it == handler_statements_.end()) {
    auto prepared = db_.prepare(sql);
    if (!prepared) return prepared.status();
    it = handler_statements_.emplace(std::string(sql), std::move(prepared.value())).first;
  }
  sqlite3_stmt* stmt = it->second.get();
  sqlite3_reset(stmt);
  sqlite3_clear_bindings(stmt);
  return stmt;
}

}  // namespace strata::projection
