// Codecs of a group's committed offsets: OffsetCommit 1-7 and OffsetFetch 1-5.
#include "kafka/codec.h"

namespace strata::kafka {

bool decode(WireReader& in, std::int16_t version, OffsetCommitRequest* out) {
  out->group_id = in.string();
  out->generation_id = in.int32();
  out->member_id = in.string();
  if (version >= 7) (void)in.nullable_string();  // group_instance_id
  if (version >= 2 && version <= 4)
    (void)in.int64();  // retention_time_ms: checkpoints are kept until replaced
  const std::size_t partition_bytes_min = 4 + 8 + (version >= 6 ? 4 : 0) + (version == 1 ? 8 : 0) + 2;
  const std::size_t topics = in.array_count(6);
  out->topics.reserve(topics);
  for (std::size_t t = 0; t < topics && in.ok(); ++t) {
    OffsetCommitRequest::Topic topic;
    topic.name = in.string();
    const std::size_t partitions = in.array_count(partition_bytes_min);
    topic.partitions.reserve(partitions);
    for (std::size_t p = 0; p < partitions && in.ok(); ++p) {
      OffsetCommitRequest::Partition partition;
      partition.index = in.int32();
      partition.offset = in.int64();
      if (version >= 6) (void)in.int32();  // committed_leader_epoch
      if (version == 1) (void)in.int64();  // commit_timestamp
      partition.metadata = in.nullable_string();
      topic.partitions.push_back(partition);
    }
    out->topics.push_back(std::move(topic));
  }
  return in.ok();
}

void encode(const OffsetCommitResponse& response, std::int16_t version, ResponseFrame& out) {
  WireWriter& w = out.body;
  if (version >= 3) w.int32(0);  // throttle_time_ms
  w.array_count(response.topics.size());
  for (const auto& topic : response.topics) {
    w.string(topic.name);
    w.array_count(topic.partitions.size());
    for (const auto& partition : topic.partitions) {
      w.int32(partition.index);
      w.int16(code(partition.error));
    }
  }
}

bool decode(WireReader& in, std::int16_t version, OffsetFetchRequest* out) {
  out->group_id = in.string();
  bool null = false;
  const std::size_t topics = in.array_count(6, version >= 2 ? &null : nullptr);
  out->all_topics = null;
  out->topics.reserve(topics);
  for (std::size_t t = 0; t < topics && in.ok(); ++t) {
    OffsetFetchRequest::Topic topic;
    topic.name = in.string();
    const std::size_t partitions = in.array_count(4);
    topic.partitions.reserve(partitions);
    for (std::size_t p = 0; p < partitions && in.ok(); ++p) topic.partitions.push_back(in.int32());
    out->topics.push_back(std::move(topic));
  }
  return in.ok();
}

void encode(const OffsetFetchResponse& response, std::int16_t version, ResponseFrame& out) {
  WireWriter& w = out.body;
  if (version >= 3) w.int32(0);  // throttle_time_ms
  w.array_count(response.topics.size());
  for (const auto& topic : response.topics) {
    w.string(topic.name);
    w.array_count(topic.partitions.size());
    for (const auto& partition : topic.partitions) {
      w.int32(partition.index);
      w.int64(partition.offset);
      if (version >= 5) w.int32(-1);  // committed_leader_epoch
      w.nullable_string(partition.metadata);
      w.int16(code(partition.error));
    }
  }
  if (version >= 2) w.int16(code(response.error));
}

}  // namespace strata::kafka
