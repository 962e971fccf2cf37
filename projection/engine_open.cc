// Engine: opening the database file (WAL, the projector's tables), adding projections, closing.
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "projection/engine.h"

namespace strata::projection {

std::string lock_path(const std::string& database, std::string_view projection) {
  return database + "-strata-lock-" + std::string(projection);
}
std::string rebuild_path(const std::string& database) {
  return database + ".rebuild";
}
void remove_database_files(const std::string& database) {
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) ::unlink((database + suffix).c_str());
}

Result<std::unique_ptr<Engine>> Engine::open(ProjectorOptions options, const OpenMode& mode) {
  if (options.database.empty()) return invalid_argument("no database file given");
  if (options.batch_events_max == 0) return invalid_argument("the batch must hold at least one event");
  if (options.log == nullptr && options.log_directory.empty()) {
    return invalid_argument("neither a Log nor a log directory given");
  }
  std::unique_ptr<Engine> engine(new Engine());
  engine->options_ = std::move(options);
  engine->mode_ = mode;
  const ProjectorOptions& opts = engine->options_;
  engine->log_directory_ = opts.log != nullptr ? opts.log->options().directory : opts.log_directory;
  std::error_code ignored;
  const auto absolute = std::filesystem::absolute(engine->log_directory_, ignored);
  if (!absolute.empty()) engine->log_directory_ = absolute.lexically_normal().string();
  if (mode.fresh) remove_database_files(opts.database);
  STRATA_RETURN_IF_ERROR(engine->open_database());
  engine->handler_statements_ = StatementCache(&engine->db_);
  engine->store_ = CheckpointStore(&engine->db_, opts.database);
  // An earlier layout is rebuilt when asked to (the rebuild replaces the whole file), else refused.
  auto earlier = engine->store_.is_earlier_layout();
  if (!earlier) return earlier.status();
  if (!*earlier || opts.rebuild == RebuildMode::kNever) STRATA_RETURN_IF_ERROR(engine->store_.create_tables());
  STRATA_RETURN_IF_ERROR(engine->checkpointer_.start(engine->db_.get(), opts.database, mode.synchronous_off));
  return engine;
}

// The connection in WAL mode, and the file's identity (check_database_file).
Status Engine::open_database() {
  auto connection = Connection::open(options_.database);
  if (!connection) return connection.status();
  db_ = std::move(connection.value());
  if (mode_.page_size > 0) STRATA_RETURN_IF_ERROR(db_.exec("PRAGMA page_size=" + std::to_string(mode_.page_size)));
  {
    auto journal = db_.prepare("PRAGMA journal_mode=WAL");
    if (!journal) return journal.status().with_context("setting WAL mode on " + options_.database);
    if (sqlite3_step(journal->get()) != SQLITE_ROW ||
        std::string_view(reinterpret_cast<const char*>(sqlite3_column_text(journal->get(), 0))) != "wal") {
      return Status(StatusCode::kUnsupported, options_.database + ": SQLite refused WAL mode");
    }
  }
  // NORMAL in WAL mode syncs at checkpoints, not at each commit: a power loss may undo the last commits,
  // and with them their checkpoint rows, so the undone events are applied again: still exactly once.
  STRATA_RETURN_IF_ERROR(db_.exec(mode_.synchronous_off ? "PRAGMA synchronous=OFF" : "PRAGMA synchronous=NORMAL"));
  // 64 MiB of page cache: an upsert per event touches index pages all over the table while catching up.
  STRATA_RETURN_IF_ERROR(db_.exec("PRAGMA cache_size=-65536"));
  struct stat file {};
  if (::stat(options_.database.c_str(), &file) == 0) database_file_ = {file.st_dev, file.st_ino};
  return Status::ok();
}

Status Engine::add(Definition definition) {
  STRATA_ASSERT(!started_, "Projector::add after the projector started");
  for (const ProjectionState& existing : projections_) {
    if (existing.definition.name == definition.name) return invalid_argument("two projections named " + definition.name);
  }
  STRATA_RETURN_IF_ERROR(check_definition(definition));
  ProjectionState state;
  state.definition = std::move(definition);
  projections_.push_back(std::move(state));
  return Status::ok();
}

Engine::~Engine() {
  checkpointer_.stop();
  rollback_transaction();
  handler_statements_.clear();
  store_ = CheckpointStore();
  db_ = Connection();
}

}  // namespace strata::projection
