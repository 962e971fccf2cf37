// mirror_to_cluster: a directory reader per source partition, one idempotent producer, the delivery reports
// checking each record's destination offset against its source offset.
#include <algorithm>
#include <array>
#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "mirror/cluster_partition_ends.h"
#include "mirror/group_offsets_copy.h"
#include "mirror/kafka_client.h"
#include "mirror/mirror.h"
#include "mirror/resume_point.h"
#include "mirror/source_offset_header.h"
#include "mirror/transaction.h"
#include "strata/reader.h"
#include "strata/topics.h"

namespace strata::mirror {

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t kEventsPerPoll = 4096;  // per partition and pass, so partitions take turns
constexpr std::chrono::milliseconds kFollowWait{100};
constexpr std::chrono::seconds kGroupsInterval{5};  // also how often a follower looks for deleted and new topics

struct TopicHandleDeleter {
  void operator()(rd_kafka_topic_t* topic) const { rd_kafka_topic_destroy(topic); }
};

// One source partition being copied. Touched by the copying thread only (delivery reports are served by
// rd_kafka_poll on that thread).
struct PartitionCopy {
  PartitionSummary summary;
  std::unique_ptr<Reader> reader;
  rd_kafka_topic_t* destination = nullptr;
  std::deque<std::uint64_t> in_flight;  // source offsets produced, in order, not yet acknowledged
};

struct CopyState {
  std::vector<std::unique_ptr<PartitionCopy>> partitions;
  std::vector<std::unique_ptr<rd_kafka_topic_t, TopicHandleDeleter>> topics;
  Status delivery_error;
};

// Idempotence, acks=all and at most 5 requests in flight: what keeps a run's records in order with no
// duplicate while the client retries. A user's setting that breaks one of them is refused.
const ClientConfig kProducerDefaults = {
    {"enable.idempotence", "true"}, {"acks", "all"}, {"max.in.flight.requests.per.connection", "5"},
    {"batch.size", "1000000"},      {"queue.buffering.max.messages", "1000000"}};

// linger.ms by how many partitions the mirror copies. librdkafka 2.0's idempotent producer sends one request
// per partition at a time, and a batch older than linger.ms that waits for its partition's request makes its
// broker thread poll the socket with no timeout until it can send. Copying a few partitions, that thread
// spun: at 100 ms it takes half the CPU and `strata bench mirror` went from 0.80 to 0.90x kafka-produce
// (medians of 14 alternating runs). With as many partitions as requests in flight the connection is kept busy
// by other partitions, and a long linger only holds batches back (100 partitions: 0.92 -> 0.84x), so 5 ms.
// A caught-up follower flushes instead of lingering (flush_when_caught_up).
constexpr std::uint32_t kPartitionsInFlight = 5;  // max.in.flight.requests.per.connection
std::string linger_ms(std::uint32_t partitions) { return partitions < kPartitionsInFlight ? "100" : "5"; }

Status check_producer_overrides(const ClientConfig& overrides) {
  for (const auto& [key, value] : overrides) {
    const bool breaks = (key == "enable.idempotence" && value != "true") ||
                        ((key == "acks" || key == "request.required.acks") && value != "all" && value != "-1") ||
                        ((key == "max.in.flight.requests.per.connection" || key == "max.in.flight") &&
                         (value.empty() || value.size() > 1 || value[0] < '1' || value[0] > '5')) ||
                        key == "transactional.id" || key == "isolation.level";
    if (breaks) {
      return invalid_argument("--producer-config " + key + "=" + value + " would break exactly once" +
                              (key == "transactional.id" ? " (--transactional derives it from --dir and --to)" : ""));
    }
  }
  return Status::ok();
}

void on_delivery(rd_kafka_t*, const rd_kafka_message_t* message, void* state_opaque) {
  auto& state = *static_cast<CopyState*>(state_opaque);
  auto& copy = *static_cast<PartitionCopy*>(message->_private);
  const std::uint64_t source_offset = copy.in_flight.front();
  copy.in_flight.pop_front();
  if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    if (state.delivery_error.is_ok()) {
      state.delivery_error = kafka_error(message->err, "delivering source offset " + std::to_string(source_offset) +
                                                           " of " +
                                                           partition_name(copy.summary.topic, copy.summary.partition) +
                                                           " to the cluster");
    }
    return;
  }
  if (static_cast<std::uint64_t>(message->offset) != source_offset) copy.summary.offsets_equal = false;
  copy.summary.next_offset = source_offset + 1;
  ++copy.summary.copied;
}

