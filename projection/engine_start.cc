// Engine: opening the database, the topics and the locks; checking the stored projections against their
// definitions and the log; creating new ones; the rebuild beside the live file and the reload after another
// process swapped one in.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <thread>

#include "projection/engine.h"
#include "projection/text.h"

namespace strata::projection {

namespace {

constexpr auto kBackupBusyDeadline = std::chrono::seconds(60);
constexpr auto kSourceRetryInterval = std::chrono::milliseconds(100);

void remove_database_files(const std::string& path) {
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) ::unlink((path + suffix).c_str());
}

Status validate_name(const std::string& name) {
  if (name.empty()) return invalid_argument("a projection needs a name");
  for (const char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '.') {
      return invalid_argument("projection name \"" + name + "\": use letters, digits, '_', '-' and '.' only");
    }
  }
  return Status::ok();
}

// The hash covers the kind, then each topic (sorted) with its normalized statements.
std::string hash_of(std::string_view kind, std::vector<TopicApply> topics, std::string_view version) {
  std::sort(topics.begin(), topics.end(), [](const TopicApply& a, const TopicApply& b) { return a.topic < b.topic; });
  std::string text(kind);
  text += '\0';
  for (const TopicApply& topic : topics) text += topic.topic + '\0' + normalize_sql(topic.apply) + '\0';
  text += version;
  return definition_hash({text});
}

}  // namespace

std::string lock_path(const std::string& database, std::string_view projection) {
  return database + "-strata-lock-" + std::string(projection);
}
std::string rebuild_path(const std::string& database) {
  return database + ".rebuild";
}

Definition sql_definition(SqlProjection projection, const std::string& default_topic) {
  Definition definition;
  definition.name = projection.name;
  definition.schema = std::move(projection.schema);
  definition.topics = std::move(projection.topics);
  if (definition.topics.empty() || !projection.apply.empty()) {
    definition.topics.insert(definition.topics.begin(), TopicApply{default_topic, std::move(projection.apply)});
  }
  definition.hash = hash_of("sql", definition.topics, {});
  return definition;
}

Definition handler_definition(HandlerProjection projection, const std::string& default_topic) {
  Definition definition;
  definition.name = projection.name;
  definition.is_sql = false;
  if (projection.topics.empty()) projection.topics.push_back(default_topic);
  for (const std::string& topic : projection.topics) definition.topics.push_back({topic, {}});
  definition.hash = hash_of("handler", definition.topics, projection.version);
  definition.handler = std::move(projection);
  return definition;
}

