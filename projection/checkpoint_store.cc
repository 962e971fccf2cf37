#include "projection/checkpoint_store.h"

#include <algorithm>

namespace strata::projection {

namespace {

// `partition` and `offset` read naturally in queries; SQLite accepts both as column names.
constexpr const char* kTablesSql = R"sql(
CREATE TABLE IF NOT EXISTS strata_projection(
  name TEXT PRIMARY KEY,
  log_directory TEXT NOT NULL,
  definition_hash TEXT NOT NULL,         -- over the topics and normalized apply statements (or a handler's version)
  state TEXT NOT NULL,                   -- catching-up | live (while running) | stopped | failed
  error TEXT,                            -- what stopped it, when failed
  heartbeat_us INTEGER NOT NULL,         -- wall clock of the running projector's last heartbeat; 0 once stopped
  heartbeat_interval_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS strata_projection_topic(
  name TEXT NOT NULL,
  topic TEXT NOT NULL,
  log_id TEXT NOT NULL,                  -- the topic's identity when the projection was built (TopicInfo::log_id)
  partitions INTEGER NOT NULL,
  PRIMARY KEY(name, topic)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS strata_checkpoint(
  name TEXT NOT NULL,
  topic TEXT NOT NULL,
  partition INTEGER NOT NULL,
  next_offset INTEGER NOT NULL,          -- every event below it is applied, none at or above
  last_timestamp_us INTEGER NOT NULL,    -- the last applied event's timestamp (0 before any)
  PRIMARY KEY(name, topic, partition)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS strata_dead_letter(
  name TEXT NOT NULL,
  topic TEXT NOT NULL,
  partition INTEGER NOT NULL,
  offset INTEGER NOT NULL,
  timestamp_us INTEGER NOT NULL,
  key BLOB,
  value BLOB,
  error TEXT NOT NULL,
  PRIMARY KEY(name, topic, partition, offset)
) WITHOUT ROWID;
)sql";

std::string column_text(sqlite3_stmt* stmt, int column) {
  const unsigned char* value = sqlite3_column_text(stmt, column);
  return value != nullptr ? std::string(reinterpret_cast<const char*>(value)) : std::string();
}

void bind_text(sqlite3_stmt* stmt, int index, std::string_view text) {
  sqlite3_bind_text(stmt, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
}

void bind_bytes(sqlite3_stmt* stmt, int index, std::span<const std::byte> bytes) {
  sqlite3_bind_blob(stmt, index, bytes.empty() ? "" : static_cast<const void*>(bytes.data()),
                    static_cast<int>(bytes.size()), SQLITE_TRANSIENT);
}

std::string rebuild_hint() {
  return "rebuild it (strata project --rebuild or --rebuild-if-changed; RebuildMode::kIfNeeded in C++)";
}

std::string topic_names(const std::vector<std::string>& names) {
  std::string text;
  for (const std::string& name : names) text += (text.empty() ? "" : ", ") + name;
  return text;
}

}  // namespace

std::string definition_mismatch(const StoredProjection& stored, std::string_view definition_hash,
                                const std::vector<TopicLog>& topics, const Checkpoints& checkpoints,
                                const std::string& database) {
  const std::string& name = stored.name;
  std::vector<std::string> stored_names, wanted_names;
  for (const StoredTopic& topic : stored.topics) stored_names.push_back(topic.topic);
  for (const TopicLog& topic : topics) wanted_names.push_back(topic.topic);
  std::sort(stored_names.begin(), stored_names.end());
  std::sort(wanted_names.begin(), wanted_names.end());
  if (stored_names != wanted_names) {
    return "projection " + name + " in " + database + " was built from topics " + topic_names(stored_names) +
           ", not " + topic_names(wanted_names) + "; " + rebuild_hint() + " with the new definition";
  }
  for (const TopicLog& log : topics) {
    const auto stored_topic = std::find_if(stored.topics.begin(), stored.topics.end(),
                                           [&](const StoredTopic& t) { return t.topic == log.topic; });
    if (stored_topic->log_id == log.log_id && stored_topic->partitions != log.partitions) {
      // Not followed yet: a key's later events may be in a new partition, so the read model starts over.
      return "projection " + name + " was built from topic " + log.topic + " with " +
             std::to_string(stored_topic->partitions) + " partitions; it has " + std::to_string(log.partitions) +
             " now (strata topic alter --partitions or Kafka's CreatePartitions); " + rebuild_hint();
    }
    if (stored_topic->log_id != log.log_id) {
      return "projection " + name + " was built from another history of topic " + log.topic + " (log id " +
             stored_topic->log_id + ", the log now has " + log.log_id +
             "): the topic was deleted and recreated since; " + rebuild_hint();
    }
  }
  if (stored.definition_hash != definition_hash) {
    return "projection " + name + "'s definition changed since " + database + " was built (stored hash " +
           stored.definition_hash + ", now " + std::string(definition_hash) + "); " + rebuild_hint() +
           " with the new definition";
  }
  for (const TopicLog& log : topics) {
    for (std::uint32_t p = 0; p < log.partitions; ++p) {
      const auto found = checkpoints.find(std::pair{log.topic, p});
      if (found == checkpoints.end()) {
        return "projection " + name + " in " + database + " has no checkpoint for topic " + log.topic +
               " partition " + std::to_string(p) + "; " + rebuild_hint();
      }
      if (found->second.next_offset > log.end_offsets[p]) {
        return "projection " + name + " has applied topic " + log.topic + " partition " + std::to_string(p) +
               " up to offset " + std::to_string(found->second.next_offset) + " but the log ends at " +
               std::to_string(log.end_offsets[p]) + " (the log lost events the read model holds); " +
               rebuild_hint();
      }
    }
  }
  return {};
}

Result<bool> CheckpointStore::is_earlier_layout() {
  auto checkpoint_table =
      db_->query_int("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'strata_checkpoint'");
  if (!checkpoint_table) return checkpoint_table.status();
  if (*checkpoint_table == 0) return false;
  auto topic_column = db_->query_int("SELECT count(*) FROM pragma_table_info('strata_checkpoint') WHERE name = 'topic'");
  if (!topic_column) return topic_column.status();
  return *topic_column == 0;
}

Status CheckpointStore::create_tables() {
  auto earlier = is_earlier_layout();
  if (!earlier) return earlier.status().with_context(database_);
  if (*earlier) {
    return Status(StatusCode::kUnsupported,
                  database_ + " was built by an earlier strata (one topic per projection, without heartbeats); " +
                      rebuild_hint());
  }
  Status status = db_->exec(kTablesSql);
  if (!status) return std::move(status).with_context(database_);
  return Status::ok();
}

Result<std::vector<StoredProjection>> CheckpointStore::load() {
  std::vector<StoredProjection> stored;
  auto projections = db_->prepare("SELECT name, definition_hash FROM strata_projection ORDER BY name");
  if (!projections) return projections.status();
  int rc;
  while ((rc = sqlite3_step(projections->get())) == SQLITE_ROW) {
    stored.push_back({column_text(projections->get(), 0), column_text(projections->get(), 1), {}});
  }
  if (rc != SQLITE_DONE) return sqlite_status(db_->get(), rc, "reading strata_projection");
  auto topics = db_->prepare("SELECT topic, log_id, partitions FROM strata_projection_topic WHERE name = ?1");
  if (!topics) return topics.status();
  for (StoredProjection& projection : stored) {
    bind_text(topics->get(), 1, projection.name);
    while ((rc = sqlite3_step(topics->get())) == SQLITE_ROW) {
      projection.topics.push_back({column_text(topics->get(), 0), column_text(topics->get(), 1),
                                   static_cast<std::uint32_t>(sqlite3_column_int64(topics->get(), 2))});
    }
    sqlite3_reset(topics->get());
    if (rc != SQLITE_DONE) return sqlite_status(db_->get(), rc, "reading strata_projection_topic");
  }
  return stored;
}

Result<Checkpoints> CheckpointStore::load_checkpoints(std::string_view name) {
  auto statement = db_->prepare(
      "SELECT topic, partition, next_offset, last_timestamp_us FROM strata_checkpoint WHERE name = ?1");
  if (!statement) return statement.status();
  bind_text(statement->get(), 1, name);
  Checkpoints checkpoints;
  int rc;
  while ((rc = sqlite3_step(statement->get())) == SQLITE_ROW) {
    const std::int64_t partition = sqlite3_column_int64(statement->get(), 1);
    const std::int64_t next_offset = sqlite3_column_int64(statement->get(), 2);
    if (partition < 0 || partition > UINT32_MAX || next_offset < 0) {
      return corruption(database_ + ": projection " + std::string(name) + " has a checkpoint for partition " +
                        std::to_string(partition) + " at offset " + std::to_string(next_offset));
    }
    checkpoints[{column_text(statement->get(), 0), static_cast<std::uint32_t>(partition)}] = {
        static_cast<std::uint64_t>(next_offset), sqlite3_column_int64(statement->get(), 3)};
  }
  if (rc != SQLITE_DONE) return sqlite_status(db_->get(), rc, "reading strata_checkpoint");
  return checkpoints;
}

Status CheckpointStore::insert(std::string_view name, std::string_view definition_hash,
                               std::string_view log_directory, const std::vector<TopicLog>& topics,
                               const std::vector<std::vector<std::uint64_t>>& start_offsets,
                               std::int64_t heartbeat_interval_ms) {
  auto projection = db_->prepare(
      "INSERT INTO strata_projection(name, log_directory, definition_hash, state, heartbeat_us, "
      "heartbeat_interval_ms) VALUES(?1, ?2, ?3, 'catching-up', 0, ?4)");
  if (!projection) return projection.status();
  bind_text(projection->get(), 1, name);
  bind_text(projection->get(), 2, log_directory);
  bind_text(projection->get(), 3, definition_hash);
  sqlite3_bind_int64(projection->get(), 4, heartbeat_interval_ms);
  STRATA_RETURN_IF_ERROR(step_to_done(db_->get(), projection->get()));
  auto topic = db_->prepare("INSERT INTO strata_projection_topic(name, topic, log_id, partitions) VALUES(?1, ?2, ?3, ?4)");
  if (!topic) return topic.status();
  auto checkpoint = db_->prepare(
      "INSERT INTO strata_checkpoint(name, topic, partition, next_offset, last_timestamp_us) VALUES(?1, ?2, ?3, ?4, 0)");
  if (!checkpoint) return checkpoint.status();
  for (std::size_t t = 0; t < topics.size(); ++t) {
    bind_text(topic->get(), 1, name);
    bind_text(topic->get(), 2, topics[t].topic);
    bind_text(topic->get(), 3, topics[t].log_id);
    sqlite3_bind_int64(topic->get(), 4, topics[t].partitions);
    STRATA_RETURN_IF_ERROR(step_to_done(db_->get(), topic->get()));
    for (std::uint32_t p = 0; p < topics[t].partitions; ++p) {
      bind_text(checkpoint->get(), 1, name);
      bind_text(checkpoint->get(), 2, topics[t].topic);
      sqlite3_bind_int64(checkpoint->get(), 3, p);
      sqlite3_bind_int64(checkpoint->get(), 4, static_cast<std::int64_t>(start_offsets[t][p]));
      STRATA_RETURN_IF_ERROR(step_to_done(db_->get(), checkpoint->get()));
    }
  }
  return Status::ok();
}

Status CheckpointStore::prepare_updates() {
  struct Prepared {
    Statement* statement;
    const char* sql;
  };
  const Prepared prepared[] = {
      {&update_checkpoint_,
       "UPDATE strata_checkpoint SET next_offset = ?1, last_timestamp_us = ?2 "
       "WHERE name = ?3 AND topic = ?4 AND partition = ?5"},
      {&update_heartbeat_, "UPDATE strata_projection SET state = ?1, error = NULL, heartbeat_us = ?2 WHERE name = ?3"},
      {&insert_dead_letter_,
       "INSERT OR REPLACE INTO strata_dead_letter(name, topic, partition, offset, timestamp_us, key, value, error) "
       "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"},
  };
  for (const Prepared& p : prepared) {
    auto statement = db_->prepare(p.sql);
    if (!statement) return statement.status().with_context(p.sql);
    *p.statement = std::move(statement.value());
  }
  return Status::ok();
}

Status CheckpointStore::save_checkpoint(std::string_view name, std::string_view topic, std::uint32_t partition,
                                        std::uint64_t next_offset, std::int64_t last_timestamp_us) {
  sqlite3_stmt* update = update_checkpoint_.get();
  sqlite3_bind_int64(update, 1, static_cast<std::int64_t>(next_offset));
  sqlite3_bind_int64(update, 2, last_timestamp_us);
  bind_text(update, 3, name);
  bind_text(update, 4, topic);
  sqlite3_bind_int64(update, 5, partition);
  return step_to_done(db_->get(), update);
}

Status CheckpointStore::save_heartbeat(std::string_view name, std::string_view state, std::int64_t heartbeat_us) {
  sqlite3_stmt* update = update_heartbeat_.get();
  bind_text(update, 1, state);
  sqlite3_bind_int64(update, 2, heartbeat_us);
  bind_text(update, 3, name);
  return step_to_done(db_->get(), update);
}

Status CheckpointStore::save_final_state(std::string_view name, std::string_view state, std::string_view error) {
  auto statement = db_->prepare("UPDATE strata_projection SET state = ?1, error = ?2, heartbeat_us = 0 WHERE name = ?3");
  if (!statement) return statement.status();
  bind_text(statement->get(), 1, state);
  if (error.empty()) {
    sqlite3_bind_null(statement->get(), 2);
  } else {
    bind_text(statement->get(), 2, error);
  }
  bind_text(statement->get(), 3, name);
  return step_to_done(db_->get(), statement->get());
}

Status CheckpointStore::insert_dead_letter(std::string_view name, std::string_view topic, std::uint32_t partition,
                                           std::uint64_t offset, std::int64_t timestamp_us,
                                           std::span<const std::byte> key, std::span<const std::byte> value,
                                           std::string_view error) {
  sqlite3_stmt* insert = insert_dead_letter_.get();
  bind_text(insert, 1, name);
  bind_text(insert, 2, topic);
  sqlite3_bind_int64(insert, 3, partition);
  sqlite3_bind_int64(insert, 4, static_cast<std::int64_t>(offset));
  sqlite3_bind_int64(insert, 5, timestamp_us);
  if (key.empty()) {
    sqlite3_bind_null(insert, 6);
  } else {
    bind_bytes(insert, 6, key);
  }
  bind_bytes(insert, 7, value);
  bind_text(insert, 8, error);
  return step_to_done(db_->get(), insert);
}

Result<bool> CheckpointStore::erase(std::string_view name) {
  bool found = false;
  for (const char* table : {"strata_projection", "strata_projection_topic", "strata_checkpoint", "strata_dead_letter"}) {
    auto statement = db_->prepare(std::string("DELETE FROM ") + table + " WHERE name = ?1");
    if (!statement) return statement.status();
    bind_text(statement->get(), 1, name);
    STRATA_RETURN_IF_ERROR(step_to_done(db_->get(), statement->get()));
    found = found || sqlite3_changes(db_->get()) > 0;
  }
  return found;
}

}  // namespace strata::projection
