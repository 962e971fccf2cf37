// mirror_from_cluster: a consumer assigned every partition (no group), appending the records of each
// partition in batches (local_batch.h) to the same partition of the local log. The local log is opened here,
// so its last records after recovery are exactly what survived a kill -9.
#include <chrono>
#include <map>
#include <memory>
#include <vector>

#include "mirror/kafka_client.h"
#include "mirror/local_batch.h"
#include "mirror/mirror.h"
#include "mirror/resume_point.h"
#include "mirror/source_offset_header.h"
#include "strata/log.h"

namespace strata::mirror {

namespace {

using Clock = std::chrono::steady_clock;

struct PartitionCopy {
  PartitionSummary summary;
  TopicId topic = 0;
  std::uint64_t local_next = 0;  // the local offset the next append gets (this process is the only writer)
  bool at_end = false;           // reached the cluster's high watermark since its last record
  PendingBatch pending;
};

struct LocalCopy {
  std::unique_ptr<Log> log;
  std::unique_ptr<Producer> producer;
  std::map<std::pair<std::string, std::uint32_t>, PartitionCopy> partitions;
};

const ClientConfig kConsumerDefaults = {
    {"enable.partition.eof", "true"}, {"enable.auto.commit", "false"}, {"auto.offset.reset", "error"},
    {"group.id", "strata-mirror"}};  // assign() needs one in librdkafka; nothing is committed under it

Result<std::map<std::string, std::uint32_t>> chosen_topics(rd_kafka_t* consumer, const MirrorOptions& options) {
  auto cluster = cluster_topics(consumer, options.bootstrap);
  if (!cluster) return cluster.status();
  std::map<std::string, std::uint32_t> chosen;
  for (const std::string& name : options.topics) {
    auto found = cluster->find(name);
    if (found == cluster->end()) {
      return Status(StatusCode::kNotFound, "topic " + name + " not found on the cluster at " + options.bootstrap);
    }
    chosen.insert(*found);
  }
  if (options.topics.empty()) {
    for (const auto& [name, partitions] : cluster.value()) {
      if (!name.starts_with("__")) chosen.emplace(name, partitions);  // not the cluster's internal topics
    }
  }
  return chosen;
}

// The local partition's end and the source offset its last record carries.
Result<DestinationEnd> local_end(Log& log, TopicId topic, const std::string& name, std::uint32_t partition) {
  auto offsets = log.offsets(topic, partition);
  if (!offsets) return offsets.status();
  DestinationEnd end;
  end.end_offset = offsets->written;
  end.empty = offsets->written == offsets->log_start;
  if (end.empty) return end;
  auto reader = log.reader(name, partition, ReadLevel::kWritten);
  if (!reader) return reader.status();
  STRATA_RETURN_IF_ERROR(reader.value()->seek(offsets->written - 1));
  auto polled = reader.value()->poll(1, [&](const Event& event) {
    for (const EventHeader& header : event.headers) {
      if (header.key == kSourceOffsetHeader) end.last_source_offset = parse_source_offset(header.value);
    }
  });
  if (!polled) return polled.status();
  return end;
}

Status open_local_topic(const MirrorOptions& options, const std::string& name, std::uint32_t partitions,
                        LocalCopy* local, rd_kafka_topic_partition_list_t* assignment) {
  auto topic = local->log->topic(name, {.partitions = partitions});
  if (!topic) return std::move(topic).status().with_context("local topic " + name + " (" + std::to_string(partitions) +
                                                            " partitions on the cluster)");
  for (std::uint32_t p = 0; p < partitions; ++p) {
    const std::string where = partition_name(name, p);
    auto end = local_end(*local->log, topic.value(), name, p);
    if (!end) return std::move(end).status().with_context("local " + where);
    auto resume = resume_point("local " + where, end.value(), 0, options.force);
    if (!resume) return resume.status();
    PartitionCopy& copy = local->partitions[{name, p}];
    copy.summary = {.topic = name, .partition = p, .resumed_at = resume->source_offset,
                    .next_offset = resume->source_offset, .offsets_equal = resume->offsets_equal};
    copy.topic = topic.value();
    copy.local_next = end->end_offset;
    rd_kafka_topic_partition_list_add(assignment, name.c_str(), static_cast<std::int32_t>(p))->offset =
        static_cast<std::int64_t>(resume->source_offset);
  }
  return Status::ok();
}

// Appends the partition's pending records as one batch; each must land at its source offset when the
// offsets were equal so far.
Status flush_partition(LocalCopy& local, PartitionCopy& copy) {
  if (copy.pending.empty()) return Status::ok();
  const auto& messages = copy.pending.messages();
  const auto first = static_cast<std::uint64_t>(messages.front()->offset);
  const auto last = static_cast<std::uint64_t>(messages.back()->offset);
  for (std::size_t i = 0; i < messages.size(); ++i) {
    if (static_cast<std::uint64_t>(messages[i]->offset) != copy.local_next + i) copy.summary.offsets_equal = false;
  }
  const std::size_t count = messages.size();
  auto ticket = copy.pending.append(*local.producer, copy.topic, copy.summary.partition);
  if (!ticket) {
    return std::move(ticket).status().with_context("appending source offsets " + std::to_string(first) + ".." +
                                                   std::to_string(last) + " of " +
                                                   partition_name(copy.summary.topic, copy.summary.partition) +
                                                   " to the local log: ");
  }
  copy.local_next += count;
  copy.summary.next_offset = last + 1;
  copy.summary.copied += count;
  return Status::ok();
}

Status flush_all(LocalCopy& local) {
  for (auto& [key, copy] : local.partitions) STRATA_RETURN_IF_ERROR(flush_partition(local, copy));
  return Status::ok();
}

// Handles one consumer message (a record, the end of a partition, or an error).
Status handle_message(LocalCopy& local, Message message) {
  const std::string topic = message->rkt != nullptr ? rd_kafka_topic_name(message->rkt) : "";
  const auto partition = static_cast<std::uint32_t>(message->partition);
  auto found = local.partitions.find({topic, partition});
  if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR && message->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
    const std::string where = found != local.partitions.end() ? partition_name(topic, partition) : "the cluster";
    return kafka_error(message->err, "consuming " + where + " at " + std::to_string(message->offset));
  }
  if (found == local.partitions.end()) return Status::ok();
  PartitionCopy& copy = found->second;
  if (message->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
    copy.at_end = true;
    return flush_partition(local, copy);
  }
  copy.at_end = false;
  copy.pending.add(std::move(message));
  return copy.pending.full() ? flush_partition(local, copy) : Status::ok();
}

MirrorSummary summarize(rd_kafka_t* consumer, const LocalCopy& local) {
  MirrorSummary summary;
  for (const auto& [key, copy] : local.partitions) {
    PartitionSummary partition = copy.summary;
    std::int64_t low = 0;
    std::int64_t high = 0;
    if (rd_kafka_get_watermark_offsets(consumer, key.first.c_str(), static_cast<std::int32_t>(key.second), &low,
                                       &high) == RD_KAFKA_RESP_ERR_NO_ERROR &&
        high > static_cast<std::int64_t>(partition.next_offset)) {
      partition.lag = static_cast<std::uint64_t>(high) - partition.next_offset;
    }
    summary.events += partition.copied;
    summary.partitions.push_back(std::move(partition));
  }
  return summary;
}

bool all_at_end(const LocalCopy& local) {
  for (const auto& [key, copy] : local.partitions) {
    if (!copy.at_end) return false;
  }
  return true;
}

Result<KafkaHandle> new_consumer(const MirrorOptions& options) {
  auto config = make_config(options.bootstrap, kConsumerDefaults, options.client_config);
  if (!config) return config.status();
  return new_handle(RD_KAFKA_CONSUMER, std::move(config.value()));
}

Status consume(rd_kafka_t* consumer, LocalCopy& local, const MirrorOptions& options, const ProgressCallback& progress) {
  auto last_progress = Clock::now();
  while (options.stop == nullptr || !options.stop->load(std::memory_order_relaxed)) {
    if (!options.follow && all_at_end(local)) break;
    Message message(rd_kafka_consumer_poll(consumer, 100));
    // Nothing more for now: what is pending is appended rather than held.
    STRATA_RETURN_IF_ERROR(message ? handle_message(local, std::move(message)) : flush_all(local));
    if (progress && Clock::now() - last_progress >= std::chrono::seconds(1)) {
      progress(summarize(consumer, local));
      last_progress = Clock::now();
    }
  }
  return Status::ok();
}

}  // namespace