Result<std::unique_ptr<Engine>> Engine::open(ProjectorOptions options, const OpenMode& mode) {
  if (options.database.empty()) return invalid_argument("no database file given");
  if (options.batch_events_max == 0) return invalid_argument("the batch must hold at least one event");
  if (options.log == nullptr && options.log_directory.empty()) {
    return invalid_argument("neither a Log nor a log directory given");
  }
  std::unique_ptr<Engine> engine(new Engine());
  engine->options_ = std::move(options);
  engine->mode_ = mode;
  const ProjectorOptions& opts = engine->options_;
  engine->log_directory_ = opts.log != nullptr ? opts.log->options().directory : opts.log_directory;
  std::error_code ignored;
  const auto absolute = std::filesystem::absolute(engine->log_directory_, ignored);
  if (!absolute.empty()) engine->log_directory_ = absolute.lexically_normal().string();
  if (mode.fresh) remove_database_files(opts.database);

  auto connection = Connection::open(opts.database);
  if (!connection) return connection.status();
  engine->db_ = std::move(connection.value());
  Connection& db = engine->db_;
  if (mode.page_size > 0) STRATA_RETURN_IF_ERROR(db.exec("PRAGMA page_size=" + std::to_string(mode.page_size)));
  auto journal = db.prepare("PRAGMA journal_mode=WAL");
  if (!journal) return journal.status().with_context("setting WAL mode on " + opts.database);
  if (sqlite3_step(journal->get()) != SQLITE_ROW ||
      std::string_view(reinterpret_cast<const char*>(sqlite3_column_text(journal->get(), 0))) != "wal") {
    return Status(StatusCode::kUnsupported, opts.database + ": SQLite refused WAL mode");
  }
  journal = Statement();
  // NORMAL in WAL mode syncs at checkpoints, not at each commit: a power loss may undo the last commits,
  // and with them their checkpoint rows, so the undone events are applied again: still exactly once.
  STRATA_RETURN_IF_ERROR(db.exec(mode.synchronous_off ? "PRAGMA synchronous=OFF" : "PRAGMA synchronous=NORMAL"));
  // 64 MiB of page cache: an upsert per event touches index pages all over the table while catching up.
  STRATA_RETURN_IF_ERROR(db.exec("PRAGMA cache_size=-65536"));
  struct stat file {};
  if (::stat(opts.database.c_str(), &file) == 0) {
    engine->database_inode_ = file.st_ino;
    engine->database_device_ = file.st_dev;
  }
  engine->store_ = CheckpointStore(&engine->db_, opts.database);
  // An earlier layout is rebuilt when asked to (the rebuild replaces the whole file), else refused.
  auto earlier = engine->store_.is_earlier_layout();
  if (!earlier) return earlier.status();
  if (!*earlier || opts.rebuild == RebuildMode::kNever) STRATA_RETURN_IF_ERROR(engine->store_.create_tables());

  struct Prepared {
    Statement* statement;
    const char* sql;
  };
  const Prepared prepared[] = {
      {&engine->begin_, "BEGIN IMMEDIATE"},       {&engine->commit_, "COMMIT"},
      {&engine->rollback_, "ROLLBACK"},           {&engine->data_version_, "PRAGMA data_version"},
      {&engine->savepoint_, "SAVEPOINT strata_event"}, {&engine->release_, "RELEASE strata_event"},
      {&engine->rollback_to_, "ROLLBACK TO strata_event"},
  };
  for (const Prepared& p : prepared) {
    auto statement = db.prepare(p.sql);
    if (!statement) return statement.status().with_context(p.sql);
    *p.statement = std::move(statement.value());
  }
  STRATA_RETURN_IF_ERROR(engine->checkpointer_.start(db.get(), opts.database, mode.synchronous_off));
  return engine;
}

Status Engine::add(Definition definition) {
  STRATA_ASSERT(!started_, "Projector::add after the projector started");
  STRATA_RETURN_IF_ERROR(validate_name(definition.name));
  for (const ProjectionState& existing : projections_) {
    if (existing.definition.name == definition.name) return invalid_argument("two projections named " + definition.name);
  }
  for (std::size_t i = 0; i < definition.topics.size(); ++i) {
    const TopicApply& topic = definition.topics[i];
    if (topic.topic.empty()) return invalid_argument("projection " + definition.name + " names no topic");
    STRATA_RETURN_IF_ERROR(validate_topic_name(topic.topic));
    if (definition.is_sql && normalize_sql(topic.apply).empty()) {
      return invalid_argument("projection " + definition.name + " has no statements to apply to topic " + topic.topic);
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (definition.topics[j].topic == topic.topic) {
        return invalid_argument("projection " + definition.name + " names topic " + topic.topic +
                                " twice (give each topic one --apply, with several statements if needed)");
      }
    }
  }
  if (!definition.is_sql && !definition.handler.apply) {
    return invalid_argument("projection " + definition.name + " has no handler");
  }
  ProjectionState state;
  state.definition = std::move(definition);
  projections_.push_back(std::move(state));
  return Status::ok();
}

// ---- The topics -------------------------------------------------------------------------------------------

