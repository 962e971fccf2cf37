// Engine: the transaction loop, the heartbeat, and what other threads ask (wait_until, positions, summary).
#include "projection/engine.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>

#include "projection/text.h"

namespace strata::projection {

namespace {

constexpr std::size_t kPollEventsMax = 4096;  // per Reader::poll call
constexpr auto kLogIdentityCheckInterval = std::chrono::seconds(1);
// How long an idle follower sleeps in Reader::wait_any before it looks at stop() and its heartbeat.
constexpr auto kIdleWaitMax = std::chrono::milliseconds(50);

std::int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Errors of the machine rather than of an event: never dead-lettered.
bool is_operating_error(StatusCode code) {
  return code == StatusCode::kNoSpace || code == StatusCode::kIoError || code == StatusCode::kBusy ||
         code == StatusCode::kCorruption;
}

std::string where(std::string_view topic, const Event& event) {
  return "topic " + std::string(topic) + " partition " + std::to_string(event.partition) + " offset " +
         std::to_string(event.offset);
}

}  // namespace

Engine::~Engine() {
  checkpointer_.stop();
  if (transaction_open_) rollback_transaction();
  handler_statements_.clear();
  store_ = CheckpointStore();
  db_ = Connection();
}

// ---- One transaction ----------------------------------------------------------------------------------

Status Engine::begin_transaction() {
  STRATA_RETURN_IF_ERROR(step_to_done(db_.get(), begin_.get()));
  transaction_open_ = true;
  transaction_events_ = 0;
  transaction_started_ = std::chrono::steady_clock::now();
  const int rc = sqlite3_step(data_version_.get());
  if (rc != SQLITE_ROW) {
    Status status = sqlite_status(db_.get(), rc, "PRAGMA data_version");
    sqlite3_reset(data_version_.get());
    return status;
  }
  const std::int64_t version = sqlite3_column_int64(data_version_.get(), 0);
  sqlite3_reset(data_version_.get());
  if (version != data_version_seen_) end_round(RoundEnd::kReload);
  data_version_seen_ = version;
  return Status::ok();
}

bool Engine::at_end() const {
  return std::all_of(streams_.begin(), streams_.end(),
                     [](const Stream& s) { return s.read_position >= s.reader->end_offset(); });
}

Status Engine::save_heartbeats(std::int64_t now) {
  const char* state = caught_up_ && at_end() ? "live" : "catching-up";
  for (const ProjectionState& projection : projections_) {
    STRATA_RETURN_IF_ERROR(store_.save_heartbeat(projection.definition.name, state, now));
  }
  heartbeat_last_ = std::chrono::steady_clock::now();
  return Status::ok();
}

Status Engine::commit_transaction() {
  STRATA_ASSERT(transaction_open_, "commit without a transaction");
  for (ProjectionState& projection : projections_) {
    for (std::size_t i = 0; i < streams_.size(); ++i) {
      const Stream& stream = streams_[i];
      if (projection.committed[i] == kUnread || stream.read_position <= projection.committed[i]) continue;
      STRATA_RETURN_IF_ERROR(store_.save_checkpoint(projection.definition.name, sources_[stream.source].info.name,
                                                    stream.partition, stream.read_position, stream.read_time));
    }
  }
  STRATA_RETURN_IF_ERROR(save_heartbeats(now_us()));
  STRATA_RETURN_IF_ERROR(step_to_done(db_.get(), commit_.get()));
  transaction_open_ = false;
  checkpointer_.after_commit();
  if (!careful_ && transaction_events_ > 0) {
    streak_events_ = 0;  // a batch applied without a failure: the run of failures is broken
    streak_message_.clear();
  }
  careful_ = false;
  pending_dead_letters_ = 0;
  for (ProjectionState& projection : projections_) {
    for (std::size_t i = 0; i < streams_.size(); ++i) {
      if (projection.committed[i] != kUnread) projection.committed[i] = std::max(projection.committed[i], streams_[i].read_position);
    }
  }
  {
    std::lock_guard lock(mutex_);
    summary_.events_applied += transaction_events_;
    summary_.transactions += 1;
  }
  publish_positions();
  run_applied_ += transaction_events_;
  transaction_events_ = 0;
  return Status::ok();
}

void Engine::publish_positions() {
  std::vector<std::uint64_t> minimum(streams_.size(), kUnread);
  for (const ProjectionState& projection : projections_) {
    for (std::size_t i = 0; i < streams_.size() && i < projection.committed.size(); ++i)
      minimum[i] = std::min(minimum[i], projection.committed[i]);
  }
  {
    std::lock_guard lock(mutex_);
    committed_min_ = std::move(minimum);
  }
  committed_changed_.notify_all();
}

void Engine::rollback_transaction() {
  if (transaction_open_) (void)step_to_done(db_.get(), rollback_.get());
  transaction_open_ = false;
  transaction_events_ = 0;
  std::lock_guard lock(mutex_);
  summary_.dead_letters -= std::min(summary_.dead_letters, pending_dead_letters_);
  pending_dead_letters_ = 0;
}

// ---- Applying events ----------------------------------------------------------------------------------

Status Engine::apply(ProjectionState& projection, std::size_t source, const Event& event, bool key_text,
                     bool value_text) {
  const std::string& topic = sources_[source].info.name;
  if (!projection.definition.is_sql) {
    Transaction transaction(this, db_.get(), topic);
    return projection.definition.handler.apply(transaction, event);
  }
  return projection.apply[source]->apply(db_.get(), topic, event, key_text, value_text);
}

void Engine::apply_careful(ProjectionState& projection, std::size_t source, const Event& event, bool key_text,
                           bool value_text) {
  Status status = step_to_done(db_.get(), savepoint_.get());
  if (status) status = apply(projection, source, event, key_text, value_text);
  if (status) {
    status = step_to_done(db_.get(), release_.get());
    if (!status) return end_round(RoundEnd::kFailed, std::move(status));
    streak_events_ = 0;
    streak_message_.clear();
    return;
  }
  (void)step_to_done(db_.get(), rollback_to_.get());
  (void)step_to_done(db_.get(), release_.get());
  const std::string& topic = sources_[source].info.name;
  if (is_operating_error(status.code())) {
    return end_round(RoundEnd::kFailed, Status(status.code(), where(topic, event) + ": " + status.message()));
  }
  if (streak_events_ > 0 && status.message() == streak_message_) {
    ++streak_events_;
  } else {
    streak_message_ = status.message();
    streak_events_ = 1;
    streak_where_ = where(topic, event);
  }
  if (streak_events_ >= options_.skip_streak_max) {
    return end_round(RoundEnd::kFailed,
                     invalid_argument("projection " + projection.definition.name + ": " +
                                      std::to_string(streak_events_) + " events in a row failed with the same error, from " +
                                      streak_where_ + ": " + streak_message_ +
                                      " (a statement wrong for every event?); stopped instead of dead-lettering them all"));
  }
  Status inserted = store_.insert_dead_letter(projection.definition.name, topic, event.partition, event.offset,
                                              event.timestamp_us, event.key, event.value, status.message());
  if (!inserted) return end_round(RoundEnd::kFailed, std::move(inserted).with_context("recording a dead letter"));
  std::lock_guard lock(mutex_);
  summary_.dead_letters += 1;
  pending_dead_letters_ += 1;
}

void Engine::end_round(RoundEnd end, Status error) {
  if (round_end_ != RoundEnd::kNone) return;  // the first reason stands
  round_end_ = end;
  round_error_ = std::move(error);
}

void Engine::on_event(std::size_t index, const Event& event) {
  // The reader hands out the rest of its poll after a round ended; they are read again after the rollback.
  if (round_end_ != RoundEnd::kNone) [[unlikely]] return;
  if (!transaction_open_) {
    Status status = begin_transaction();
    if (!status) return end_round(RoundEnd::kFailed, std::move(status));
    if (round_end_ != RoundEnd::kNone) return;
  }
  const Stream& stream = streams_[index];
  const bool key_text = is_valid_utf8(event.key);
  const bool value_text = is_valid_utf8(event.value);
  for (ProjectionState& projection : projections_) {
    if (projection.committed[index] == kUnread || event.offset < projection.committed[index]) continue;
    if (careful_) {
      apply_careful(projection, stream.source, event, key_text, value_text);
      if (round_end_ != RoundEnd::kNone) return;
      continue;
    }
    Status status = apply(projection, stream.source, event, key_text, value_text);
    if (status) [[likely]] {
      continue;
    }
    if (options_.on_error == OnError::kSkip && !is_operating_error(status.code())) {
      return end_round(RoundEnd::kRetryCareful);  // roll back; apply this batch again, each event in a savepoint
    }
    const std::string prefix = projections_.size() > 1 ? "projection " + projection.definition.name + ": " : "";
    return end_round(RoundEnd::kFailed, Status(status.code(), prefix + where(sources_[stream.source].info.name, event) +
                                                                   ": " + status.message()));
  }
  streams_[index].read_position = event.offset + 1;
  streams_[index].read_time = event.timestamp_us;
  ++transaction_events_;
}

Result<std::size_t> Engine::poll_round() {
  std::size_t polled = 0;
  for (std::size_t i = 0; i < streams_.size() && round_end_ == RoundEnd::kNone; ++i) {
    const std::size_t room = options_.batch_events_max - transaction_events_;
    if (room == 0) break;
    auto count = streams_[i].reader->poll(std::min(room, kPollEventsMax), [&](const Event& event) { on_event(i, event); });
    if (!count) {
      return count.status().with_context("topic " + sources_[streams_[i].source].info.name + " partition " +
                                         std::to_string(streams_[i].partition));
    }
    polled += *count;
  }
  return polled;
}

// What a round that ended early asks for: an error to return, or a rollback and a reload or careful retry.
Status Engine::handle_round_end() {
  const RoundEnd end = std::exchange(round_end_, RoundEnd::kNone);
  Status error = std::exchange(round_error_, Status::ok());
  rollback_transaction();
  switch (end) {
    case RoundEnd::kNone:
      return Status::ok();
    case RoundEnd::kFailed:
      return error;
    case RoundEnd::kReload:
      return reload_after_swap();
    case RoundEnd::kRetryCareful:
      careful_ = true;
      return seek_readers();
  }
  return Status::ok();
}

// ---- Idle: waits, heartbeats, checks ------------------------------------------------------------------

void Engine::idle_wait() {
  std::vector<Reader*> readers;
  readers.reserve(streams_.size());
  for (const Stream& stream : streams_) readers.push_back(stream.reader.get());
  (void)Reader::wait_any(readers, kIdleWaitMax);
}

// A database file deleted (or replaced by another file) under the projector would take its commits into an
// unlinked inode nobody reads.
Status Engine::check_database_file() {
  struct stat file {};
  if (::stat(options_.database.c_str(), &file) != 0) {
    return Status(StatusCode::kNotFound, "the database " + options_.database +
                                             " was deleted under the projector; stopped (run it again to build it anew)");
  }
  if (file.st_ino != database_inode_ || file.st_dev != database_device_) {
    return Status(StatusCode::kNotFound, "the database " + options_.database +
                                             " was replaced by another file under the projector; stopped");
  }
  return Status::ok();
}

// An idle follower's proof of life: a transaction of its own that also notices a rebuild swapped in.
Status Engine::heartbeat() {
  STRATA_RETURN_IF_ERROR(check_database_file());
  STRATA_RETURN_IF_ERROR(begin_transaction());
  if (round_end_ != RoundEnd::kNone) return handle_round_end();  // a swap: reload (or stop) now
  Status status = save_heartbeats(now_us());
  if (!status) {
    rollback_transaction();
    return status;
  }
  status = step_to_done(db_.get(), commit_.get());
  transaction_open_ = false;
  return status;
}

Status Engine::check_log_identity() {
  if (options_.log != nullptr) return Status::ok();  // the Log holds the directory: it cannot be recreated
  for (const Source& source : sources_) {
    auto info = read_topic_info(options_.log_directory, source.info.name);
    if (!info) return info.status().with_context("topic " + source.info.name + " is gone");
    if (info->log_id != source.info.log_id) {
      return invalid_argument("topic " + source.info.name + " was deleted and recreated while following it (log id " +
                              source.info.log_id + ", now " + info->log_id +
                              "); rebuild it (strata project --rebuild)");
    }
  }
  return Status::ok();
}

void Engine::report_progress(std::uint64_t applied, const std::vector<std::uint64_t>& targets, bool force) {
  if (!options_.progress) return;
  const auto now = std::chrono::steady_clock::now();
  if (!force && now - progress_last_ < options_.progress_interval) return;
  progress_last_ = now;
  Progress progress;
  progress.applied_events = applied;
  for (std::size_t i = 0; i < streams_.size(); ++i) {
    if (targets[i] > streams_[i].read_position) progress.remaining_events += targets[i] - streams_[i].read_position;
  }
  const double seconds = std::chrono::duration<double>(now - run_started_).count();
  progress.events_per_s = seconds > 0 ? static_cast<double>(applied) / seconds : 0;
  options_.progress(progress);
}

void Engine::finish(const Status& status) {
  if (transaction_open_) rollback_transaction();
  if (started_ && have_locks_) {
    // The state a status query shows once this run is over (best effort: only the display needs it).
    for (const ProjectionState& projection : projections_) {
      (void)store_.save_final_state(projection.definition.name, status ? "stopped" : "failed",
                                    status ? std::string_view() : status.message());
    }
  }
  std::lock_guard lock(mutex_);
  finished_ = !status || stop_requested_.load(std::memory_order_relaxed);
  committed_changed_.notify_all();
}

// ---- The loop -----------------------------------------------------------------------------------------

Status Engine::run(bool follow) {
  if (!started_) {
    Status status = start(follow);
    if (!status || !have_locks_) {  // without the locks: a rebuild was handed over to the projector holding them
      finish(status);
      return status;
    }
  }
  Status status = run_loop(follow);
  finish(status);
  return status;
}

Status Engine::run_loop(bool follow) {
  run_started_ = progress_last_ = std::chrono::steady_clock::now();
  heartbeat_last_ = {};  // the first idle moment proves life at once
  run_applied_ = 0;
  std::vector<std::uint64_t> targets(streams_.size());
  for (std::size_t i = 0; i < streams_.size(); ++i) targets[i] = streams_[i].reader->end_offset();
  auto reached_targets = [&] {
    for (std::size_t i = 0; i < streams_.size(); ++i) {
      if (streams_[i].read_position < targets[i]) return false;
    }
    return true;
  };
  auto last_identity_check = std::chrono::steady_clock::now();
  // Bounded by the log: each round moves on or waits; stop() or an error ends it.
  while (true) {
    if (stop_requested_.load(std::memory_order_relaxed)) return transaction_open_ ? commit_transaction() : Status::ok();
    auto polled = poll_round();
    if (!polled) return polled.status();
    if (round_end_ != RoundEnd::kNone) {
      STRATA_RETURN_IF_ERROR(handle_round_end());
      continue;
    }
    const bool at_end = *polled == 0 || (!follow && reached_targets());
    if (transaction_open_) {
      const bool full = transaction_events_ >= options_.batch_events_max;
      const bool overdue = caught_up_ && std::chrono::steady_clock::now() - transaction_started_ >= options_.live_commit_interval;
      if (full || at_end || overdue) STRATA_RETURN_IF_ERROR(commit_transaction());
    }
    if (at_end && !follow) break;
    if (*polled > 0) {
      if (!caught_up_) report_progress(run_applied_ + transaction_events_, targets, /*force=*/false);
      continue;
    }
    if (!caught_up_) report_progress(run_applied_, targets, /*force=*/true);
    caught_up_ = true;
    const auto now = std::chrono::steady_clock::now();
    if (now - last_identity_check >= kLogIdentityCheckInterval) {
      last_identity_check = now;
      STRATA_RETURN_IF_ERROR(check_log_identity());
    }
    if (now - heartbeat_last_ >= options_.heartbeat_interval) STRATA_RETURN_IF_ERROR(heartbeat());
    idle_wait();
  }
  if (!caught_up_) report_progress(run_applied_, targets, /*force=*/true);  // the bar at 100%
  caught_up_ = true;
  return Status::ok();
}

// ---- Other threads ------------------------------------------------------------------------------------

Status Engine::wait_until(std::string_view topic, std::uint32_t partition, std::uint64_t offset,
                          std::chrono::nanoseconds timeout) {
  const std::string wanted(topic.empty() ? options_.topic : topic);
  std::unique_lock lock(mutex_);
  auto index = [&]() -> std::size_t {
    for (std::size_t i = 0; i < stream_keys_.size(); ++i) {
      if ((wanted.empty() || stream_keys_[i].first == wanted) && stream_keys_[i].second == partition) return i;
    }
    return SIZE_MAX;
  };
  auto applied = [&] {
    const std::size_t i = index();
    return i != SIZE_MAX && committed_min_[i] != kUnread && committed_min_[i] > offset;
  };
  const bool reached = committed_changed_.wait_for(lock, timeout, [&] { return applied() || finished_; });
  if (applied()) return Status::ok();
  const std::string what = "topic " + wanted + " partition " + std::to_string(partition) + " offset " + std::to_string(offset);
  if (!reached) {
    const std::size_t i = index();
    return Status(StatusCode::kTimedOut, what + " not applied yet" +
                                             (i == SIZE_MAX ? std::string(" (the projector does not read it yet)")
                                                            : " (at " + std::to_string(committed_min_[i]) + ")"));
  }
  return Status(StatusCode::kClosed, "the projector stopped before applying " + what);
}

std::vector<std::uint64_t> Engine::positions(std::string_view topic) const {
  const std::string wanted(topic.empty() ? options_.topic : topic);
  std::lock_guard lock(mutex_);
  std::vector<std::uint64_t> result;
  for (std::size_t i = 0; i < stream_keys_.size(); ++i) {
    if (wanted.empty() ? stream_keys_[i].first == stream_keys_[0].first : stream_keys_[i].first == wanted)
      result.push_back(committed_min_[i]);
  }
  return result;
}

std::uint32_t Engine::partitions(std::string_view topic) const {
  return static_cast<std::uint32_t>(positions(topic).size());
}

RunSummary Engine::summary() const {
  std::lock_guard lock(mutex_);
  return summary_;
}

Result<sqlite3_stmt*> Engine::handler_statement(std::string_view sql) {
  auto it = handler_statements_.find(sql);
  if (it == handler_statements_.end()) {
    auto prepared = db_.prepare(sql);
    if (!prepared) return prepared.status();
    it = handler_statements_.emplace(std::string(sql), std::move(prepared.value())).first;
  }
  sqlite3_stmt* stmt = it->second.get();
  sqlite3_reset(stmt);
  sqlite3_clear_bindings(stmt);
  return stmt;
}

}  // namespace strata::projection
