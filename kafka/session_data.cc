// The data APIs of a Session: ApiVersions, Metadata, Produce, Fetch, ListOffsets, InitProducerId.
#include <chrono>
#include <cstdio>

#include "kafka/protocol.h"
#include "kafka/session.h"

namespace strata::kafka {

namespace {
using Clock = std::chrono::steady_clock;

// The codec bits of a RecordBatch's attributes (big-endian int16 at byte 21), to refuse zstd before Produce v7.
bool is_zstd_batch(std::span<const std::byte> records) {
  constexpr std::size_t kAttributesAt = 21;
  if (records.size() < kAttributesAt + 2) return false;
  const auto low = static_cast<unsigned>(records[kAttributesAt + 1]);
  return (low & 0x07u) == static_cast<unsigned>(Compression::kZstd);
}
}  // namespace

void Session::log_refusal(const RequestHeader& header, const std::string& what) const {
  std::fprintf(stderr, "strata serve: %s (client %s, api %d v%d): %s\n", peer_.c_str(), header.client_id.c_str(),
               header.api_key, header.api_version, what.c_str());
}

Producer& Session::producer() {
  // The log's shared producer: its ring lanes (shared_ring_bytes, 4 MiB by default) take a client's batch of
  // up to Kafka's default message.max.bytes (1 MB), which a producer()'s 1 MiB ring does not.
  return log_.shared_producer();
}

Reader* Session::reader(TopicId topic, std::uint32_t partition) {
  auto& slot = readers_[{topic, partition}];
  if (!slot) {
    auto opened = log_.reader(log_.topic_info(topic).name, partition);
    if (!opened) return nullptr;
    slot = std::move(opened.value());
  }
  return slot.get();
}

std::int16_t Session::find_topic(std::string_view name, bool create, TopicId* id) {
  if (!validate_topic_name(name).is_ok()) return error::kInvalidTopic;
  for (const TopicInfo& info : log_.topics()) {
    if (info.name == name) {
      auto found = log_.topic(name);
      if (!found) return error::kUnknownServerError;
      *id = *found;
      return error::kNone;
    }
  }
  if (!create || !options_.auto_create_topics) return error::kUnknownTopicOrPartition;
  auto created = log_.topic(name, TopicOptions{options_.default_partitions, Compression::kNone});
  if (!created) return error::kUnknownServerError;
  *id = *created;
  return error::kNone;
}

Session::Outcome Session::api_versions(const RequestHeader& header, Encoder& out) {
  if (header.api_version > 2) {
    // A newer client probes with a flexible version first: answer in the v0 layout, error 35 and one entry,
    // as Kafka does; the client retries with a version from our range.
    out.i16(error::kUnsupportedVersion);
    out.i32(1);
    out.i16(kApiVersions);
    out.i16(0);
    out.i16(2);
    return Outcome::kRespond;
  }
  out.i16(error::kNone);
  const auto apis = supported_apis();
  out.i32(static_cast<std::int32_t>(apis.size()));
  for (const ApiRange& api : apis) {
    out.i16(api.key);
    out.i16(api.min);
    out.i16(api.max);
  }
  if (header.api_version >= 1) out.i32(0);  // throttle_time_ms
  return Outcome::kRespond;
}

Session::Outcome Session::metadata(const RequestHeader& header, Decoder& in, Encoder& out) {
  const std::int16_t v = header.api_version;
  bool all_topics = false;
  std::vector<std::string> names;
  const std::int32_t count = in.array_count(2, &all_topics);
  for (std::int32_t i = 0; i < count; ++i) names.emplace_back(in.string());
  bool allow_create = true;
  if (v >= 4) allow_create = in.boolean();
  if (v >= 8) {
    (void)in.boolean();  // include_cluster_authorized_operations
    (void)in.boolean();  // include_topic_authorized_operations
  }
  if (!in.ok()) return Outcome::kClose;
  if (all_topics) {
    for (const TopicInfo& info : log_.topics()) names.push_back(info.name);
  }
  if (v >= 3) out.i32(0);  // throttle_time_ms
  out.i32(1);              // brokers: this node
  out.i32(options_.node_id);
  out.string(options_.advertise_host);
  out.i32(options_.advertise_port);
  out.nullable_string(nullptr);  // rack
  if (v >= 2) {
    const std::string cluster_id = "strata";
    out.nullable_string(&cluster_id);
  }
  out.i32(options_.node_id);  // controller_id: this node (some clients send InitProducerId there)
  out.i32(static_cast<std::int32_t>(names.size()));
  for (const std::string& name : names) {
    TopicId id = 0;
    const std::int16_t error = find_topic(name, allow_create, &id);
    out.i16(error);
    out.string(name);
    out.boolean(false);  // is_internal
    const std::uint32_t partitions = error == error::kNone ? log_.topic_info(id).partitions : 0;
    out.i32(static_cast<std::int32_t>(partitions));
    for (std::uint32_t p = 0; p < partitions; ++p) {
      out.i16(error::kNone);
      out.i32(static_cast<std::int32_t>(p));
      out.i32(options_.node_id);  // leader
      if (v >= 7) out.i32(0);     // leader_epoch
      out.i32(1);                 // replicas
      out.i32(options_.node_id);
      out.i32(1);  // isr
      out.i32(options_.node_id);
      if (v >= 5) out.i32(0);  // offline replicas
    }
    if (v >= 8) out.i32(INT32_MIN);  // topic_authorized_operations: not computed
  }
  if (v >= 8) out.i32(INT32_MIN);  // cluster_authorized_operations
  return Outcome::kRespond;
}

Session::Outcome Session::produce(const RequestHeader& header, Decoder& in, Encoder& out) {
  const std::int16_t v = header.api_version;
  bool no_transaction = true;
  (void)in.string(&no_transaction);  // transactional_id: transactional batches are refused below
  const std::int16_t acks = in.i16();
  (void)in.i32();  // timeout_ms
  struct Partition {
    std::int32_t index;
    std::int16_t error = error::kNone;
    Ticket ticket;
    bool appended = false;
    std::int64_t base_offset = -1;
  };
  struct Topic {
    std::string name;
    TopicId id = 0;
    std::vector<Partition> partitions;
  };
  std::vector<Topic> topics(static_cast<std::size_t>(in.array_count(6)));
  for (Topic& topic : topics) {
    topic.name = std::string(in.string());
    const std::int16_t topic_error = find_topic(topic.name, true, &topic.id);
    topic.partitions.resize(static_cast<std::size_t>(in.array_count(8)));
    for (Partition& partition : topic.partitions) {
      partition.index = in.i32();
      const std::span<const std::byte> records = in.bytes();
      if (!in.ok()) return Outcome::kClose;
      if (topic_error != error::kNone) {
        partition.error = topic_error;
      } else if (acks != 0 && acks != 1 && acks != -1) {
        partition.error = error::kInvalidRequiredAcks;
      } else if (partition.index < 0 ||
                 static_cast<std::uint32_t>(partition.index) >= log_.topic_info(topic.id).partitions) {
        partition.error = error::kUnknownTopicOrPartition;
      } else if (v < 7 && is_zstd_batch(records)) {
        partition.error = error::kUnsupportedCompressionType;  // zstd needs Produce v7
      } else {
        auto ticket = producer().append_batch(topic.id, static_cast<std::uint32_t>(partition.index), records);
        if (ticket) {
          partition.ticket = *ticket;
          partition.appended = true;
        } else {
          partition.error = error_for(ticket.status());
          log_refusal(header, topic.name + "-" + std::to_string(partition.index) + ": " + ticket.status().to_string());
        }
      }
    }
  }
  if (!in.ok()) return Outcome::kClose;
  if (acks == 0) return Outcome::kNoResponse;
  // acks 1 and -1 both answer once the log acknowledged the batch under its durability (`sync`: fsynced).
  for (Topic& topic : topics) {
    for (Partition& partition : topic.partitions) {
      if (!partition.appended) continue;
      auto offset = producer().wait(partition.ticket);
      if (offset) {
        partition.base_offset = static_cast<std::int64_t>(*offset);
      } else {
        partition.error = error_for(offset.status());
        log_refusal(header, topic.name + "-" + std::to_string(partition.index) + ": " + offset.status().to_string());
      }
    }
  }
  out.i32(static_cast<std::int32_t>(topics.size()));
  for (const Topic& topic : topics) {
    out.string(topic.name);
    out.i32(static_cast<std::int32_t>(topic.partitions.size()));
    for (const Partition& partition : topic.partitions) {
      out.i32(partition.index);
      out.i16(partition.error);
      out.i64(partition.base_offset);
      out.i64(-1);  // log_append_time_ms: client batches keep their CreateTime
      if (v >= 5) {
        std::int64_t log_start = -1;
        if (partition.error == error::kNone) {
          if (auto offsets = log_.offsets(topic.id, static_cast<std::uint32_t>(partition.index))) {
            log_start = static_cast<std::int64_t>(offsets->log_start);
          }
        }
        out.i64(log_start);
      }
    }
  }
  out.i32(0);  // throttle_time_ms
  return Outcome::kRespond;
}

Session::Outcome Session::fetch(const RequestHeader& header, Decoder& in, Encoder& out) {
  const std::int16_t v = header.api_version;
  (void)in.i32();  // replica_id
  const std::int32_t max_wait_ms = in.i32();
  const std::int32_t min_bytes = in.i32();
  const std::int32_t max_bytes = in.i32();
  (void)in.i8();  // isolation_level: no transactions, so committed == uncommitted
  if (v >= 7) {
    (void)in.i32();  // session_id: no fetch sessions (every fetch is a full one)
    (void)in.i32();  // session_epoch
  }
  struct Partition {
    std::int32_t index;
    std::int64_t fetch_offset;
    std::int32_t max_bytes;
  };
  struct Topic {
    std::string name;
    std::vector<Partition> partitions;
  };
  std::vector<Topic> topics(static_cast<std::size_t>(in.array_count(6)));
  for (Topic& topic : topics) {
    topic.name = std::string(in.string());
    topic.partitions.resize(static_cast<std::size_t>(in.array_count(16)));
    for (Partition& partition : topic.partitions) {
      partition.index = in.i32();
      if (v >= 9) (void)in.i32();  // current_leader_epoch
      partition.fetch_offset = in.i64();
      if (v >= 5) (void)in.i64();  // log_start_offset (a follower's)
      partition.max_bytes = in.i32();
    }
  }
  if (v >= 7) {
    const std::int32_t forgotten = in.array_count(6);
    for (std::int32_t i = 0; i < forgotten; ++i) {
      (void)in.string();
      const std::int32_t n = in.array_count(4);
      for (std::int32_t j = 0; j < n; ++j) (void)in.i32();
    }
  }
  if (v >= 11) (void)in.string();  // rack_id
  if (!in.ok()) return Outcome::kClose;

  struct Result {
    std::int16_t error = error::kNone;
    PartitionOffsets offsets;
    std::vector<std::byte> records;
  };
  std::vector<std::vector<Result>> results;
  const auto deadline = Clock::now() + std::chrono::milliseconds(std::max(max_wait_ms, 0));
  Reader* wait_on = nullptr;
  while (true) {
    results.assign(topics.size(), {});
    std::size_t total = 0;
    wait_on = nullptr;
    for (std::size_t t = 0; t < topics.size(); ++t) {
      results[t].resize(topics[t].partitions.size());
      TopicId id = 0;
      const std::int16_t topic_error = find_topic(topics[t].name, false, &id);
      for (std::size_t p = 0; p < topics[t].partitions.size(); ++p) {
        const Partition& partition = topics[t].partitions[p];
        Result& result = results[t][p];
        if (topic_error != error::kNone) {
          result.error = topic_error;
          continue;
        }
        auto offsets = log_.offsets(id, static_cast<std::uint32_t>(partition.index));
        Reader* source = offsets ? reader(id, static_cast<std::uint32_t>(partition.index)) : nullptr;
        if (source == nullptr) {
          result.error = error::kUnknownTopicOrPartition;
          continue;
        }
        result.offsets = *offsets;
        if (partition.fetch_offset < 0 || static_cast<std::uint64_t>(partition.fetch_offset) < offsets->log_start ||
            static_cast<std::uint64_t>(partition.fetch_offset) > offsets->durable) {
          result.error = error::kOffsetOutOfRange;
          continue;
        }
        const auto fetch_offset = static_cast<std::uint64_t>(partition.fetch_offset);
        if (fetch_offset == offsets->durable) {
          if (wait_on == nullptr) wait_on = source;
          continue;
        }
        if (source->position() != fetch_offset && !source->seek(fetch_offset).is_ok()) {
          result.error = error::kOffsetOutOfRange;
          continue;
        }
        // Kafka's limits: the partition's and the response's, except that a first batch larger than either
        // is still returned whole (so a client can always make progress).
        const std::size_t room = max_bytes > 0 && total >= static_cast<std::size_t>(max_bytes)
                                     ? 0
                                     : static_cast<std::size_t>(std::max(max_bytes, 0)) - total;
        const std::size_t limit = std::min<std::size_t>(static_cast<std::size_t>(std::max(partition.max_bytes, 0)), room);
        if (limit == 0 && total > 0) continue;
        auto polled = source->poll_batches(limit, [&](const BatchView& batch) {
          result.records.insert(result.records.end(), batch.bytes.begin(), batch.bytes.end());
          return true;
        });
        if (!polled) {
          result.error = error_for(polled.status());
          log_refusal(header, topics[t].name + ": " + polled.status().to_string());
          (void)source->seek(fetch_offset);
        }
        total += result.records.size();
      }
    }
    const auto now = Clock::now();
    if (total >= static_cast<std::size_t>(std::max(min_bytes, 1)) || now >= deadline || wait_on == nullptr) break;
    // Long poll on the engine's wake-up of the first partition at its end (others are looked at again
    // after a short slice, so that data arriving in any of them ends the wait soon).
    const bool single = topics.size() == 1 && topics[0].partitions.size() == 1;
    const auto slice = single ? deadline - now : std::min<Clock::duration>(deadline - now, std::chrono::milliseconds(5));
    (void)wait_on->wait(slice);
  }
  out.i32(0);  // throttle_time_ms
  if (v >= 7) {
    out.i16(error::kNone);
    out.i32(0);  // session_id
  }
  out.i32(static_cast<std::int32_t>(topics.size()));
  for (std::size_t t = 0; t < topics.size(); ++t) {
    out.string(topics[t].name);
    out.i32(static_cast<std::int32_t>(topics[t].partitions.size()));
    for (std::size_t p = 0; p < topics[t].partitions.size(); ++p) {
      const Result& result = results[t][p];
      out.i32(topics[t].partitions[p].index);
      out.i16(result.error);
      out.i64(static_cast<std::int64_t>(result.offsets.durable));  // high watermark
      out.i64(static_cast<std::int64_t>(result.offsets.durable));  // last stable offset
      if (v >= 5) out.i64(static_cast<std::int64_t>(result.offsets.log_start));
      out.i32(0);  // aborted_transactions: none
      if (v >= 11) out.i32(-1);  // preferred_read_replica
      out.bytes(result.records);
    }
  }
  return Outcome::kRespond;
}

Session::Outcome Session::list_offsets(const RequestHeader& header, Decoder& in, Encoder& out) {
  const std::int16_t v = header.api_version;
  (void)in.i32();  // replica_id
  if (v >= 2) (void)in.i8();  // isolation_level
  struct Partition {
    std::int32_t index;
    std::int64_t timestamp;
  };
  struct Topic {
    std::string name;
    std::vector<Partition> partitions;
  };
  std::vector<Topic> topics(static_cast<std::size_t>(in.array_count(6)));
  for (Topic& topic : topics) {
    topic.name = std::string(in.string());
    topic.partitions.resize(static_cast<std::size_t>(in.array_count(12)));
    for (Partition& partition : topic.partitions) {
      partition.index = in.i32();
      if (v >= 4) (void)in.i32();  // current_leader_epoch
      partition.timestamp = in.i64();
    }
  }
  if (!in.ok()) return Outcome::kClose;
  if (v >= 2) out.i32(0);  // throttle_time_ms
  out.i32(static_cast<std::int32_t>(topics.size()));
  for (const Topic& topic : topics) {
    out.string(topic.name);
    out.i32(static_cast<std::int32_t>(topic.partitions.size()));
    TopicId id = 0;
    const std::int16_t topic_error = find_topic(topic.name, false, &id);
    for (const Partition& partition : topic.partitions) {
      std::int16_t error = topic_error;
      std::int64_t timestamp = -1;
      std::int64_t offset = -1;
      if (error == error::kNone) {
        auto offsets = log_.offsets(id, static_cast<std::uint32_t>(partition.index));
        if (!offsets) {
          error = error::kUnknownTopicOrPartition;
        } else if (partition.timestamp == -1) {
          offset = static_cast<std::int64_t>(offsets->durable);  // latest
        } else if (partition.timestamp == -2) {
          offset = static_cast<std::int64_t>(offsets->log_start);  // earliest
        } else if (Reader* source = reader(id, static_cast<std::uint32_t>(partition.index)); source != nullptr) {
          // The first event at or after the timestamp (ms), through the time index.
          if (source->seek_time(partition.timestamp * 1000).is_ok() && source->position() < offsets->durable) {
            offset = static_cast<std::int64_t>(source->position());
            (void)source->poll(1, [&](const Event& event) { timestamp = event.timestamp_us / 1000; });
          }
        }
      }
      out.i32(partition.index);
      out.i16(error);
      out.i64(timestamp);
      out.i64(offset);
      if (v >= 4) out.i32(0);  // leader_epoch
    }
  }
  return Outcome::kRespond;
}

Session::Outcome Session::init_producer_id(const RequestHeader& header, Decoder& in, Encoder& out) {
  bool no_transaction = true;
  (void)in.string(&no_transaction);
  (void)in.i32();  // transaction_timeout_ms
  if (!in.ok()) return Outcome::kClose;
  out.i32(0);  // throttle_time_ms
  if (!no_transaction) {
    log_refusal(header, "transactions are not supported");
    out.i16(error::kTransactionalIdAuthorizationFailed);
    out.i64(-1);
    out.i16(-1);
    return Outcome::kRespond;
  }
  auto identity = log_.allocate_producer_id();
  if (!identity) {
    log_refusal(header, identity.status().to_string());
    out.i16(error::kUnknownServerError);
    out.i64(-1);
    out.i16(-1);
    return Outcome::kRespond;
  }
  out.i16(error::kNone);
  out.i64(identity->producer_id);
  out.i16(identity->epoch);
  return Outcome::kRespond;
}

}  // namespace strata::kafka