Result<MirrorSummary> mirror_from_cluster(const MirrorOptions& options, const ProgressCallback& progress) {
  if (options.transactional) {
    return invalid_argument("--transactional applies to a mirror to a cluster only: a copy into the local log is "
                            "exactly once through its last record's strata.source-offset");
  }
  const auto started = Clock::now();
  auto consumer = new_consumer(options);
  if (!consumer) return consumer.status();
  auto topics = chosen_topics(consumer->get(), options);
  if (!topics) return topics.status();
  LocalCopy local;
  LogOptions log_options;
  log_options.directory = options.dir;
  // A batch of PendingBatch::kBytesMax, or one record as large as the engine takes, must fit the ring.
  log_options.producer_ring_bytes = 32u << 20;
  auto log = Log::open(log_options);
  if (!log) return log.status();
  local.log = std::move(log.value());
  local.producer = local.log->producer();
  PartitionList assignment(rd_kafka_topic_partition_list_new(4));
  for (const auto& [name, partitions] : topics.value()) {
    STRATA_RETURN_IF_ERROR(open_local_topic(options, name, partitions, &local, assignment.get()));
  }
  const rd_kafka_resp_err_t assigned = rd_kafka_assign(consumer->get(), assignment.get());
  if (assigned != RD_KAFKA_RESP_ERR_NO_ERROR) return kafka_error(assigned, "assigning the cluster's partitions");
  STRATA_RETURN_IF_ERROR(consume(consumer->get(), local, options, progress));
  STRATA_RETURN_IF_ERROR(flush_all(local));
  STRATA_RETURN_IF_ERROR(local.producer->wait_all());
  local.producer.reset();
  STRATA_RETURN_IF_ERROR(local.log->close());
  MirrorSummary summary = summarize(consumer->get(), local);
  summary.seconds = std::chrono::duration<double>(Clock::now() - started).count();
  return summary;
}

}  // namespace strata::mirror