Result<std::vector<TopicInfo>> source_topics(const MirrorOptions& options) {
  if (options.topics.empty()) return list_topics(options.dir);
  std::vector<TopicInfo> topics;
  for (const std::string& name : options.topics) {
    if (std::any_of(topics.begin(), topics.end(), [&](const TopicInfo& t) { return t.name == name; })) continue;
    auto info = read_topic_info(options.dir, name);
    if (!info) {
      if (info.status().code() == StatusCode::kNotFound) {
        return Status(StatusCode::kNotFound, "source topic " + name + " not found in " + options.dir);
      }
      return info.status();
    }
    topics.push_back(std::move(info.value()));
  }
  return topics;
}

// Creates what is missing on the cluster and returns the names of the topics this run created; a topic with
// fewer partitions than its source is an error.
Result<std::set<std::string>> prepare_destination(rd_kafka_t* producer, const MirrorOptions& options,
                                                  const std::vector<TopicInfo>& topics) {
  auto existing = cluster_topics(producer, options.bootstrap);
  if (!existing) return existing.status();
  std::set<std::string> created;
  for (const TopicInfo& topic : topics) {
    auto found = existing->find(topic.name);
    if (found == existing->end()) {
      auto made = create_cluster_topic(producer, options.bootstrap, topic.name, topic.partitions);
      if (!made) return made.status();
      if (made.value()) created.insert(topic.name);
    } else if (found->second < topic.partitions) {
      return invalid_argument("topic " + topic.name + " has " + std::to_string(found->second) +
                              " partitions on the cluster but " + std::to_string(topic.partitions) +
                              " in the source: partition " + std::to_string(found->second) + " has no destination");
    }
  }
  return created;
}

// A reader per partition of `topic`, positioned where the destination says to resume.
Status open_topic_copies(const MirrorOptions& options, const TopicInfo& topic, LateRequests late,
                         rd_kafka_t* consumer, rd_kafka_t* producer, CopyState* state) {
  auto ends = read_cluster_partition_ends(consumer, topic.name, topic.partitions, late);
  if (!ends) return ends.status();
  state->topics.emplace_back(rd_kafka_topic_new(producer, topic.name.c_str(), nullptr));
  for (std::uint32_t p = 0; p < topic.partitions; ++p) {
    const std::string where = partition_name(topic.name, p);
    auto reader = Reader::open(options.dir, topic.name, p, ReadLevel::kDurable);
    if (!reader) return std::move(reader).status().with_context("source " + where);
    reader.value()->set_fill_cache(false);  // one pass: 0.61 -> 0.78x kafka-produce (`strata bench mirror`)
    const ClusterPartitionEnd& end = ends.value()[p];
    const DestinationEnd destination{.end_offset = end.end_offset,
                                     .empty = end.end_offset == end.start_offset,
                                     .last_source_offset = end.last_source_offset};
    auto resume = resume_point("destination " + where, destination, reader.value()->start_offset(), options.force);
    if (!resume) return resume.status();
    if (Status seek = reader.value()->seek(resume->source_offset); !seek.is_ok()) {
      return std::move(seek).with_context("source " + where + " cannot resume at offset " +
                                          std::to_string(resume->source_offset) + ": ");
    }
    auto copy = std::make_unique<PartitionCopy>();
    copy->summary = {.topic = topic.name, .partition = p, .resumed_at = resume->source_offset,
                     .next_offset = resume->source_offset, .offsets_equal = resume->offsets_equal};
    copy->reader = std::move(reader.value());
    copy->destination = state->topics.back().get();
    state->partitions.push_back(std::move(copy));
  }
  return Status::ok();
}

// What librdkafka takes for a key or value: NULL writes Kafka's null (length -1), any other pointer its
// bytes, none for an empty one (length 0).
void* bytes_or_null(std::span<const std::byte> bytes, bool null) {
  static std::byte empty;
  if (null) return nullptr;
  return bytes.empty() ? &empty : const_cast<std::byte*>(bytes.data());
}