Status Engine::open_sources() {
  std::vector<Source> sources;
  std::vector<Stream> streams;
  for (const ProjectionState& projection : projections_) {
    for (const TopicApply& topic : projection.definition.topics) {
      if (std::any_of(sources.begin(), sources.end(), [&](const Source& s) { return s.info.name == topic.topic; }))
        continue;
      Result<TopicInfo> info = Status(StatusCode::kNotFound, "the log has no topic " + topic.topic);
      if (options_.log != nullptr) {
        for (TopicInfo& candidate : options_.log->topics()) {
          if (candidate.name == topic.topic) info = std::move(candidate);
        }
      } else {
        info = read_topic_info(options_.log_directory, topic.topic);
      }
      if (!info) return info.status();
      const std::size_t source = sources.size();
      sources.push_back({std::move(info.value()), streams.size()});
      for (std::uint32_t p = 0; p < sources.back().info.partitions; ++p) {
        auto reader = options_.log != nullptr
                          ? options_.log->reader(topic.topic, p)
                          : Reader::open(options_.log_directory, topic.topic, p, ReadLevel::kDurable);
        if (!reader) return reader.status().with_context("topic " + topic.topic + " partition " + std::to_string(p));
        streams.push_back({source, p, std::move(reader.value()), 0, 0});
      }
    }
  }
  sources_ = std::move(sources);
  streams_ = std::move(streams);
  std::lock_guard lock(mutex_);
  stream_keys_.clear();
  for (const Stream& stream : streams_) stream_keys_.emplace_back(sources_[stream.source].info.name, stream.partition);
  committed_min_.assign(streams_.size(), 0);
  return Status::ok();
}

// With follow, a missing directory or topic is waited for (told once through options_.waiting).
Status Engine::wait_for_sources(bool follow) {
  bool told = false;
  while (true) {
    Status status = open_sources();
    if (status || !follow || status.code() != StatusCode::kNotFound) return status;
    if (!told && options_.waiting) {
      const bool no_directory = options_.log == nullptr && !std::filesystem::exists(options_.log_directory);
      options_.waiting(no_directory ? "waiting for log directory " + options_.log_directory + " to exist"
                                    : "waiting: " + status.message());
    }
    told = true;
    for (int i = 0; i < 5 && !stop_requested_.load(std::memory_order_relaxed); ++i) {
      std::this_thread::sleep_for(kSourceRetryInterval);
    }
    if (stop_requested_.load(std::memory_order_relaxed)) return status;
  }
}

Status Engine::take_locks(bool* all_held) {
  *all_held = true;
  for (ProjectionState& projection : projections_) {
    const std::string path = lock_path(options_.database, projection.definition.name);
    auto lock = FileLock::acquire(path);
    if (lock) {
      projection.lock = std::move(lock.value());
    } else if (lock.status().code() == StatusCode::kBusy) {
      *all_held = false;
    } else {
      return lock.status();
    }
  }
  if (!*all_held) {
    for (ProjectionState& projection : projections_) projection.lock.release();
  }
  return Status::ok();
}

std::vector<TopicLog> Engine::topic_logs(const ProjectionState& projection) const {
  std::vector<TopicLog> logs;
  for (std::size_t s = 0; s < sources_.size(); ++s) {
    if (!projection.reads[s]) continue;
    const Source& source = sources_[s];
    TopicLog log{source.info.name, source.info.log_id, source.info.partitions, {}};
    for (std::uint32_t p = 0; p < source.info.partitions; ++p)
      log.end_offsets.push_back(streams_[source.first_stream + p].reader->end_offset());
    logs.push_back(std::move(log));
  }
  return logs;
}

// ---- Starting -----------------------------------------------------------------------------------------

Status Engine::check_stored(std::vector<std::string>* mismatches, std::map<std::string, std::string>* stored_hashes) {
  auto earlier = store_.is_earlier_layout();
  if (!earlier) return earlier.status();
  if (*earlier) {
    mismatches->push_back(options_.database + " was built by an earlier strata (one topic per projection); rebuild it "
                          "(strata project --rebuild)");
    return Status::ok();
  }
  auto stored = store_.load();
  if (!stored) return stored.status();
  for (const StoredProjection& row : *stored) {
    (*stored_hashes)[row.name] = row.definition_hash;
    for (const ProjectionState& projection : projections_) {
      if (row.name != projection.definition.name) continue;
      auto checkpoints = store_.load_checkpoints(row.name);
      if (!checkpoints) return checkpoints.status();
      std::string mismatch = definition_mismatch(row, projection.definition.hash, topic_logs(projection),
                                                 *checkpoints, options_.database);
      if (!mismatch.empty()) mismatches->push_back(std::move(mismatch));
    }
  }
  return Status::ok();
}

