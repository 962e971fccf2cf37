// Engine: starting a run: the topics and the locks; checking the stored projections against their
// definitions and the log; creating new ones; loading their checkpoints (again after another process swapped
// a rebuild in).
#include <algorithm>
#include <filesystem>
#include <thread>

#include "projection/engine.h"

namespace strata::projection {

namespace {

constexpr auto kSourceRetryInterval = std::chrono::milliseconds(100);

}  // namespace

Status Engine::start(bool follow) {
  if (projections_.empty()) return invalid_argument("no projection to run");
  STRATA_RETURN_IF_ERROR(wait_for_sources(follow));
  STRATA_RETURN_IF_ERROR(take_locks(&have_locks_));
  std::vector<std::string> mismatches;
  std::map<std::string, std::string> stored_hashes;
  STRATA_RETURN_IF_ERROR(check_stored(&mismatches, &stored_hashes));
  const bool rebuild = options_.rebuild == RebuildMode::kAlways ||
                       (options_.rebuild == RebuildMode::kIfNeeded && !mismatches.empty());
  STRATA_RETURN_IF_ERROR(refuse_to_start(mismatches, rebuild));
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
  STRATA_RETURN_IF_ERROR(transaction_.prepare(db_));
  STRATA_RETURN_IF_ERROR(store_.prepare_updates());
  started_ = true;
  return Status::ok();
}

// Without the locks (another projector runs these projections) only a rebuild goes on; with mismatches
// only a rebuild.
Status Engine::refuse_to_start(const std::vector<std::string>& mismatches, bool rebuild) const {
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
  return Status::ok();
}

// ---- The topics and the locks ------------------------------------------------------------------------------

Status Engine::open_sources() {
  std::vector<std::string> topics;
  for (const ProjectionState& projection : projections_) {
    for (const TopicApply& topic : projection.definition.topics) {
      if (std::find(topics.begin(), topics.end(), topic.topic) == topics.end()) topics.push_back(topic.topic);
    }
  }
  auto opened = Sources::open(options_, topics);
  if (!opened) return opened.status();
  topics_ = std::move(opened.value());
  std::vector<Published::StreamKey> keys;
  for (std::size_t i = 0; i < topics_.streams.size(); ++i) keys.emplace_back(topics_.topic(i), topics_.streams[i].partition);
  published_.set_streams(std::move(keys));
  for (ProjectionState& projection : projections_) {
    projection.reads.assign(topics_.sources.size(), false);
    projection.apply.resize(topics_.sources.size());
    for (std::size_t s = 0; s < topics_.sources.size(); ++s) {
      for (const TopicApply& topic : projection.definition.topics)
        projection.reads[s] = projection.reads[s] || topics_.sources[s].info.name == topic.topic;
    }
  }
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

// ---- The stored projections -------------------------------------------------------------------------------

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
      std::string mismatch = definition_mismatch(row, projection.definition.hash, topics_.topic_logs(projection.reads),
                                                 *checkpoints, options_.database);
      if (!mismatch.empty()) mismatches->push_back(std::move(mismatch));
    }
  }
  return Status::ok();
}

Status Engine::create_projection(ProjectionState& projection) {
  const Definition& definition = projection.definition;
  STRATA_RETURN_IF_ERROR(db_.exec("BEGIN IMMEDIATE"));
  auto body = [&]() -> Status {
    if (definition.is_sql && !definition.schema.empty()) {
      Status status = db_.exec(definition.schema);
      if (!status) return std::move(status).with_context("projection " + definition.name + ": schema");
    } else if (!definition.is_sql && definition.handler.schema) {
      Transaction transaction(&handler_statements_, db_.get());
      Status status = definition.handler.schema(transaction);
      if (!status) return std::move(status).with_context("projection " + definition.name + ": schema");
    }
    // A new projection starts at the earliest event the log keeps (retention may have deleted older ones).
    return store_.insert(definition.name, definition.hash, log_directory_, topics_.topic_logs(projection.reads),
                         topics_.start_offsets(projection.reads), options_.heartbeat_interval.count());
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
  projection.committed.assign(topics_.streams.size(), kUnread);
  for (std::size_t i = 0; i < topics_.streams.size(); ++i) {
    const Stream& stream = topics_.streams[i];
    if (!projection.reads[stream.source]) continue;
    const auto found = checkpoints->find(std::pair{topics_.topic(i), stream.partition});
    if (found == checkpoints->end()) {
      return corruption(options_.database + ": projection " + name + " has no checkpoint for " + topics_.where(i));
    }
    projection.committed[i] = found->second.next_offset;
  }
  return projection.definition.is_sql ? prepare_statements(projection) : Status::ok();
}

Status Engine::prepare_statements(ProjectionState& projection) {
  for (const TopicApply& topic : projection.definition.topics) {
    for (std::size_t s = 0; s < topics_.sources.size(); ++s) {
      if (topics_.sources[s].info.name != topic.topic) continue;
      auto apply = SqlApply::prepare(db_, topic.apply);
      // A statement wrong for every event (a misspelt column or table) fails here, once, before any event.
      if (!apply) {
        const bool several = projection.definition.topics.size() > 1;
        return apply.status().with_context("projection " + projection.definition.name + ": apply" +
                                           (several ? " for topic " + topic.topic : ""));
      }
      projection.apply[s] = std::move(apply.value());
    }
  }
  return Status::ok();
}

Status Engine::seek_readers() {
  for (std::size_t i = 0; i < topics_.streams.size(); ++i) {
    std::uint64_t minimum = kUnread;
    for (const ProjectionState& projection : projections_) minimum = std::min(minimum, projection.committed[i]);
    Stream& stream = topics_.streams[i];
    STRATA_ASSERT(minimum != kUnread, "a topic no projection reads");
    Status status = stream.reader->seek(minimum);
    if (!status) return std::move(status).with_context(topics_.where(i));
    stream.read_position = minimum;
  }
  publish_positions();
  return Status::ok();
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
    if (!definition_mismatch(*row, projection.definition.hash, topics_.topic_logs(projection.reads), *checkpoints,
                             options_.database)
             .empty()) {
      return invalid_argument("projection " + name + " in " + options_.database +
                              " was rebuilt by another process with another definition (or from another log); "
                              "this projector runs the previous one and stops: restart it with the definition it "
                              "was rebuilt with");
    }
    STRATA_RETURN_IF_ERROR(load_projection(projection));
  }
  published_.update_summary([](RunSummary& summary) { summary.reloads += 1; });
  return seek_readers();
}

}  // namespace strata::projection