Status produce(rd_kafka_t* producer, PartitionCopy& copy, const Event& event) {
  rd_kafka_headers_t* headers = rd_kafka_headers_new(event.headers.size() + 1);
  for (const EventHeader& header : event.headers) {
    if (header.key == kSourceOffsetHeader) continue;  // from an earlier hop: this hop's source offset replaces it
    rd_kafka_header_add(headers, header.key.data(), static_cast<ssize_t>(header.key.size()), header.value.data(),
                        static_cast<ssize_t>(header.value.size()));
  }
  std::array<char, 24> digits;
  const auto source_offset = encode_source_offset(event.offset, digits);
  rd_kafka_header_add(headers, kSourceOffsetHeader.data(), static_cast<ssize_t>(kSourceOffsetHeader.size()),
                      source_offset.data(), static_cast<ssize_t>(source_offset.size()));
  rd_kafka_resp_err_t error;
  for (;;) {
    error = rd_kafka_producev(
        producer, RD_KAFKA_V_RKT(copy.destination),
        RD_KAFKA_V_PARTITION(static_cast<std::int32_t>(copy.summary.partition)),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_KEY(bytes_or_null(event.key, event.key_null), event.key.size()),
        RD_KAFKA_V_VALUE(bytes_or_null(event.value, event.value_null), event.value.size()),
        RD_KAFKA_V_HEADERS(headers), RD_KAFKA_V_TIMESTAMP(event.timestamp_us / 1000), RD_KAFKA_V_OPAQUE(&copy),
        RD_KAFKA_V_END);
    if (error != RD_KAFKA_RESP_ERR__QUEUE_FULL) break;
    rd_kafka_poll(producer, 10);  // serves delivery reports, which make room
  }
  if (error != RD_KAFKA_RESP_ERR_NO_ERROR) {
    rd_kafka_headers_destroy(headers);
    return kafka_error(error, "producing source offset " + std::to_string(event.offset) + " of " +
                                  partition_name(copy.summary.topic, copy.summary.partition));
  }
  copy.in_flight.push_back(event.offset);
  return Status::ok();
}

// One turn over every partition; returns how many events were produced.
Result<std::size_t> copy_pass(rd_kafka_t* producer, CopyState& state) {
  std::size_t produced = 0;
  for (auto& copy : state.partitions) {
    Status failed;
    auto polled = copy->reader->poll_runs(kEventsPerPoll, [&](std::span<const Event> events) {
      for (const Event& event : events) {
        if (failed.is_ok()) failed = produce(producer, *copy, event);
      }
    });
    if (!polled) {
      return std::move(polled).status().with_context(
          "reading source " + partition_name(copy->summary.topic, copy->summary.partition) + ": ");
    }
    STRATA_RETURN_IF_ERROR(failed);
    produced += polled.value();
    rd_kafka_poll(producer, 0);
    STRATA_RETURN_IF_ERROR(state.delivery_error);
  }
  return produced;
}

// A following mirror that has read everything sends what it produced now, not linger.ms later, and waits
// (at most kFollowWait) for its delivery reports.
Status flush_when_caught_up(rd_kafka_t* producer, const CopyState& state) {
  if (rd_kafka_outq_len(producer) > 0) {
    rd_kafka_flush(producer, static_cast<int>(kFollowWait.count()));
  } else {
    rd_kafka_poll(producer, 0);
  }
  return state.delivery_error;
}

// A source topic deleted (or deleted and created again) while the mirror runs is an error: a directory
// reader of a deleted topic only sees no new events.
Status check_source_topics(const MirrorOptions& options, const std::vector<TopicInfo>& topics) {
  for (const TopicInfo& topic : topics) {
    auto now = read_topic_info(options.dir, topic.name);
    if (!now && now.status().code() != StatusCode::kNotFound) return now.status();
    if (!now || now->log_id != topic.log_id) {
      return Status(StatusCode::kNotFound, "source topic " + topic.name + " was deleted from " + options.dir +
                                               (now ? " and created again" : "") + " while the mirror ran");
    }
  }
  return Status::ok();
}