Status Engine::start(bool follow) {
  if (projections_.empty()) return invalid_argument("no projection to run");
  STRATA_RETURN_IF_ERROR(wait_for_sources(follow));
  for (ProjectionState& projection : projections_) {
    projection.reads.assign(sources_.size(), false);
    projection.apply.resize(sources_.size());
    for (const TopicApply& topic : projection.definition.topics) {
      for (std::size_t s = 0; s < sources_.size(); ++s) projection.reads[s] = projection.reads[s] || sources_[s].info.name == topic.topic;
    }
  }
  STRATA_RETURN_IF_ERROR(take_locks(&have_locks_));
  std::vector<std::string> mismatches;
  std::map<std::string, std::string> stored_hashes;
  STRATA_RETURN_IF_ERROR(check_stored(&mismatches, &stored_hashes));
  const bool rebuild = options_.rebuild == RebuildMode::kAlways ||
                       (options_.rebuild == RebuildMode::kIfNeeded && !mismatches.empty());
  if (!have_locks_ && !rebuild) {
    std::string names;
    for (const ProjectionState& p : projections_) names += (names.empty() ? "" : ", ") + p.definition.name;
    return Status(StatusCode::kBusy, "another projector is running projection " + names + " on " + options_.database +
                                         " (it holds " + lock_path(options_.database, projections_[0].definition.name) + ")");
  }
  if (!rebuild && !mismatches.empty()) {
    std::string message = mismatches.front();
    for (std::size_t i = 1; i < mismatches.size(); ++i) message += "; " + mismatches[i];
    return invalid_argument(std::move(message));
  }
  if (rebuild) {
    STRATA_RETURN_IF_ERROR(rebuild_beside(stored_hashes));
    if (!have_locks_) return Status::ok();  // handed over: the lock holder follows the rebuilt file
    STRATA_RETURN_IF_ERROR(store_.create_tables());
    stored_hashes.clear();
    auto stored = store_.load();
    if (!stored) return stored.status();
    for (const StoredProjection& row : *stored) stored_hashes[row.name] = row.definition_hash;
  }
  for (ProjectionState& projection : projections_) {
    if (!stored_hashes.contains(projection.definition.name)) STRATA_RETURN_IF_ERROR(create_projection(projection));
    STRATA_RETURN_IF_ERROR(load_projection(projection));
  }
  STRATA_RETURN_IF_ERROR(seek_readers());
  STRATA_RETURN_IF_ERROR(prepare_loop());
  started_ = true;
  return Status::ok();
}

Status Engine::prepare_loop() {
  auto version = db_.query_int("PRAGMA data_version");
  if (!version) return version.status();
  data_version_seen_ = *version;
  return store_.prepare_updates();
}

Status Engine::create_projection(ProjectionState& projection) {
  const Definition& definition = projection.definition;
  STRATA_RETURN_IF_ERROR(db_.exec("BEGIN IMMEDIATE"));
  auto body = [&]() -> Status {
    if (definition.is_sql && !definition.schema.empty()) {
      Status status = db_.exec(definition.schema);
      if (!status) return std::move(status).with_context("projection " + definition.name + ": schema");
    } else if (!definition.is_sql && definition.handler.schema) {
      Transaction transaction(this, db_.get());
      Status status = definition.handler.schema(transaction);
      if (!status) return std::move(status).with_context("projection " + definition.name + ": schema");
    }
    // A new projection starts at the earliest event the log keeps (retention may have deleted older ones).
    std::vector<std::vector<std::uint64_t>> starts;
    for (std::size_t s = 0; s < sources_.size(); ++s) {
      if (!projection.reads[s]) continue;
      starts.emplace_back();
      for (std::uint32_t p = 0; p < sources_[s].info.partitions; ++p)
        starts.back().push_back(streams_[sources_[s].first_stream + p].reader->start_offset());
    }
    return store_.insert(definition.name, definition.hash, log_directory_, topic_logs(projection), starts,
                         options_.heartbeat_interval.count());
  };
  Status status = body();
  if (!status) {
    (void)db_.exec("ROLLBACK");
    return status;
  }
  return db_.exec("COMMIT");
}

