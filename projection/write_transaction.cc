// WriteTransaction: the prepared BEGIN / COMMIT / ROLLBACK / SAVEPOINT statements and the data version.
#include "projection/write_transaction.h"

namespace strata::projection {

Status WriteTransaction::prepare(Connection& db) {
  struct Prepared {
    Statement* statement;
    const char* sql;
  };
  const Prepared prepared[] = {
      {&begin_, "BEGIN IMMEDIATE"},          {&commit_, "COMMIT"},
      {&rollback_, "ROLLBACK"},              {&data_version_, "PRAGMA data_version"},
      {&savepoint_, "SAVEPOINT strata_event"}, {&release_, "RELEASE strata_event"},
      {&rollback_to_, "ROLLBACK TO strata_event"},
  };
  for (const Prepared& p : prepared) {
    auto statement = db.prepare(p.sql);
    if (!statement) return statement.status().with_context(p.sql);
    *p.statement = std::move(statement.value());
  }
  db_ = db.get();
  auto version = db.query_int("PRAGMA data_version");
  if (!version) return version.status();
  version_seen_ = *version;
  return Status::ok();
}

Result<bool> WriteTransaction::begin() {
  STRATA_RETURN_IF_ERROR(step_to_done(db_, begin_.get()));
  open_ = true;
  events_ = 0;
  started_ = std::chrono::steady_clock::now();
  const int rc = sqlite3_step(data_version_.get());
  if (rc != SQLITE_ROW) {
    Status status = sqlite_status(db_, rc, "PRAGMA data_version");
    sqlite3_reset(data_version_.get());
    return status;
  }
  const std::int64_t version = sqlite3_column_int64(data_version_.get(), 0);
  sqlite3_reset(data_version_.get());
  const bool changed = version != version_seen_;
  version_seen_ = version;
  return changed;
}

Status WriteTransaction::commit() {
  STRATA_RETURN_IF_ERROR(step_to_done(db_, commit_.get()));
  open_ = false;
  events_ = 0;
  return Status::ok();
}

void WriteTransaction::rollback() {
  if (open_) (void)step_to_done(db_, rollback_.get());
  open_ = false;
  events_ = 0;
}

Status WriteTransaction::savepoint() {
  return step_to_done(db_, savepoint_.get());
}

Status WriteTransaction::release() {
  return step_to_done(db_, release_.get());
}

void WriteTransaction::undo() {
  (void)step_to_done(db_, rollback_to_.get());
  (void)step_to_done(db_, release_.get());
}

}  // namespace strata::projection
