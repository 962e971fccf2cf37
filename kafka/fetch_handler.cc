// Fetch (long-polling reads of stored batches, KIP-74 limits; a long poll is a continuation) and ListOffsets.
#include "kafka/request_handler.h"

#include <algorithm>
#include <cstdio>

namespace strata::kafka {

namespace {

constexpr std::int32_t kFetchWaitMaxMs = 30'000;

}  // namespace

// A Fetch in progress: its response so far and the partitions still read. The Slots point into the
// response's partition vectors (reserved up front, never reallocated).
struct RequestHandler::FetchState {
  struct Slot {
    FetchResponse::Partition* partition;
    TopicEntry topic;
    Reader* reader;
    std::size_t bytes_max;
    bool done;
  };
  FetchResponse response;
  std::vector<Slot> slots;
  std::size_t response_max = 0;
  std::size_t min_bytes = 0;
  std::size_t total = 0;
  PendingResponse::Clock::time_point deadline;
};

void RequestHandler::fetch(const FetchRequest& request, std::int16_t version, Session& session,
                           PendingResponse& pending) {
  auto state = std::make_shared<FetchState>();
  FetchResponse& response = state->response;
  response.read_committed = request.isolation_level == 1;
  for (const auto& topic : request.topics) {
    FetchResponse::Topic& topic_out = response.topics.emplace_back();
    topic_out.name = std::string(topic.name);
    topic_out.id = topic.id;
    topic_out.partitions.reserve(topic.partitions.size());  // Slots point at these
  }
  for (std::size_t t = 0; t < request.topics.size(); ++t) {
    const auto& topic = request.topics[t];
    ErrorCode topic_error = ErrorCode::kNone;
    std::optional<TopicEntry> entry;
    if (version >= 13) {  // by topic id
      entry = topics_.find(topic.id);
      if (!entry) {
        topic_error = ErrorCode::kUnknownTopicId;
      } else if (!may(session, security::AclOperation::kRead, security::ResourceType::kTopic, entry->name)) {
        entry.reset();
        topic_error = ErrorCode::kTopicAuthorizationFailed;
      }
    } else {
      entry = topic_for(session, security::AclOperation::kRead, topic.name, /*create=*/false, &topic_error);
    }
    for (const auto& partition : topic.partitions) {
      FetchResponse::Partition& partition_out = response.topics[t].partitions.emplace_back();
      partition_out.index = partition.index;
      PartitionOffsets offsets;
      partition_out.error = partition_offsets(entry, topic_error, partition.index, &offsets);
      if (partition_out.error != ErrorCode::kNone) continue;
      const auto index = static_cast<std::uint32_t>(partition.index);
      partition_out.high_watermark = static_cast<std::int64_t>(offsets.durable);
      partition_out.log_start_offset = static_cast<std::int64_t>(offsets.log_start);
      if (partition.fetch_offset < partition_out.log_start_offset ||
          partition.fetch_offset > partition_out.high_watermark) {
        partition_out.error = ErrorCode::kOffsetOutOfRange;
        continue;
      }
      Reader* reader = reader_for(session, *entry, index);
      if (reader == nullptr) {
        partition_out.error = ErrorCode::kUnknownServerError;
        continue;
      }
      const auto fetch_offset = static_cast<std::uint64_t>(partition.fetch_offset);
      if (reader->position() != fetch_offset) {
        Status sought = reader->seek(fetch_offset);
        if (!sought.is_ok()) {
          partition_out.error = error_for(sought);
          continue;
        }
      }
      state->slots.push_back({&partition_out, *entry, reader,
                              static_cast<std::size_t>(std::max(partition.partition_max_bytes, 0)), false});
    }
  }
  state->response_max = static_cast<std::size_t>(std::max(request.max_bytes, 0));
  state->min_bytes = static_cast<std::size_t>(std::max(request.min_bytes, 0));
  state->deadline = PendingResponse::Clock::now() +
                    std::chrono::milliseconds(std::clamp(request.max_wait_ms, 0, kFetchWaitMaxMs));
  const std::atomic<bool>* stopping = session.stopping;
  if (fetch_poll(*state, stopping)) {
    fetch_answer(*state, version, pending.frame);
    return;
  }
  // A long poll: a continuation, ready when one of its readers has something new (the reactor looks when
  // the log's writers report new events: woken_by), the server stops, or the deadline passes. The connection
  // reads nothing else meanwhile.
  pending.holds_connection = true;
  pending.deadline = state->deadline;
  pending.woken_by = &log_;
  pending.ready = [state, stopping] {
    if (stopping != nullptr && stopping->load(std::memory_order_relaxed)) return true;
    return std::any_of(state->slots.begin(), state->slots.end(), [](const FetchState::Slot& slot) {
      return !slot.done && slot.reader->end_offset() > slot.reader->position();
    });
  };
  pending.finish = [this, state, stopping, version](ResponseFrame& out) {
    if (!fetch_poll(*state, stopping)) return false;
    fetch_answer(*state, version, out);
    return true;
  };
}

bool RequestHandler::fetch_poll(FetchState& state, const std::atomic<bool>* stopping) {
  for (FetchState::Slot& slot : state.slots) {
    if (slot.done) continue;
    std::size_t partition_bytes = slot.partition->bytes();
    if (state.total > 0 && (state.total >= state.response_max || partition_bytes >= slot.bytes_max)) continue;
    const std::size_t limit = std::min(slot.bytes_max - std::min(slot.bytes_max, partition_bytes),
                                       state.response_max - std::min(state.response_max, state.total));
    auto polled = slot.reader->poll_batches(limit, [&](const BatchView& batch) {
      const std::size_t size = batch.bytes.size();
      // KIP-74: the first batch of the response is sent whole whatever the limits; any other must fit.
      if (state.total > 0 && (partition_bytes + size > slot.bytes_max || state.total + size > state.response_max)) {
        slot.done = true;  // the reader moved past it: the next Fetch seeks back
        return false;
      }
      slot.partition->batches.push_back(batch);
      state.total += size;
      partition_bytes += size;
      return partition_bytes < slot.bytes_max && state.total < state.response_max;
    });
    if (!polled) {
      std::fprintf(stderr, "strata serve: fetch %s-%d: %s\n", slot.topic.name.c_str(), slot.partition->index,
                   polled.status().to_string().c_str());
      // A topic deleted meanwhile (DeleteTopics on another connection) is one the server no longer knows.
      const auto current = topics_.find(slot.topic.name);
      slot.partition->error = current && current->id == slot.topic.id ? error_for(polled.status())
                                                                      : ErrorCode::kUnknownTopicOrPartition;
      slot.partition->batches.clear();
      slot.done = true;
    }
  }
  const bool stopped = stopping != nullptr && stopping->load(std::memory_order_relaxed);
  const bool waiting = std::any_of(state.slots.begin(), state.slots.end(),
                                   [](const FetchState::Slot& slot) { return !slot.done; });
  return state.total >= state.min_bytes || state.total >= state.response_max ||
         PendingResponse::Clock::now() >= state.deadline || stopped || !waiting;
}

void RequestHandler::fetch_answer(FetchState& state, std::int16_t version, ResponseFrame& out) {
  // The high watermark after the reads: at least the end of every batch returned.
  for (FetchState::Slot& slot : state.slots) {
    if (auto offsets = log_.offsets(slot.topic.id, static_cast<std::uint32_t>(slot.partition->index))) {
      slot.partition->high_watermark = static_cast<std::int64_t>(offsets->durable);
      slot.partition->log_start_offset = static_cast<std::int64_t>(offsets->log_start);
    }
  }
  metrics_.count_fetched(state.response);
  encode(state.response, version, out);
}

void RequestHandler::list_offsets(const ListOffsetsRequest& request, std::int16_t version, Session& session,
                                  ResponseFrame& out) {
  ListOffsetsResponse response;
  for (const auto& topic : request.topics) {
    ListOffsetsResponse::Topic& topic_out = response.topics.emplace_back();
    topic_out.name = std::string(topic.name);
    ErrorCode topic_error = ErrorCode::kNone;
    auto entry = topic_for(session, security::AclOperation::kDescribe, topic.name, /*create=*/false, &topic_error);
    for (const auto& partition : topic.partitions) {
      ListOffsetsResponse::Partition& partition_out = topic_out.partitions.emplace_back();
      partition_out.index = partition.index;
      PartitionOffsets offsets;
      partition_out.error = partition_offsets(entry, topic_error, partition.index, &offsets);
      if (partition_out.error != ErrorCode::kNone) continue;
      const auto index = static_cast<std::uint32_t>(partition.index);
      if (partition.timestamp == -1) {
        partition_out.offset = static_cast<std::int64_t>(offsets.durable);
        continue;
      }
      if (partition.timestamp == -2) {
        partition_out.offset = static_cast<std::int64_t>(offsets.log_start);
        continue;
      }
      if (partition.timestamp < 0) {  // -3 (max timestamp) and others need versions not served
        partition_out.error = ErrorCode::kUnsupportedVersion;
        continue;
      }
      Reader* reader = reader_for(session, *entry, index);
      if (reader == nullptr) {
        partition_out.error = ErrorCode::kUnknownServerError;
        continue;
      }
      const std::int64_t timestamp_us =
          partition.timestamp > INT64_MAX / 1000 ? INT64_MAX : partition.timestamp * 1000;
      Status sought = reader->seek_time(timestamp_us);
      if (!sought.is_ok()) {
        partition_out.error = error_for(sought);
        continue;
      }
      // The first event at or after the time: its offset and its own timestamp; none: -1, -1.
      auto polled = reader->poll(1, [&](const Event& event) {
        partition_out.offset = static_cast<std::int64_t>(event.offset);
        partition_out.timestamp = event.timestamp_us / 1000;
      });
      if (!polled) partition_out.error = error_for(polled.status());
    }
  }
  encode(response, version, out);
}

}  // namespace strata::kafka
