// Codecs of a group's committed offsets: OffsetCommit 1-8 and OffsetFetch 1-7 (flexible from OffsetCommit 8
// and OffsetFetch 6). OffsetFetch 8 asks for several groups at once and is not served.
#include "kafka/codec.h"
#include "kafka/topic_arrays.h"

namespace strata::kafka {

bool decode(WireReader& in, std::int16_t version, OffsetCommitRequest* out) {
  out->group_id = in.string();
  out->generation_id = in.int32();
  out->member_id = in.string();
  if (version >= 7) out->group_instance_id = in.nullable_string();
  if (version >= 2 && version <= 4)
    (void)in.int64();  // retention_time_ms: checkpoints are kept until replaced
  const std::size_t partition_bytes_min = 4 + 8 + (version >= 6 ? 4 : 0) + (version == 1 ? 8 : 0) + 2;
  read_topic_array(in, partition_bytes_min, &out->topics,
                   [&](WireReader& r, OffsetCommitRequest::Partition& partition) {
                     partition.index = r.int32();
                     partition.offset = r.int64();
                     if (version >= 6) (void)r.int32();  // committed_leader_epoch
                     if (version == 1) (void)r.int64();  // commit_timestamp
                     partition.metadata = r.nullable_string();
                   });
  in.tagged_fields();
  return in.ok();
}

void encode(const OffsetCommitResponse& response, std::int16_t version, ResponseFrame& out) {
  WireWriter& w = begin_response(ApiKey::kOffsetCommit, version, out);
  if (version >= 3) w.int32(0);  // throttle_time_ms
  write_topic_array(w, response.topics, [&](const OffsetCommitResponse::Partition& partition) {
    w.int32(partition.index);
    w.int16(code(partition.error));
  });
  w.tagged_fields();
}

bool decode(WireReader& in, std::int16_t version, OffsetFetchRequest* out) {
  out->group_id = in.string();
  bool null = false;
  // Not read_topic_array: partition_indexes is an array of int32, with no tagged fields per element.
  const std::size_t count = in.array_count(6, version >= 2 ? &null : nullptr);
  out->topics.reserve(count);
  for (std::size_t t = 0; t < count && in.ok(); ++t) {
    OffsetFetchRequest::Topic& topic = out->topics.emplace_back();
    topic.name = in.string();
    const std::size_t partitions = in.array_count(4);
    topic.partitions.reserve(partitions);
    for (std::size_t p = 0; p < partitions && in.ok(); ++p) topic.partitions.push_back(in.int32());
    in.tagged_fields();
  }
  out->all_topics = null;
  if (version >= 7) (void)in.boolean();  // require_stable: strata has no pending transactional offsets
  in.tagged_fields();
  return in.ok();
}

void encode(const OffsetFetchResponse& response, std::int16_t version, ResponseFrame& out) {
  WireWriter& w = begin_response(ApiKey::kOffsetFetch, version, out);
  if (version >= 3) w.int32(0);  // throttle_time_ms
  write_topic_array(w, response.topics, [&](const OffsetFetchResponse::Partition& partition) {
    w.int32(partition.index);
    w.int64(partition.offset);
    if (version >= 5) w.int32(-1);  // committed_leader_epoch
    w.nullable_string(partition.metadata);
    w.int16(code(partition.error));
  });
  if (version >= 2) w.int16(code(response.error));
  w.tagged_fields();
}

}  // namespace strata::kafka