// A following mirror of every topic (no --topic) also copies the topics created in the log after it started,
// each from its first offset and resuming as the others do.
Status add_new_topics(const MirrorOptions& options, rd_kafka_t* consumer, rd_kafka_t* producer,
                      std::vector<TopicInfo>* topics, CopyState* state) {
  auto now = list_topics(options.dir);
  if (!now) return now.status();
  for (const TopicInfo& topic : now.value()) {
    if (std::any_of(topics->begin(), topics->end(), [&](const TopicInfo& t) { return t.name == topic.name; })) continue;
    auto created = prepare_destination(producer, options, {topic});
    if (!created) return created.status();
    const LateRequests late = created->contains(topic.name) ? LateRequests::kImpossible : LateRequests::kMayLand;
    STRATA_RETURN_IF_ERROR(open_topic_copies(options, topic, late, consumer, producer, state));
    topics->push_back(topic);
  }
  return Status::ok();
}

MirrorSummary summarize(const CopyState& state) {
  MirrorSummary summary;
  for (const auto& copy : state.partitions) {
    PartitionSummary partition = copy->summary;
    const std::uint64_t end = copy->reader->end_offset();
    partition.lag = end > partition.next_offset ? end - partition.next_offset : 0;
    summary.events += partition.copied;
    summary.partitions.push_back(std::move(partition));
  }
  return summary;
}

bool stopped(const MirrorOptions& options) {
  return options.stop != nullptr && options.stop->load(std::memory_order_relaxed);
}

struct Clients {
  KafkaHandle producer;
  KafkaHandle consumer;  // reads the destination's last records
};

// `partitions`: how many the mirror copies.
Result<Clients> connect(const MirrorOptions& options, std::uint32_t partitions, CopyState* state) {
  STRATA_RETURN_IF_ERROR(check_producer_overrides(options.client_config));
  ClientConfig producer_defaults = kProducerDefaults;
  producer_defaults.emplace_back("linger.ms", linger_ms(partitions));
  if (options.transactional) {
    producer_defaults.emplace_back("transactional.id", transactional_id(options.dir, options.bootstrap));
  }
  auto producer_config = make_config(options.bootstrap, producer_defaults, options.client_config);
  if (!producer_config) return producer_config.status();
  rd_kafka_conf_set_dr_msg_cb(producer_config->get(), on_delivery);
  rd_kafka_conf_set_opaque(producer_config->get(), state);
  auto producer = new_handle(RD_KAFKA_PRODUCER, std::move(producer_config.value()));
  if (!producer) return producer.status();
  // assign() needs a group.id in librdkafka; nothing is ever committed under it. read_committed: records of
  // an aborted (or a killed mirror's never committed) transaction are no progress.
  auto consumer_config = make_config(options.bootstrap,
                                     {{"enable.partition.eof", "true"},
                                      {"enable.auto.commit", "false"},
                                      {"group.id", "strata-mirror"},
                                      {"isolation.level", "read_committed"}},
                                     options.client_config);
  if (!consumer_config) return consumer_config.status();
  auto consumer = new_handle(RD_KAFKA_CONSUMER, std::move(consumer_config.value()));
  if (!consumer) return consumer.status();
  return Clients{std::move(producer.value()), std::move(consumer.value())};
}

// Until the producer's queue is empty: every record produced acknowledged (or the first refusal).
Status drain(rd_kafka_t* producer, const CopyState& state, const ProgressCallback& progress) {
  while (rd_kafka_outq_len(producer) > 0) {
    rd_kafka_flush(producer, 1000);
    STRATA_RETURN_IF_ERROR(state.delivery_error);
    if (progress) progress(summarize(state));
  }
  return state.delivery_error;
}

Status check_transactional_options(const MirrorOptions& options) {
  if (!options.transactional) return Status::ok();
  if (options.groups) {
    return invalid_argument("--transactional with --groups cannot be exact: the mirror does not commit consumer "
                            "offsets inside its transactions, and commit markers take offsets on the cluster, so "
                            "positions would not be 1:1");
  }
  if (options.force) {
    return invalid_argument("--transactional with --force cannot be exact: commit markers take offsets on the "
                            "cluster, so its end offset is no source offset to resume at");
  }
  return Status::ok();
}

}  // namespace

