// Engine: the rebuild beside the live file.
//
// Builds every projection from the log's start into <database>.rebuild (the live file keeps serving reads,
// and a projector following it keeps going), then copies it over the live file with SQLite's backup API:
// one write transaction on the live file, so a reader sees the old contents or the new, never a mix.
//
// Why not rename(2) the new file over the old one: in WAL mode the -wal and -shm files belong to the live
// file by name, and readers that have it open keep using them; a renamed-in file would meet the old file's
// WAL (SQLite's "how to corrupt a database": unlinking or renaming a database in use).
//
// The whole file is replaced, so a file that also holds projections not defined here is refused: their
// tables and checkpoints would be lost or left inconsistent with each other.
#include <unistd.h>

#include <algorithm>
#include <thread>

#include "projection/engine.h"

namespace strata::projection {

namespace {

constexpr auto kBackupBusyDeadline = std::chrono::seconds(60);
// Catch-up rounds of the rebuild before the swap, while a follower of the live file moves on.
constexpr int kCatchUpRoundsMax = 10;

}  // namespace

Status Engine::rebuild_beside(const std::map<std::string, std::string>& stored_hashes) {
  STRATA_RETURN_IF_ERROR(check_rebuild_allowed(stored_hashes));
  auto built = build_beside();
  if (!built) return built.status();
  return swap_in(std::move(built.value()), stored_hashes);
}

Status Engine::check_rebuild_allowed(const std::map<std::string, std::string>& stored_hashes) const {
  for (const auto& [name, hash] : stored_hashes) {
    const bool ours = std::any_of(projections_.begin(), projections_.end(),
                                  [&](const ProjectionState& p) { return p.definition.name == name; });
    if (!ours) {
      return invalid_argument("a rebuild replaces the whole of " + options_.database + ", which also holds projection " +
                              name + " (not defined here): build each projection that needs rebuilding in a "
                              "database of its own, or drop " + name + " first (strata project drop --db " +
                              options_.database + " --name " + name + ")");
    }
  }
  return Status::ok();
}

// Every projection built into rebuild_path(), caught up at least to where the live file stands, so that
// the swap does not take readers back; a projector following the live file may still commit in the moment
// before the copy (it then re-applies those few events from the rebuilt checkpoint).
Result<std::unique_ptr<Engine>> Engine::build_beside() {
  auto page_size = db_.query_int("PRAGMA page_size");
  if (!page_size) return page_size.status();
  ProjectorOptions options = options_;
  options.database = rebuild_path(options_.database);
  options.rebuild = RebuildMode::kNever;
  auto nested = Engine::open(options, OpenMode{.fresh = true, .page_size = *page_size, .synchronous_off = true});
  if (!nested) return nested.status().with_context("rebuilding in " + options.database);
  for (const ProjectionState& projection : projections_) STRATA_RETURN_IF_ERROR((*nested)->add(projection.definition));
  const auto& keys = published_.streams();
  for (int round = 0; round < kCatchUpRoundsMax; ++round) {
    Status status = (*nested)->run(/*follow=*/false);
    if (!status) return std::move(status).with_context("rebuilding in " + options.database);
    auto live = live_positions();
    if (!live) return live.status();
    bool behind = false;
    for (std::size_t i = 0; i < keys.size(); ++i) {
      const std::vector<std::uint64_t> built = (*nested)->positions(keys[i].first);
      behind = behind || (keys[i].second < built.size() && built[keys[i].second] < (*live)[i]);
    }
    if (!behind) break;
  }
  // The rebuilt file's rows say which state its projector was in; a running follower writes its own at its
  // next heartbeat, and this process writes its own if it goes on.
  for (const ProjectionState& projection : projections_) {
    STRATA_RETURN_IF_ERROR((*nested)->store_.save_final_state(projection.definition.name, "stopped", {}));
  }
  return nested;
}

// Copies `built` over the live file, removes the rebuild's files, and takes over its positions and summary.
Status Engine::swap_in(std::unique_ptr<Engine> built, const std::map<std::string, std::string>& stored_hashes) {
  STRATA_RETURN_IF_ERROR(copy_over_live(built->db_.get()));
  const RunSummary built_summary = built->summary();
  const auto& keys = published_.streams();
  std::vector<std::uint64_t> positions(keys.size());
  for (std::size_t i = 0; i < keys.size(); ++i) positions[i] = built->positions(keys[i].first)[keys[i].second];
  const std::string built_database = built->options_.database;
  built.reset();  // closes the rebuilt file before its files are removed
  remove_database_files(built_database);
  for (const ProjectionState& projection : projections_) ::unlink(lock_path(built_database, projection.definition.name).c_str());
  published_.set_positions(std::move(positions));  // what the swapped-in file holds (and positions() reports)
  published_.update_summary([&](RunSummary& summary) {
    summary.rebuilt = true;
    summary.handed_over = !have_locks_;
    for (const ProjectionState& projection : projections_) {
      const auto stored = stored_hashes.find(projection.definition.name);
      summary.follower_stops = summary.follower_stops || (!have_locks_ && stored != stored_hashes.end() &&
                                                          stored->second != projection.definition.hash);
    }
    summary.events_applied += built_summary.events_applied;
    summary.dead_letters += built_summary.dead_letters;
    summary.transactions += built_summary.transactions;
  });
  return Status::ok();
}

// One step of every page: the copy commits as one transaction on the live file. A projector following the
// live file holds its write lock only during its own transactions, so BUSY passes.
Status Engine::copy_over_live(sqlite3* source) {
  sqlite3_backup* backup = sqlite3_backup_init(db_.get(), "main", source, "main");
  if (backup == nullptr) return sqlite_status(db_.get(), sqlite3_errcode(db_.get()), "replacing " + options_.database);
  const auto deadline = std::chrono::steady_clock::now() + kBackupBusyDeadline;
  int rc;
  while ((rc = sqlite3_backup_step(backup, -1)) == SQLITE_BUSY || rc == SQLITE_LOCKED) {
    if (std::chrono::steady_clock::now() > deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  sqlite3_backup_finish(backup);
  if (rc != SQLITE_DONE) return sqlite_status(db_.get(), rc, "replacing " + options_.database + " with the rebuild");
  return Status::ok();
}

// The smallest checkpoint per stream in the live file (0 where it has none).
Result<std::vector<std::uint64_t>> Engine::live_positions() {
  std::vector<std::uint64_t> positions(topics_.streams.size(), 0);
  auto earlier = store_.is_earlier_layout();
  if (!earlier) return earlier.status();
  auto exists = db_.query_int("SELECT count(*) FROM sqlite_master WHERE name = 'strata_checkpoint'");
  if (!exists) return exists.status();
  if (*exists == 0 || *earlier) return positions;
  auto query = db_.prepare("SELECT min(next_offset) FROM strata_checkpoint WHERE topic = ?1 AND partition = ?2");
  if (!query) return query.status();
  for (std::size_t i = 0; i < topics_.streams.size(); ++i) {
    const std::string& topic = topics_.topic(i);
    sqlite3_bind_text(query->get(), 1, topic.data(), static_cast<int>(topic.size()), SQLITE_STATIC);
    sqlite3_bind_int64(query->get(), 2, topics_.streams[i].partition);
    const int rc = sqlite3_step(query->get());
    if (rc == SQLITE_ROW) positions[i] = static_cast<std::uint64_t>(std::max<std::int64_t>(0, sqlite3_column_int64(query->get(), 0)));
    sqlite3_reset(query->get());
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return sqlite_status(db_.get(), rc, "reading the live checkpoints");
  }
  return positions;
}

}  // namespace strata::projection
