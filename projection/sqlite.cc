#include "projection/sqlite.h"

#include <cctype>

namespace strata::projection {

namespace {

constexpr int kBusyTimeoutMs = 10'000;

bool only_separators(std::string_view text) {
  for (const char c : text) {
    if (!std::isspace(static_cast<unsigned char>(c)) && c != ';') return false;
  }
  return true;
}

StatusCode code_of(int rc) {
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return StatusCode::kBusy;
    case SQLITE_FULL:
      return StatusCode::kNoSpace;
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
      return StatusCode::kIoError;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return StatusCode::kCorruption;
    default:
      return StatusCode::kInvalidArgument;
  }
}

}  // namespace

std::string sqlite_message(sqlite3* db) {
  return db != nullptr ? sqlite3_errmsg(db) : "out of memory";
}

Status sqlite_status(sqlite3* db, int rc, std::string_view context) {
  std::string message = sqlite_message(db);
  if ((rc & 0xff) == SQLITE_MISUSE || message == "not an error") message = sqlite3_errstr(rc);
  if (!context.empty()) message = std::string(context) + ": " + message;
  return Status(code_of(rc), std::move(message));
}

Result<Connection> Connection::open(const std::string& path, bool read_only) {
  sqlite3* db = nullptr;
  const int flags = read_only ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  const int rc = sqlite3_open_v2(path.c_str(), &db, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  Connection connection(db);
  if (rc != SQLITE_OK) return sqlite_status(db, rc, "opening " + path);
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, kBusyTimeoutMs);
  return connection;
}

Status Connection::exec(std::string_view sql) {
  char* error = nullptr;
  const std::string text(sql);
  const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &error);
  if (rc == SQLITE_OK) return Status::ok();
  std::string message = error != nullptr ? error : sqlite3_errstr(rc);
  sqlite3_free(error);
  return Status(code_of(rc), std::move(message));
}

Result<Statement> Connection::prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  const char* tail = nullptr;
  const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                                    &stmt, &tail);
  Statement statement(stmt);
  if (rc != SQLITE_OK) return sqlite_status(db_, rc);
  if (!statement) return invalid_argument("no SQL statement in \"" + std::string(sql) + "\"");
  const std::size_t used = static_cast<std::size_t>(tail - sql.data());
  if (!only_separators(sql.substr(used))) {
    return invalid_argument("expected one SQL statement, found more: \"" + std::string(sql) + "\"");
  }
  return statement;
}

Result<std::vector<Statement>> Connection::prepare_all(std::string_view sql) {
  std::vector<Statement> statements;
  while (!only_separators(sql)) {
    sqlite3_stmt* stmt = nullptr;
    const char* tail = nullptr;
    const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                      SQLITE_PREPARE_PERSISTENT, &stmt, &tail);
    Statement statement(stmt);
    if (rc != SQLITE_OK) return sqlite_status(db_, rc);
    if (statement) statements.push_back(std::move(statement));
    sql.remove_prefix(static_cast<std::size_t>(tail - sql.data()));
  }
  return statements;
}

Result<std::int64_t> Connection::query_int(std::string_view sql) {
  auto statement = prepare(sql);
  if (!statement) return statement.status();
  const int rc = sqlite3_step(statement->get());
  if (rc == SQLITE_ROW) return static_cast<std::int64_t>(sqlite3_column_int64(statement->get(), 0));
  if (rc == SQLITE_DONE) return std::int64_t{0};
  return sqlite_status(db_, rc);
}

Status step_to_done(sqlite3* db, sqlite3_stmt* stmt) {
  int rc;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
  }
  if (rc == SQLITE_DONE) {
    sqlite3_reset(stmt);
    return Status::ok();
  }
  Status status = sqlite_status(db, rc);
  sqlite3_reset(stmt);
  return status;
}

Result<sqlite3_stmt*> StatementCache::get(std::string_view sql) {
  auto it = statements_.find(sql);
  if (it == statements_.end()) {
    auto prepared = db_->prepare(sql);
    if (!prepared) return prepared.status();
    it = statements_.emplace(std::string(sql), std::move(prepared.value())).first;
  }
  sqlite3_stmt* stmt = it->second.get();
  sqlite3_reset(stmt);
  sqlite3_clear_bindings(stmt);
  return stmt;
}

}  // namespace strata::projection
