// Engine: ending a transaction: the commit with each moved checkpoint and the heartbeat, or the rollback;
// the idle follower's heartbeat transaction; the committed positions published to other threads.
#include <sys/stat.h>

#include <algorithm>

#include "projection/engine.h"

namespace strata::projection {

namespace {

std::int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

Status Engine::commit_transaction() {
  STRATA_ASSERT(transaction_.is_open(), "commit without a transaction");
  STRATA_RETURN_IF_ERROR(save_checkpoints());
  STRATA_RETURN_IF_ERROR(save_heartbeats(now_us()));
  const std::uint64_t events = transaction_.events();
  STRATA_RETURN_IF_ERROR(transaction_.commit());
  checkpointer_.after_commit();
  if (!skipping_.careful && events > 0) skipping_.end_streak();  // a batch applied without a failure
  skipping_.careful = false;
  skipping_.pending_dead_letters = 0;
  for (ProjectionState& projection : projections_) {
    for (std::size_t i = 0; i < topics_.streams.size(); ++i) {
      if (projection.committed[i] != kUnread)
        projection.committed[i] = std::max(projection.committed[i], topics_.streams[i].read_position);
    }
  }
  published_.update_summary([&](RunSummary& summary) {
    summary.events_applied += events;
    summary.transactions += 1;
  });
  publish_positions();
  progress_.applied += events;
  return Status::ok();
}

// Each projection's checkpoint of each stream it read past, in the open transaction.
Status Engine::save_checkpoints() {
  for (ProjectionState& projection : projections_) {
    for (std::size_t i = 0; i < topics_.streams.size(); ++i) {
      const Stream& stream = topics_.streams[i];
      if (projection.committed[i] == kUnread || stream.read_position <= projection.committed[i]) continue;
      STRATA_RETURN_IF_ERROR(store_.save_checkpoint(projection.definition.name, topics_.topic(i), stream.partition,
                                                    stream.read_position, stream.read_time));
    }
  }
  return Status::ok();
}

void Engine::rollback_transaction() {
  if (!transaction_.is_open()) return;
  transaction_.rollback();
  const std::uint64_t undone = std::exchange(skipping_.pending_dead_letters, 0);
  published_.update_summary([&](RunSummary& summary) { summary.dead_letters -= std::min(summary.dead_letters, undone); });
}

void Engine::publish_positions() {
  std::vector<std::uint64_t> minimum(topics_.streams.size(), kUnread);
  for (const ProjectionState& projection : projections_) {
    for (std::size_t i = 0; i < topics_.streams.size() && i < projection.committed.size(); ++i)
      minimum[i] = std::min(minimum[i], projection.committed[i]);
  }
  published_.set_positions(std::move(minimum));
}

Status Engine::save_heartbeats(std::int64_t now) {
  const char* state = caught_up_ && topics_.at_end() ? "live" : "catching-up";
  for (const ProjectionState& projection : projections_) {
    STRATA_RETURN_IF_ERROR(store_.save_heartbeat(projection.definition.name, state, now));
  }
  heartbeat_last_ = std::chrono::steady_clock::now();
  return Status::ok();
}

// An idle follower's proof of life: a transaction of its own that also notices a rebuild swapped in.
Status Engine::heartbeat() {
  STRATA_RETURN_IF_ERROR(check_database_file());
  auto changed = transaction_.begin();
  if (!changed) return changed.status();
  if (*changed) return handle_round_end({RoundEnd::kReload, {}});  // a swap: reload (or stop) now
  Status status = save_heartbeats(now_us());
  if (!status) {
    rollback_transaction();
    return status;
  }
  return transaction_.commit();
}

// A database file deleted (or replaced by another file) under the projector would take its commits into an
// unlinked inode nobody reads.
Status Engine::check_database_file() const {
  struct stat file {};
  if (::stat(options_.database.c_str(), &file) != 0) {
    return Status(StatusCode::kNotFound, "the database " + options_.database +
                                             " was deleted under the projector; stopped (run it again to build it anew)");
  }
  if (std::pair{file.st_dev, file.st_ino} != database_file_) {
    return Status(StatusCode::kNotFound, "the database " + options_.database +
                                             " was replaced by another file under the projector; stopped");
  }
  return Status::ok();
}

}  // namespace strata::projection