// The checkpoints into `committed` and, for SQL, the statements per topic.
Status Engine::load_projection(ProjectionState& projection) {
  const std::string& name = projection.definition.name;
  auto checkpoints = store_.load_checkpoints(name);
  if (!checkpoints) return checkpoints.status();
  projection.committed.assign(streams_.size(), kUnread);
  for (std::size_t i = 0; i < streams_.size(); ++i) {
    const Stream& stream = streams_[i];
    if (!projection.reads[stream.source]) continue;
    const std::string& topic = sources_[stream.source].info.name;
    const auto found = checkpoints->find(std::pair{topic, stream.partition});
    if (found == checkpoints->end()) {
      return corruption(options_.database + ": projection " + name + " has no checkpoint for topic " + topic +
                        " partition " + std::to_string(stream.partition));
    }
    projection.committed[i] = found->second.next_offset;
  }
  if (!projection.definition.is_sql) return Status::ok();
  for (const TopicApply& topic : projection.definition.topics) {
    for (std::size_t s = 0; s < sources_.size(); ++s) {
      if (sources_[s].info.name != topic.topic) continue;
      auto apply = SqlApply::prepare(db_, topic.apply);
      // A statement wrong for every event (a misspelt column or table) fails here, once, before any event.
      if (!apply) {
        const bool several = projection.definition.topics.size() > 1;
        return apply.status().with_context("projection " + name + ": apply" + (several ? " for topic " + topic.topic : ""));
      }
      projection.apply[s] = std::move(apply.value());
    }
  }
  return Status::ok();
}

Status Engine::seek_readers() {
  for (std::size_t i = 0; i < streams_.size(); ++i) {
    std::uint64_t minimum = kUnread;
    for (const ProjectionState& projection : projections_) minimum = std::min(minimum, projection.committed[i]);
    Stream& stream = streams_[i];
    STRATA_ASSERT(minimum != kUnread, "a topic no projection reads");
    Status status = stream.reader->seek(minimum);
    if (!status) {
      return std::move(status).with_context("topic " + sources_[stream.source].info.name + " partition " +
                                            std::to_string(stream.partition));
    }
    stream.read_position = minimum;
  }
  publish_positions();
  return Status::ok();
}

