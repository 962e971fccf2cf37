// The projector's write transactions on its connection: BEGIN IMMEDIATE, COMMIT, ROLLBACK, a savepoint
// around one event, and PRAGMA data_version, which tells at BEGIN whether another connection committed to
// the file since this one's last transaction (a rebuild swapped in). Internal to projection/.
#pragma once

#include <chrono>
#include <cstdint>

#include "projection/sqlite.h"

namespace strata::projection {

class WriteTransaction {
 public:
  // Prepares the statements on `db` and takes the file's data version as of now (call it when the loop
  // starts: commits of other connections before it are no swap to reload).
  Status prepare(Connection& db);

  // BEGIN IMMEDIATE: true when another connection committed to the file since this one's last transaction.
  Result<bool> begin();
  Status commit();
  // A no-op without an open transaction.
  void rollback();
  bool is_open() const { return open_; }
  std::chrono::steady_clock::time_point started() const { return started_; }
  // The events read in this transaction.
  void count_event() { ++events_; }
  std::uint64_t events() const { return events_; }

  // One event in a savepoint: kept by release(), undone by undo().
  Status savepoint();
  Status release();
  void undo();

 private:
  sqlite3* db_ = nullptr;
  Statement begin_, commit_, rollback_, data_version_, savepoint_, release_, rollback_to_;
  bool open_ = false;
  std::uint64_t events_ = 0;
  std::chrono::steady_clock::time_point started_;
  std::int64_t version_seen_ = -1;
};

}  // namespace strata::projection
