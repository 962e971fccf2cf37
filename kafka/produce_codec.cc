// Codec of Produce 3-7. The records of each partition stay a view into the request frame: the engine
// checks and stores the client's batch as it came.
#include "kafka/codec.h"
#include "kafka/topic_arrays.h"

namespace strata::kafka {

bool decode(WireReader& in, std::int16_t /*version*/, ProduceRequest* out) {
  out->transactional_id = in.nullable_string();
  out->acks = in.int16();
  out->timeout_ms = in.int32();
  // A partition: index(4) + records length(4) at least.
  read_topic_array(in, 8, &out->topics, [](WireReader& r, ProduceRequest::Partition& partition) {
    partition.index = r.int32();
    partition.records = r.nullable_bytes();
  });
  return in.ok();
}

void encode(const ProduceResponse& response, std::int16_t version, ResponseFrame& out) {
  WireWriter& w = out.body;
  write_topic_array(w, response.topics, [&](const ProduceResponse::Partition& partition) {
    w.int32(partition.index);
    w.int16(code(partition.error));
    w.int64(partition.base_offset);
    w.int64(-1);  // log_append_time_ms (v2+): -1, batches keep their CreateTime
    if (version >= 5) w.int64(partition.log_start_offset);
  });
  w.int32(0);  // throttle_time_ms (v1+)
}

}  // namespace strata::kafka
