// read_status: what `strata project status` shows, read from the database and the log without taking
// either's lock; drop_projection.
#include <unistd.h>

#include <algorithm>

#include "strata/file_lock.h"
#include "projection/checkpoint_store.h"
#include "projection/engine.h"
#include "projection/projector.h"
#include "projection/sqlite.h"
#include "strata/topics.h"

namespace strata::projection {

namespace {

// A heartbeat older than this many intervals (plus a second of slack for a busy machine) means nobody runs
// the projection any more (a projector killed without a word leaves its last state behind).
constexpr std::int64_t kHeartbeatsMissedMax = 3;
constexpr std::int64_t kHeartbeatSlackUs = 1'000'000;

std::string column_text(sqlite3_stmt* stmt, int column) {
  const unsigned char* text = sqlite3_column_text(stmt, column);
  return text != nullptr ? std::string(reinterpret_cast<const char*>(text)) : std::string();
}

std::int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The log's durable end for one partition (what a projector may apply), and how long the first unapplied
// event has waited.
void fill_lag(const std::string& log_directory, PartitionStatus& partition) {
  auto reader = Reader::open(log_directory, partition.topic, partition.partition, ReadLevel::kDurable);
  if (!reader) return;
  partition.end_offset = (*reader)->end_offset();
  partition.lag_events = partition.end_offset > partition.next_offset ? partition.end_offset - partition.next_offset : 0;
  if (partition.lag_events > 0 && (*reader)->seek(partition.next_offset)) {
    std::int64_t waiting_since = 0;
    (void)(*reader)->poll(1, [&](const Event& event) { waiting_since = event.timestamp_us; });
    if (waiting_since > 0) partition.lag_seconds = std::max(0.0, static_cast<double>(now_us() - waiting_since) / 1e6);
  }
}

// running from the heartbeat; state from it and the stored state.
void decide_state(ProjectionStatus& status, std::int64_t interval_ms) {
  const std::int64_t age_us = now_us() - status.heartbeat_us;
  status.running = status.heartbeat_us > 0 && age_us <= kHeartbeatsMissedMax * interval_ms * 1000 + kHeartbeatSlackUs;
  if (status.running) {
    if (status.state != "live") status.state = "catching-up";
    status.error.clear();
  } else if (status.state != "failed") {
    status.state = "stopped";
    status.error.clear();
  }
}

Status fill_partitions(Connection& db, ProjectionStatus& status) {
  auto checkpoints = db.prepare(
      "SELECT c.topic, c.partition, c.next_offset, t.log_id FROM strata_checkpoint c JOIN strata_projection_topic t "
      "ON t.name = c.name AND t.topic = c.topic WHERE c.name = ?1 ORDER BY c.topic, c.partition");
  if (!checkpoints) return checkpoints.status();
  sqlite3_bind_text(checkpoints->get(), 1, status.name.c_str(), -1, SQLITE_TRANSIENT);
  std::map<std::string, bool> recreated;  // per topic
  int rc;
  while ((rc = sqlite3_step(checkpoints->get())) == SQLITE_ROW) {
    PartitionStatus partition;
    partition.topic = column_text(checkpoints->get(), 0);
    partition.partition = static_cast<std::uint32_t>(sqlite3_column_int64(checkpoints->get(), 1));
    partition.next_offset = static_cast<std::uint64_t>(sqlite3_column_int64(checkpoints->get(), 2));
    if (!recreated.contains(partition.topic)) {
      auto info = read_topic_info(status.log_directory, partition.topic);
      recreated[partition.topic] = info && info->log_id != column_text(checkpoints->get(), 3);
      status.topics.push_back(partition.topic);
    }
    status.log_recreated = status.log_recreated || recreated[partition.topic];
    if (!recreated[partition.topic]) fill_lag(status.log_directory, partition);
    status.lag_events += partition.lag_events;
    status.lag_seconds = std::max(status.lag_seconds, partition.lag_seconds);
    status.partitions.push_back(std::move(partition));
  }
  if (rc != SQLITE_DONE) return sqlite_status(db.get(), rc, "reading strata_checkpoint");
  return Status::ok();
}

}  // namespace

Result<std::vector<ProjectionStatus>> read_status(const std::string& database) {
  if (::access(database.c_str(), F_OK) != 0) return Status(StatusCode::kNotFound, database + " does not exist");
  auto db = Connection::open(database, /*read_only=*/true);
  if (!db) return db.status();
  CheckpointStore store(&*db, database);
  auto earlier = store.is_earlier_layout();
  if (!earlier) return earlier.status().with_context(database);
  if (*earlier) return Status(StatusCode::kUnsupported, database + " was built by an earlier strata; rebuild it (strata project --rebuild)");
  auto projections = db->prepare(
      "SELECT name, log_directory, state, error, heartbeat_us, heartbeat_interval_ms, "
      "(SELECT count(*) FROM strata_dead_letter d WHERE d.name = p.name) FROM strata_projection p ORDER BY name");
  if (!projections) return projections.status().with_context(database + " holds no projection");
  std::vector<ProjectionStatus> result;
  int rc;
  while ((rc = sqlite3_step(projections->get())) == SQLITE_ROW) {
    ProjectionStatus status;
    sqlite3_stmt* row = projections->get();
    status.name = column_text(row, 0);
    status.log_directory = column_text(row, 1);
    status.state = column_text(row, 2);
    status.error = column_text(row, 3);
    status.heartbeat_us = sqlite3_column_int64(row, 4);
    status.dead_letters = static_cast<std::uint64_t>(sqlite3_column_int64(row, 6));
    decide_state(status, sqlite3_column_int64(row, 5));
    STRATA_RETURN_IF_ERROR(fill_partitions(*db, status));
    result.push_back(std::move(status));
  }
  if (rc != SQLITE_DONE) return sqlite_status(db->get(), rc, "reading strata_projection");
  return result;
}

Status drop_projection(const std::string& database, const std::string& name) {
  if (::access(database.c_str(), F_OK) != 0) return Status(StatusCode::kNotFound, database + " does not exist");
  // Holding the projection's lock keeps a projector from starting it while its rows go.
  const std::string lock_file = lock_path(database, name);
  auto lock = FileLock::acquire(lock_file);
  if (!lock) {
    if (lock.status().code() == StatusCode::kBusy) {
      return Status(StatusCode::kBusy, "projection " + name + " in " + database + " is running (a projector holds " +
                                           lock_file + "); stop it first");
    }
    return lock.status();
  }
  auto db = Connection::open(database);
  if (!db) return db.status();
  CheckpointStore store(&*db, database);
  STRATA_RETURN_IF_ERROR(store.create_tables());
  STRATA_RETURN_IF_ERROR(db->exec("BEGIN IMMEDIATE"));
  auto erased = store.erase(name);
  if (!erased) {
    (void)db->exec("ROLLBACK");
    return erased.status();
  }
  STRATA_RETURN_IF_ERROR(db->exec("COMMIT"));
  ::unlink(lock_file.c_str());
  if (!*erased) return Status(StatusCode::kNotFound, database + " holds no projection " + name);
  return Status::ok();
}

}  // namespace strata::projection
