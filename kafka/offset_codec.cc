// Codecs of a group's committed offsets: OffsetCommit 1-7 and OffsetFetch 1-5.
#include "kafka/codec.h"
#include "kafka/topic_arrays.h"

namespace strata::kafka {

bool decode(WireReader& in, std::int16_t version, OffsetCommitRequest* out) {
  out->group_id = in.string();
  out->generation_id = in.int32();
  out->member_id = in.string();
  if (version >= 7) (void)in.nullable_string();  // group_instance_id
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
  return in.ok();
}

void encode(const OffsetCommitResponse& response, std::int16_t version, ResponseFrame& out) {
  WireWriter& w = out.body;
  if (version >= 3) w.int32(0);  // throttle_time_ms
  write_topic_array(w, response.topics, [&](const OffsetCommitResponse::Partition& partition) {
    w.int32(partition.index);
    w.int16(code(partition.error));
  });
}

bool decode(WireReader& in, std::int16_t version, OffsetFetchRequest* out) {
  out->group_id = in.string();
  bool null = false;
  read_topic_array(
      in, 4, &out->topics, [](WireReader& r, std::int32_t& partition) { partition = r.int32(); },
      version >= 2 ? &null : nullptr);
  out->all_topics = null;
  return in.ok();
}

void encode(const OffsetFetchResponse& response, std::int16_t version, ResponseFrame& out) {
  WireWriter& w = out.body;
  if (version >= 3) w.int32(0);  // throttle_time_ms
  write_topic_array(w, response.topics, [&](const OffsetFetchResponse::Partition& partition) {
    w.int32(partition.index);
    w.int64(partition.offset);
    if (version >= 5) w.int32(-1);  // committed_leader_epoch
    w.nullable_string(partition.metadata);
    w.int16(code(partition.error));
  });
  if (version >= 2) w.int16(code(response.error));
}

}  // namespace strata::kafka
