// Engine: one event: applied by each projection that reads it and has not applied it yet, or, under
// --on-error skip after a failure, applied in a savepoint and dead-lettered when it fails.
#include "projection/engine.h"
#include "projection/text.h"

namespace strata::projection {

namespace {

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

// Reader::poll_until's callback: true when the event was taken (applied, or not needed by any projection);
// false with *end set when the round stops at it (it is read again, if at all, after the round's end).
bool Engine::take_event(std::size_t index, const Event& event, RoundEnd* end) {
  if (stop_requested_.load(std::memory_order_relaxed)) [[unlikely]] {
    end->kind = RoundEnd::kStopped;
    return false;
  }
  if (!transaction_.is_open()) {
    auto changed = transaction_.begin();
    if (!changed || *changed) {
      *end = changed ? RoundEnd{RoundEnd::kReload, {}} : RoundEnd{RoundEnd::kFailed, changed.status()};
      return false;
    }
  }
  const std::size_t source = topics_.streams[index].source;
  const bool key_text = is_valid_utf8(event.key);
  const bool value_text = is_valid_utf8(event.value);
  for (ProjectionState& projection : projections_) {
    if (projection.committed[index] == kUnread || event.offset < projection.committed[index]) continue;
    Status status = skipping_.careful ? apply_careful(projection, source, event, key_text, value_text)
                                      : apply(projection, source, event, key_text, value_text);
    if (status) [[likely]] {
      continue;
    }
    if (skipping_.careful) {
      *end = {RoundEnd::kFailed, std::move(status)};
    } else if (options_.on_error == OnError::kSkip && !is_operating_error(status.code())) {
      end->kind = RoundEnd::kRetryCareful;  // roll back; apply this batch again, each event in a savepoint
    } else {
      const std::string prefix = projections_.size() > 1 ? "projection " + projection.definition.name + ": " : "";
      *end = {RoundEnd::kFailed,
              Status(status.code(), prefix + where(topics_.topic(index), event) + ": " + status.message())};
    }
    return false;
  }
  Stream& stream = topics_.streams[index];
  stream.read_position = event.offset + 1;
  stream.read_time = event.timestamp_us;
  transaction_.count_event();
  return true;
}

Status Engine::apply(ProjectionState& projection, std::size_t source, const Event& event, bool key_text,
                     bool value_text) {
  const std::string& topic = topics_.sources[source].info.name;
  if (!projection.definition.is_sql) {
    Transaction transaction(&handler_statements_, db_.get(), topic);
    return projection.definition.handler.apply(transaction, event);
  }
  return projection.apply[source]->apply(db_.get(), topic, event, key_text, value_text);
}

// The event in a savepoint: applied, or undone and dead-lettered. An error only when the projector must
// stop (a failure of the machine, too long a run of one failure, the dead letter not written).
Status Engine::apply_careful(ProjectionState& projection, std::size_t source, const Event& event, bool key_text,
                             bool value_text) {
  Status status = transaction_.savepoint();
  if (status) status = apply(projection, source, event, key_text, value_text);
  if (status) {
    STRATA_RETURN_IF_ERROR(transaction_.release());
    skipping_.end_streak();
    return Status::ok();
  }
  transaction_.undo();
  const std::string& topic = topics_.sources[source].info.name;
  if (is_operating_error(status.code())) return Status(status.code(), where(topic, event) + ": " + status.message());
  return skip_failed(projection, topic, event, status);
}

Status Engine::skip_failed(ProjectionState& projection, const std::string& topic, const Event& event,
                           const Status& failure) {
  Skipping& skip = skipping_;
  if (skip.streak_events > 0 && failure.message() == skip.streak_message) {
    ++skip.streak_events;
  } else {
    skip.streak_message = failure.message();
    skip.streak_events = 1;
    skip.streak_where = where(topic, event);
  }
  if (skip.streak_events >= options_.skip_streak_max) {
    return invalid_argument("projection " + projection.definition.name + ": " + std::to_string(skip.streak_events) +
                            " events in a row failed with the same error, from " + skip.streak_where + ": " +
                            skip.streak_message +
                            " (a statement wrong for every event?); stopped instead of dead-lettering them all");
  }
  Status inserted = store_.insert_dead_letter(projection.definition.name, topic, event.partition, event.offset,
                                              event.timestamp_us, event.key, event.value, failure.message());
  if (!inserted) return std::move(inserted).with_context("recording a dead letter");
  skip.pending_dead_letters += 1;
  published_.update_summary([](RunSummary& summary) { summary.dead_letters += 1; });
  return Status::ok();
}

}  // namespace strata::projection