Result<MirrorSummary> mirror_to_cluster(const MirrorOptions& options, const ProgressCallback& progress) {
  const auto started = Clock::now();
  STRATA_RETURN_IF_ERROR(check_transactional_options(options));
  auto topics = source_topics(options);
  if (!topics) return topics.status();
  CopyState state;
  std::uint32_t partitions = 0;
  for (const TopicInfo& topic : topics.value()) partitions += topic.partitions;
  auto clients = connect(options, partitions, &state);
  if (!clients) return clients.status();
  rd_kafka_t* producer = clients->producer.get();
  // Before the ends are read: registering the transactional.id aborts what a killed predecessor left open.
  // Before topics are created too, so a cluster without transactions is left as it was.
  std::optional<Transactions> transactions;
  if (options.transactional) {
    transactions.emplace(producer, options.bootstrap);
    STRATA_RETURN_IF_ERROR(transactions->start());
  }
  auto created = prepare_destination(producer, options, topics.value());
  if (!created) return created.status();
  for (const TopicInfo& topic : topics.value()) {
    const LateRequests late = created->contains(topic.name) ? LateRequests::kImpossible : LateRequests::kMayLand;
    STRATA_RETURN_IF_ERROR(open_topic_copies(options, topic, late, clients->consumer.get(), producer, &state));
  }
  const bool follows_new_topics = options.follow && options.topics.empty();
  if (!follows_new_topics) clients->consumer.reset();  // else it reads the ends of topics created later
  std::vector<Reader*> readers;
  for (auto& copy : state.partitions) readers.push_back(copy->reader.get());
  GroupOffsetsCopy groups(options.dir, options.bootstrap, options.client_config);
  std::vector<std::string> warnings;
  auto last_progress = Clock::now();
  auto last_check = Clock::now();
  while (!stopped(options)) {
    auto produced = copy_pass(producer, state);
    if (!produced) return produced.status();
    if (transactions) {
      transactions->produced(produced.value());
      STRATA_RETURN_IF_ERROR(transactions->commit_if_due(/*now=*/false));
    }
    if (progress && Clock::now() - last_progress >= std::chrono::seconds(1)) {
      progress(summarize(state));
      last_progress = Clock::now();
    }
    if (options.follow && Clock::now() - last_check >= kGroupsInterval) {
      STRATA_RETURN_IF_ERROR(check_source_topics(options, topics.value()));
      if (follows_new_topics) {
        const std::size_t known = state.partitions.size();
        STRATA_RETURN_IF_ERROR(
            add_new_topics(options, clients->consumer.get(), producer, &topics.value(), &state));
        for (std::size_t i = known; i < state.partitions.size(); ++i) readers.push_back(state.partitions[i]->reader.get());
      }
      if (options.groups) STRATA_RETURN_IF_ERROR(groups.copy(summarize(state).partitions, &warnings));
      last_check = Clock::now();
    }
    if (produced.value() > 0) continue;
    if (!options.follow) break;
    STRATA_RETURN_IF_ERROR(flush_when_caught_up(producer, state));
    (void)Reader::wait_any(readers, kFollowWait);
  }
  if (transactions) STRATA_RETURN_IF_ERROR(transactions->commit_if_due(/*now=*/true));
  STRATA_RETURN_IF_ERROR(drain(producer, state, progress));
  STRATA_RETURN_IF_ERROR(check_source_topics(options, topics.value()));
  MirrorSummary summary = summarize(state);
  if (options.groups) STRATA_RETURN_IF_ERROR(groups.copy(summary.partitions, &warnings));
  if (options.transactional &&
      std::any_of(summary.partitions.begin(), summary.partitions.end(), [](const PartitionSummary& p) { return !p.offsets_equal; })) {
    warnings.push_back("--transactional: commit markers take offsets on the cluster, so destination offsets run ahead "
                       "of source offsets (each record's strata.source-offset holds its source offset)");
  }
  summary.group_offsets_committed = groups.offsets_committed();
  summary.transactions_committed = transactions ? transactions->committed() : 0;
  summary.warnings = std::move(warnings);
  summary.seconds = std::chrono::duration<double>(Clock::now() - started).count();
  return summary;
}

}  // namespace strata::mirror
