// Codec of Produce 0-9 (ProduceRequest.json, ProduceResponse.json; v9 is flexible). The records of each partition stay a
// view into the request frame: the engine checks and stores the client's batch as it came. v0-2 differ only
// in having no transactional_id; their message sets are refused (kProduceServedMin), never parsed.
#include "kafka/codec.h"
#include "kafka/topic_arrays.h"

namespace strata::kafka {

bool decode(WireReader& in, std::int16_t version, ProduceRequest* out) {
  if (version >= 3) out->transactional_id = in.nullable_string();
  out->acks = in.int16();
  out->timeout_ms = in.int32();
  // A partition: index(4) + records length(4) at least.
  read_topic_array(in, 8, &out->topics, [](WireReader& r, ProduceRequest::Partition& partition) {
    partition.index = r.int32();
    partition.records = r.nullable_bytes();
  });
  in.tagged_fields();
  return in.ok();
}

void encode(const ProduceResponse& response, std::int16_t version, ResponseFrame& out) {
  WireWriter& w = begin_response(ApiKey::kProduce, version, out);
  write_topic_array(w, response.topics, [&](const ProduceResponse::Partition& partition) {
    w.int32(partition.index);
    w.int16(code(partition.error));
    w.int64(partition.base_offset);
    if (version >= 2) w.int64(-1);  // log_append_time_ms: -1, batches keep their CreateTime
    if (version >= 5) w.int64(partition.log_start_offset);
    if (version >= 8) {
      w.array_count(0);  // record_errors: a batch is stored or refused whole
      w.nullable_string(std::nullopt);  // error_message
    }
  });
  if (version >= 1) w.int32(0);  // throttle_time_ms
  w.tagged_fields();
}

}  // namespace strata::kafka
