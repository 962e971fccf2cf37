// The projector's own tables in a database, and the checks of a stored projection against its definition
// and its log. Internal to projection/.
//
//   strata_projection        one row per projection: definition hash, state, error, heartbeat
//   strata_projection_topic  one row per topic a projection reads: the log identity it was built from
//   strata_checkpoint        one row per topic partition: the next offset to apply
//   strata_dead_letter       events skipped with --on-error skip, with SQLite's message
//
// Every write here runs inside the caller's transaction (the projector's batch, or its own BEGIN/COMMIT);
// the store never begins or commits.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "projection/sqlite.h"
#include "strata/status.h"

namespace strata::projection {

// A topic as the log holds it now, for the checks and for a new projection's rows.
struct TopicLog {
  std::string topic;
  std::string log_id;
  std::uint32_t partitions = 0;
  std::vector<std::uint64_t> end_offsets;  // per partition, the durable end
};

struct StoredTopic {
  std::string topic;
  std::string log_id;
  std::uint32_t partitions = 0;
};

struct StoredProjection {
  std::string name;
  std::string definition_hash;
  std::vector<StoredTopic> topics;
};

struct StoredCheckpoint {
  std::uint64_t next_offset = 0;
  std::int64_t last_timestamp_us = 0;
};
// Keyed by (topic, partition).
using Checkpoints = std::map<std::pair<std::string, std::uint32_t>, StoredCheckpoint, std::less<>>;

// Why a stored projection cannot go on as it is ("" when it can): its topics, a topic's history (log id,
// partitions) or its definition hash differ from the log's and the definition's, or a checkpoint lies past
// the log's durable end.
std::string definition_mismatch(const StoredProjection& stored, std::string_view definition_hash,
                                const std::vector<TopicLog>& topics, const Checkpoints& checkpoints,
                                const std::string& database);

class CheckpointStore {
 public:
  CheckpointStore() = default;
  CheckpointStore(Connection* db, std::string database) : db_(db), database_(std::move(database)) {}

  // Creates the tables where missing. A database an earlier strata built (one topic per projection, no
  // strata_projection_topic) is kUnsupported with a message that says to rebuild it.
  Status create_tables();
  // True when the file holds the earlier layout (see create_tables).
  Result<bool> is_earlier_layout();

  Result<std::vector<StoredProjection>> load();
  Result<Checkpoints> load_checkpoints(std::string_view name);

  // Rows of a new projection: its topics and a checkpoint per partition at `start_offsets` (per topic).
  Status insert(std::string_view name, std::string_view definition_hash, std::string_view log_directory,
                const std::vector<TopicLog>& topics,
                const std::vector<std::vector<std::uint64_t>>& start_offsets, std::int64_t heartbeat_interval_ms);
  // Prepares the statements of the per-batch writes below. REQUIRES: after create_tables.
  Status prepare_updates();
  Status save_checkpoint(std::string_view name, std::string_view topic, std::uint32_t partition,
                         std::uint64_t next_offset, std::int64_t last_timestamp_us);
  // state: live | catching-up (a running projector); heartbeat_us: now.
  Status save_heartbeat(std::string_view name, std::string_view state, std::int64_t heartbeat_us);
  // The state a status query shows once the projector is gone: stopped, or failed with `error`.
  Status save_final_state(std::string_view name, std::string_view state, std::string_view error);
  Status insert_dead_letter(std::string_view name, std::string_view topic, std::uint32_t partition,
                            std::uint64_t offset, std::int64_t timestamp_us, std::span<const std::byte> key,
                            std::span<const std::byte> value, std::string_view error);
  // Deletes every row of projection `name`; false when it has none.
  Result<bool> erase(std::string_view name);

 private:
  Connection* db_ = nullptr;
  std::string database_;
  Statement update_checkpoint_, update_heartbeat_, insert_dead_letter_;
};

}  // namespace strata::projection