// ---- Rebuild beside the live file ----------------------------------------------------------------------

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
Status Engine::rebuild_beside(const std::map<std::string, std::string>& stored_hashes) {
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
  auto page_size = db_.query_int("PRAGMA page_size");
  if (!page_size) return page_size.status();
  ProjectorOptions options = options_;
  options.database = rebuild_path(options_.database);
  options.rebuild = RebuildMode::kNever;
  options.progress = options_.progress;
  auto nested = Engine::open(options, OpenMode{.fresh = true, .page_size = *page_size, .synchronous_off = true});
  if (!nested) return nested.status().with_context("rebuilding in " + options.database);
  for (const ProjectionState& projection : projections_) STRATA_RETURN_IF_ERROR((*nested)->add(projection.definition));
  // Catch up at least to where the live file stands, so that the swap does not take readers back; a
  // projector following the live file may still commit in the moment before the copy (it then re-applies
  // those few events from the rebuilt checkpoint).
  constexpr int kCatchUpRoundsMax = 10;
  for (int round = 0; round < kCatchUpRoundsMax; ++round) {
    Status status = (*nested)->run(/*follow=*/false);
    if (!status) return std::move(status).with_context("rebuilding in " + options.database);
    auto live = live_positions();
    if (!live) return live.status();
    bool behind = false;
    for (std::size_t i = 0; i < streams_.size(); ++i) {
      const auto& [topic, partition] = stream_keys_[i];
      const std::vector<std::uint64_t> built = (*nested)->positions(topic);
      behind = behind || (partition < built.size() && built[partition] < (*live)[i]);
    }
    if (!behind) break;
  }
  // The rebuilt file's rows say which state its projector was in; a running follower writes its own at its
  // next heartbeat, and this process writes its own if it goes on.
  for (const ProjectionState& projection : projections_) {
    STRATA_RETURN_IF_ERROR((*nested)->store_.save_final_state(projection.definition.name, "stopped", {}));
  }
  STRATA_RETURN_IF_ERROR(copy_over_live((*nested)->db()));
  const RunSummary built = (*nested)->summary();
  std::vector<std::uint64_t> positions(streams_.size());
  for (std::size_t i = 0; i < streams_.size(); ++i) positions[i] = (*nested)->positions(stream_keys_[i].first)[stream_keys_[i].second];
  nested->reset();
  remove_database_files(options.database);
  for (const ProjectionState& projection : projections_) ::unlink(lock_path(options.database, projection.definition.name).c_str());
  std::lock_guard lock(mutex_);
  committed_min_ = std::move(positions);  // what the swapped-in file holds (and positions() reports)
  summary_.rebuilt = true;
  summary_.handed_over = !have_locks_;
  for (const ProjectionState& projection : projections_) {
    const auto stored = stored_hashes.find(projection.definition.name);
    summary_.follower_stops = summary_.follower_stops ||
                              (!have_locks_ && stored != stored_hashes.end() && stored->second != projection.definition.hash);
  }
  summary_.events_applied += built.events_applied;
  summary_.dead_letters += built.dead_letters;
  summary_.transactions += built.transactions;
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
  std::vector<std::uint64_t> positions(streams_.size(), 0);
  auto earlier = store_.is_earlier_layout();
  if (!earlier) return earlier.status();
  auto exists = db_.query_int("SELECT count(*) FROM sqlite_master WHERE name = 'strata_checkpoint'");
  if (!exists) return exists.status();
  if (*exists == 0 || *earlier) return positions;
  auto query = db_.prepare("SELECT min(next_offset) FROM strata_checkpoint WHERE topic = ?1 AND partition = ?2");
  if (!query) return query.status();
  for (std::size_t i = 0; i < streams_.size(); ++i) {
    const std::string& topic = sources_[streams_[i].source].info.name;
    sqlite3_bind_text(query->get(), 1, topic.data(), static_cast<int>(topic.size()), SQLITE_STATIC);
    sqlite3_bind_int64(query->get(), 2, streams_[i].partition);
    const int rc = sqlite3_step(query->get());
    if (rc == SQLITE_ROW) positions[i] = static_cast<std::uint64_t>(std::max<std::int64_t>(0, sqlite3_column_int64(query->get(), 0)));
    sqlite3_reset(query->get());
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return sqlite_status(db_.get(), rc, "reading the live checkpoints");
  }
  return positions;
}

// Another connection committed to the file (a rebuild's swap): take its checkpoints if it is still ours.
Status Engine::reload_after_swap() {
  auto stored = store_.load();
  if (!stored) return stored.status();
  for (ProjectionState& projection : projections_) {
    const std::string& name = projection.definition.name;
    const auto row = std::find_if(stored->begin(), stored->end(), [&](const StoredProjection& r) { return r.name == name; });
    if (row == stored->end()) {
      return invalid_argument("projection " + name + " was removed from " + options_.database + " by another process");
    }
    auto checkpoints = store_.load_checkpoints(name);
    if (!checkpoints) return checkpoints.status();
    if (!definition_mismatch(*row, projection.definition.hash, topic_logs(projection), *checkpoints, options_.database).empty()) {
      return invalid_argument("projection " + name + " in " + options_.database +
                              " was rebuilt by another process with another definition (or from another log); "
                              "this projector runs the previous one and stops: restart it with the definition it "
                              "was rebuilt with");
    }
    STRATA_RETURN_IF_ERROR(load_projection(projection));
  }
  {
    std::lock_guard lock(mutex_);
    summary_.reloads += 1;
  }
  return seek_readers();
}

}  // namespace strata::projection
