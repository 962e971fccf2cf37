// read_status: what `strata project status` shows, read from the database and the log without taking
// either's lock.
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include "projection/engine.h"
#include "projection/projector.h"
#include "projection/sqlite.h"
#include "strata/topics.h"

namespace strata::projection {

namespace {

std::string column_text(sqlite3_stmt* stmt, int column) {
  const unsigned char* text = sqlite3_column_text(stmt, column);
  return text != nullptr ? std::string(reinterpret_cast<const char*>(text)) : std::string();
}

// True while a projector holds the database's lock file.
bool projector_running(const std::string& database) {
  const int fd = ::open(lock_path(database).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool held = ::flock(fd, LOCK_SH | LOCK_NB) != 0;
  ::close(fd);
  return held;
}

std::int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The log's durable end for each partition (what a projector may apply), and how long the first unapplied
// event has waited.
void fill_lag(ProjectionStatus& status) {
  auto info = read_topic_info(status.log_directory, status.topic);
  if (!info) {
    status.error = status.error.empty() ? info.status().message() : status.error;
    return;
  }
  for (PartitionStatus& partition : status.partitions) {
    auto reader = Reader::open(status.log_directory, status.topic, partition.partition, ReadLevel::kDurable);
    if (!reader) continue;
    partition.end_offset = (*reader)->end_offset();
    partition.lag_events =
        partition.end_offset > partition.next_offset ? partition.end_offset - partition.next_offset : 0;
    if (partition.lag_events > 0 && (*reader)->seek(partition.next_offset)) {
      std::int64_t waiting_since = 0;
      (void)(*reader)->poll(1, [&](const Event& event) { waiting_since = event.timestamp_us; });
      if (waiting_since > 0)
        partition.lag_seconds = std::max(0.0, static_cast<double>(now_us() - waiting_since) / 1e6);
    }
    status.lag_events += partition.lag_events;
    status.lag_seconds = std::max(status.lag_seconds, partition.lag_seconds);
  }
}

}  // namespace

Result<std::vector<ProjectionStatus>> read_status(const std::string& database) {
  if (::access(database.c_str(), F_OK) != 0)
    return Status(StatusCode::kNotFound, database + " does not exist");
  auto db = Connection::open(database, /*read_only=*/true);
  if (!db) return db.status();
  auto projections = db->prepare(
      "SELECT name, topic, log_directory, log_id, state, error, "
      "(SELECT count(*) FROM strata_dead_letter d WHERE d.name = p.name) FROM strata_projection p ORDER BY "
      "name");
  if (!projections) return projections.status().with_context(database + " holds no projection");
  auto checkpoints =
      db->prepare("SELECT partition, next_offset FROM strata_checkpoint WHERE name=?1 ORDER BY partition");
  if (!checkpoints) return checkpoints.status();
  const bool running = projector_running(database);
  std::vector<ProjectionStatus> result;
  int rc;
  while ((rc = sqlite3_step(projections->get())) == SQLITE_ROW) {
    ProjectionStatus status;
    sqlite3_stmt* row = projections->get();
    status.name = column_text(row, 0);
    status.topic = column_text(row, 1);
    status.log_directory = column_text(row, 2);
    const std::string log_id = column_text(row, 3);
    status.state = column_text(row, 4);
    status.error = column_text(row, 5);
    status.dead_letters = static_cast<std::uint64_t>(sqlite3_column_int64(row, 6));
    status.running = running;
    // A projector killed without a word leaves "live" or "catching-up" behind: the lock says it is gone.
    if (!running && (status.state == "live" || status.state == "catching-up")) status.state = "not running";
    sqlite3_bind_text(checkpoints->get(), 1, status.name.c_str(), -1, SQLITE_TRANSIENT);
    int crc;
    while ((crc = sqlite3_step(checkpoints->get())) == SQLITE_ROW) {
      PartitionStatus partition;
      partition.partition = static_cast<std::uint32_t>(sqlite3_column_int64(checkpoints->get(), 0));
      partition.next_offset = static_cast<std::uint64_t>(sqlite3_column_int64(checkpoints->get(), 1));
      status.partitions.push_back(partition);
    }
    sqlite3_reset(checkpoints->get());
    if (crc != SQLITE_DONE) return sqlite_status(db->get(), crc, "reading strata_checkpoint");
    auto info = read_topic_info(status.log_directory, status.topic);
    if (info && info->log_id != log_id) {
      status.log_recreated = true;
    } else {
      fill_lag(status);
    }
    result.push_back(std::move(status));
  }
  if (rc != SQLITE_DONE) return sqlite_status(db->get(), rc, "reading strata_projection");
  return result;
}

}  // namespace strata::projection
