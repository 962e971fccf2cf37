// Engine: the loop: poll rounds into the open transaction, commits, the idle follower's waits and checks,
// progress, and the end of a run.
#include "projection/engine.h"

namespace strata::projection {

namespace {

constexpr std::size_t kPollEventsMax = 4096;  // per Reader::poll_until call
constexpr auto kLogIdentityCheckInterval = std::chrono::seconds(1);
// How long an idle follower sleeps in Reader::wait_any before it looks at stop() and its heartbeat.
constexpr auto kIdleWaitMax = std::chrono::milliseconds(50);

}  // namespace

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
  progress_.started = progress_.last = std::chrono::steady_clock::now();
  progress_.applied = 0;
  progress_.targets.resize(topics_.streams.size());
  for (std::size_t i = 0; i < topics_.streams.size(); ++i) progress_.targets[i] = topics_.streams[i].reader->end_offset();
  heartbeat_last_ = {};  // the first idle moment proves life at once
  auto reached_targets = [&] {
    for (std::size_t i = 0; i < topics_.streams.size(); ++i) {
      if (topics_.streams[i].read_position < progress_.targets[i]) return false;
    }
    return true;
  };
  auto last_identity_check = std::chrono::steady_clock::now();
  // Bounded by the log: each round moves on or waits; stop() or an error ends it.
  while (true) {
    if (stop_requested_.load(std::memory_order_relaxed)) return transaction_.is_open() ? commit_transaction() : Status::ok();
    RoundEnd end;
    auto polled = poll_round(&end);
    if (!polled) return polled.status();
    if (end.kind == RoundEnd::kStopped) continue;  // commits what was taken, above
    if (end.kind != RoundEnd::kNone) {
      STRATA_RETURN_IF_ERROR(handle_round_end(std::move(end)));
      continue;
    }
    const bool at_end = *polled == 0 || (!follow && reached_targets());
    if (transaction_.is_open()) {
      const bool full = transaction_.events() >= options_.batch_events_max;
      const bool overdue = caught_up_ && std::chrono::steady_clock::now() - transaction_.started() >= options_.live_commit_interval;
      if (full || at_end || overdue) STRATA_RETURN_IF_ERROR(commit_transaction());
    }
    if (at_end && !follow) break;
    if (*polled > 0) {
      if (!caught_up_) report_progress(/*force=*/false);
      continue;
    }
    if (!caught_up_) report_progress(/*force=*/true);
    caught_up_ = true;
    STRATA_RETURN_IF_ERROR(idle(&last_identity_check));
  }
  if (!caught_up_) report_progress(/*force=*/true);  // the bar at 100%
  caught_up_ = true;
  return Status::ok();
}

// One poll of each stream, as far as the transaction has room, into the open transaction (begun at the
// first event). Stops at the first event that cannot be taken, with *end saying why.
Result<std::size_t> Engine::poll_round(RoundEnd* end) {
  std::size_t polled = 0;
  for (std::size_t i = 0; i < topics_.streams.size() && end->kind == RoundEnd::kNone; ++i) {
    const std::size_t room = options_.batch_events_max - transaction_.events();
    if (room == 0) break;
    auto count = topics_.streams[i].reader->poll_until(std::min(room, kPollEventsMax),
                                                       [&](const Event& event) { return take_event(i, event, end); });
    if (!count) return count.status().with_context(topics_.where(i));
    polled += *count;
  }
  return polled;
}

// What a round that stopped early asks for: an error to return, or a rollback and a reload or careful retry.
Status Engine::handle_round_end(RoundEnd end) {
  rollback_transaction();
  switch (end.kind) {
    case RoundEnd::kNone:
    case RoundEnd::kStopped:
      return Status::ok();
    case RoundEnd::kFailed:
      return std::move(end.error);
    case RoundEnd::kReload:
      return reload_after_swap();
    case RoundEnd::kRetryCareful:
      skipping_.careful = true;
      return seek_readers();
  }
  return Status::ok();
}

// An idle follower: now and then a look at the log's identity and a heartbeat, then a wait for events.
Status Engine::idle(std::chrono::steady_clock::time_point* last_identity_check) {
  const auto now = std::chrono::steady_clock::now();
  // A Log in this process holds its directory: it cannot be recreated under it.
  if (options_.log == nullptr && now - *last_identity_check >= kLogIdentityCheckInterval) {
    *last_identity_check = now;
    STRATA_RETURN_IF_ERROR(topics_.check_identity(options_.log_directory));
  }
  if (now - heartbeat_last_ >= options_.heartbeat_interval) STRATA_RETURN_IF_ERROR(heartbeat());
  topics_.wait_any(kIdleWaitMax);
  return Status::ok();
}

void Engine::report_progress(bool force) {
  if (!options_.progress) return;
  const auto now = std::chrono::steady_clock::now();
  if (!force && now - progress_.last < options_.progress_interval) return;
  progress_.last = now;
  Progress progress;
  progress.applied_events = progress_.applied + transaction_.events();
  for (std::size_t i = 0; i < topics_.streams.size(); ++i) {
    const std::uint64_t read = topics_.streams[i].read_position;
    if (progress_.targets[i] > read) progress.remaining_events += progress_.targets[i] - read;
  }
  const double seconds = std::chrono::duration<double>(now - progress_.started).count();
  progress.events_per_s = seconds > 0 ? static_cast<double>(progress.applied_events) / seconds : 0;
  options_.progress(progress);
}

void Engine::finish(const Status& status) {
  rollback_transaction();
  if (started_ && have_locks_) {
    // The state a status query shows once this run is over (best effort: only the display needs it).
    for (const ProjectionState& projection : projections_) {
      (void)store_.save_final_state(projection.definition.name, status ? "stopped" : "failed",
                                    status ? std::string_view() : status.message());
    }
  }
  published_.finish(!status || stop_requested_.load(std::memory_order_relaxed));
}

}  // namespace strata::projection
