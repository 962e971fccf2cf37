// Codec of Produce 3-7. The records of each partition stay a view into the request frame: the engine
// checks and stores the client's batch as it came.
#include "kafka/codec.h"

namespace strata::kafka {

bool decode(WireReader& in, std::int16_t /*version*/, ProduceRequest* out) {
  out->transactional_id = in.nullable_string();
  out->acks = in.int16();
  out->timeout_ms = in.int32();
  const std::size_t topics = in.array_count(6);  // name(2) + partitions count(4)
  out->topics.reserve(topics);
  for (std::size_t t = 0; t < topics && in.ok(); ++t) {
    ProduceRequest::Topic topic;
    topic.name = in.string();
    const std::size_t partitions = in.array_count(8);  // index(4) + records length(4)
    topic.partitions.reserve(partitions);
    for (std::size_t p = 0; p < partitions && in.ok(); ++p) {
      ProduceRequest::Partition partition;
      partition.index = in.int32();
      partition.records = in.nullable_bytes();
      topic.partitions.push_back(partition);
    }
    out->topics.push_back(std::move(topic));
  }
  return in.ok();
}

void encode(const ProduceResponse& response, std::int16_t version, ResponseFrame& out) {
  WireWriter& w = out.body;
  w.array_count(response.topics.size());
  for (const auto& topic : response.topics) {
    w.string(topic.name);
    w.array_count(topic.partitions.size());
    for (const auto& partition : topic.partitions) {
      w.int32(partition.index);
      w.int16(code(partition.error));
      w.int64(partition.base_offset);
      w.int64(-1);  // log_append_time_ms (v2+): -1, batches keep their CreateTime
      if (version >= 5) w.int64(partition.log_start_offset);
    }
  }
  w.int32(0);  // throttle_time_ms (v1+)
}

}  // namespace strata::kafka
