// Thin RAII wrappers over SQLite's C API for the projector: a connection, a prepared statement, and SQLite's
// result codes turned into Status values (with sqlite3_errmsg's text, which is what a user needs to fix a
// statement). Internal to projection/.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "strata/status.h"

namespace strata::projection {

// The message of the connection's last error, as SQLite words it.
std::string sqlite_message(sqlite3* db);
// A Status for SQLite result code `rc` (not OK), the message prefixed by `context` when not empty.
Status sqlite_status(sqlite3* db, int rc, std::string_view context = {});

class Statement {
 public:
  Statement() = default;
  explicit Statement(sqlite3_stmt* stmt) : stmt_(stmt) {}
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(Statement&& other) noexcept : stmt_(other.stmt_) { other.stmt_ = nullptr; }
  Statement& operator=(Statement&& other) noexcept {
    if (this != &other) {
      sqlite3_finalize(stmt_);
      stmt_ = other.stmt_;
      other.stmt_ = nullptr;
    }
    return *this;
  }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  sqlite3_stmt* get() const { return stmt_; }
  explicit operator bool() const { return stmt_ != nullptr; }

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

// An open connection, closed on destruction (sqlite3_close_v2: statements still alive keep it until done).
class Connection {
 public:
  Connection() = default;
  ~Connection() { sqlite3_close_v2(db_); }
  Connection(Connection&& other) noexcept : db_(other.db_) { other.db_ = nullptr; }
  Connection& operator=(Connection&& other) noexcept {
    if (this != &other) {
      sqlite3_close_v2(db_);
      db_ = other.db_;
      other.db_ = nullptr;
    }
    return *this;
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Opens (creating unless read_only) the database file; extended result codes on; a busy timeout so that
  // a reader or another writer holding a lock for a moment is waited for rather than an error.
  static Result<Connection> open(const std::string& path, bool read_only = false);

  sqlite3* get() const { return db_; }

  // Runs one or more statements, ignoring any rows.
  Status exec(std::string_view sql);
  // One statement, prepared to be kept (SQLITE_PREPARE_PERSISTENT). Exactly one statement: trailing text
  // other than whitespace and ';' is an error.
  Result<Statement> prepare(std::string_view sql);
  // Every statement of `sql`, in order (empty ones skipped).
  Result<std::vector<Statement>> prepare_all(std::string_view sql);
  // The first column of the first row of a query, as an integer (0 when there is no row).
  Result<std::int64_t> query_int(std::string_view sql);

 private:
  explicit Connection(sqlite3* db) : db_(db) {}
  sqlite3* db_ = nullptr;
};

// Statements prepared once and kept by their text (a handler's Transaction::statement).
class StatementCache {
 public:
  explicit StatementCache(Connection* db = nullptr) : db_(db) {}
  // The statement for `sql`, reset and with its bindings cleared.
  Result<sqlite3_stmt*> get(std::string_view sql);
  void clear() { statements_.clear(); }

 private:
  Connection* db_;
  std::map<std::string, Statement, std::less<>> statements_;
};

// Steps a statement to completion (rows are ignored) and resets it; the error names SQLite's message.
Status step_to_done(sqlite3* db, sqlite3_stmt* stmt);

}  // namespace strata::projection
