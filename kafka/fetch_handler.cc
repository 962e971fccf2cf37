// Fetch (long-polling reads of stored batches, KIP-74 limits) and ListOffsets.
#include "kafka/request_handler.h"

#include <algorithm>
#include <cstdio>

namespace strata::kafka {

namespace {

constexpr std::int32_t kFetchWaitMaxMs = 30'000;
// A long-polling Fetch looks at the server's stopping flag at least this often.
constexpr auto kStopCheck = std::chrono::milliseconds(200);

}  // namespace

void RequestHandler::fetch(const FetchRequest& request, std::int16_t version, Session& session,
                           ResponseFrame& out) {
  FetchResponse response;
  response.read_committed = request.isolation_level == 1;
  struct Slot {
    FetchResponse::Partition* partition;
    TopicEntry topic;
    Reader* reader;
    std::size_t bytes_max;
    bool done;
  };
  std::vector<Slot> slots;
  for (const auto& topic : request.topics) {
    FetchResponse::Topic& topic_out = response.topics.emplace_back();
    topic_out.name = std::string(topic.name);
    topic_out.partitions.reserve(topic.partitions.size());  // Slots point at these
  }
  for (std::size_t t = 0; t < request.topics.size(); ++t) {
    const auto& topic = request.topics[t];
    ErrorCode topic_error = ErrorCode::kNone;
    auto entry = topic_for(topic.name, /*create=*/false, &topic_error);
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
      slots.push_back({&partition_out, *entry, reader,
                       static_cast<std::size_t>(std::max(partition.partition_max_bytes, 0)), false});
    }
  }

  const std::size_t response_max = static_cast<std::size_t>(std::max(request.max_bytes, 0));
  const std::size_t min_bytes = static_cast<std::size_t>(std::max(request.min_bytes, 0));
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::milliseconds(std::clamp(request.max_wait_ms, 0, kFetchWaitMaxMs));
  std::size_t total = 0;
  std::vector<Reader*> waiting;
  for (;;) {
    for (Slot& slot : slots) {
      if (slot.done) continue;
      std::size_t partition_bytes = slot.partition->bytes();
      if (total > 0 && (total >= response_max || partition_bytes >= slot.bytes_max)) continue;
      const std::size_t limit = std::min(slot.bytes_max - std::min(slot.bytes_max, partition_bytes),
                                         response_max - std::min(response_max, total));
      auto polled = slot.reader->poll_batches(limit, [&](const BatchView& batch) {
        const std::size_t size = batch.bytes.size();
        // KIP-74: the first batch of the response is sent whole whatever the limits; any other must fit.
        if (total > 0 && (partition_bytes + size > slot.bytes_max || total + size > response_max)) {
          slot.done = true;  // the reader moved past it: the next Fetch seeks back
          return false;
        }
        slot.partition->batches.push_back(batch);
        total += size;
        partition_bytes += size;
        return partition_bytes < slot.bytes_max && total < response_max;
      });
      if (!polled) {
        std::fprintf(stderr, "strata serve: fetch %s-%d: %s\n", slot.topic.name.c_str(),
                     slot.partition->index, polled.status().to_string().c_str());
        // A topic deleted meanwhile (DeleteTopics on another connection) is one the server no longer knows.
        const auto current = topics_.find(slot.topic.name);
        slot.partition->error = current && current->id == slot.topic.id ? error_for(polled.status())
                                                                        : ErrorCode::kUnknownTopicOrPartition;
        slot.partition->batches.clear();
        slot.done = true;
      }
    }
    const auto now = std::chrono::steady_clock::now();
    const bool stopping = session.stopping != nullptr && session.stopping->load(std::memory_order_relaxed);
    waiting.clear();
    for (Slot& slot : slots) {
      if (!slot.done) waiting.push_back(slot.reader);
    }
    if (total >= min_bytes || total >= response_max || now >= deadline || stopping || waiting.empty()) break;
    const auto left = std::chrono::duration_cast<std::chrono::nanoseconds>(deadline - now);
    // The engine's wake-up: one partition's, or the log's for several (no polling either way).
    (void)Reader::wait_any(waiting, std::min<std::chrono::nanoseconds>(left, kStopCheck));
  }
  // The high watermark after the reads: at least the end of every batch returned.
  for (Slot& slot : slots) {
    if (auto offsets = log_.offsets(slot.topic.id, static_cast<std::uint32_t>(slot.partition->index))) {
      slot.partition->high_watermark = static_cast<std::int64_t>(offsets->durable);
      slot.partition->log_start_offset = static_cast<std::int64_t>(offsets->log_start);
    }
  }
  metrics_.count_fetched(response);
  encode(response, version, out);
}

void RequestHandler::list_offsets(const ListOffsetsRequest& request, std::int16_t version, Session& session,
                                  ResponseFrame& out) {
  ListOffsetsResponse response;
  for (const auto& topic : request.topics) {
    ListOffsetsResponse::Topic& topic_out = response.topics.emplace_back();
    topic_out.name = std::string(topic.name);
    ErrorCode topic_error = ErrorCode::kNone;
    auto entry = topic_for(topic.name, /*create=*/false, &topic_error);
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
