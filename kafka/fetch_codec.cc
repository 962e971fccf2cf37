// Codecs of Fetch 4-13 and ListOffsets 1-6 (flexible from Fetch 12 and ListOffsets 6). Fetch 13 names
// topics by id (topic_uuid() in topic_table.h) instead of by name. A Fetch response's records are not copied into the body: each
// stored batch becomes a Splice that the connection writes from the segment's mapping.
#include "kafka/codec.h"
#include "kafka/topic_arrays.h"

namespace strata::kafka {

bool decode(WireReader& in, std::int16_t version, FetchRequest* out) {
  (void)in.int32();  // replica_id: -1 for consumers; followers do not exist here
  out->max_wait_ms = in.int32();
  out->min_bytes = in.int32();
  out->max_bytes = in.int32();  // v3+
  out->isolation_level = in.int8();
  if (version >= 7) {
    out->session_id = in.int32();
    out->session_epoch = in.int32();
  }
  const std::size_t partition_bytes_min =
      4 + (version >= 9 ? 4 : 0) + 8 + (version >= 12 ? 4 : 0) + (version >= 5 ? 8 : 0) + 4;
  read_topic_array(in, partition_bytes_min, &out->topics,
                   [&](WireReader& r, FetchRequest::Partition& partition) {
                     partition.index = r.int32();
                     if (version >= 9) (void)r.int32();  // current_leader_epoch
                     partition.fetch_offset = r.int64();
                     if (version >= 12) (void)r.int32();  // last_fetched_epoch (a follower's)
                     if (version >= 5) (void)r.int64();  // log_start_offset (a follower's)
                     partition.partition_max_bytes = r.int32();
                   }, nullptr, /*by_id=*/version >= 13);
  if (version >= 7) {  // forgotten_topics_data: no fetch sessions are kept, so nothing to forget
    const std::size_t forgotten = in.array_count(6);
    for (std::size_t f = 0; f < forgotten && in.ok(); ++f) {
      if (version >= 13) {
        in.skip(16);  // topic_id
      } else {
        (void)in.string();
      }
      const std::size_t partitions = in.array_count(4);
      in.skip(partitions * 4);
      in.tagged_fields();
    }
  }
  if (version >= 11) (void)in.string();  // rack_id
  in.tagged_fields();                    // v12+: cluster_id (tag 0), which a broker may ignore
  return in.ok();
}

void encode(const FetchResponse& response, std::int16_t version, ResponseFrame& out) {
  WireWriter& w = begin_response(ApiKey::kFetch, version, out);
  w.int32(0);  // throttle_time_ms (v1+)
  if (version >= 7) {
    w.int16(code(response.error));
    w.int32(0);  // session_id: 0, no fetch session (KIP-227 lets the server decline)
  }
  write_topic_array(w, response.topics, [&](const FetchResponse::Partition& partition) {
    w.int32(partition.index);
    w.int16(code(partition.error));
    w.int64(partition.high_watermark);
    w.int64(partition.high_watermark);  // last_stable_offset (v4+): no transactions, so the high watermark
    if (version >= 5) w.int64(partition.log_start_offset);
    if (response.read_committed) {
      w.array_count(0);  // aborted_transactions (v4+)
    } else {
      w.null_array();
    }
    if (version >= 11) w.int32(-1);    // preferred_read_replica
    w.array_count(partition.bytes());  // the records' length: int32, or varint + 1 (compact records)
    for (const BatchView& batch : partition.batches) {
      out.splices.push_back(
          Splice{w.size(), batch.bytes, batch.file_fd, batch.file_position, batch.keep_alive});
    }
  }, /*by_id=*/version >= 13);
  w.tagged_fields();
}

bool decode(WireReader& in, std::int16_t version, ListOffsetsRequest* out) {
  (void)in.int32();  // replica_id
  if (version >= 2) out->isolation_level = in.int8();
  const std::size_t partition_bytes_min = 4 + (version >= 4 ? 4 : 0) + 8;
  read_topic_array(in, partition_bytes_min, &out->topics,
                   [&](WireReader& r, ListOffsetsRequest::Partition& partition) {
                     partition.index = r.int32();
                     if (version >= 4) (void)r.int32();  // current_leader_epoch
                     partition.timestamp = r.int64();
                   });
  in.tagged_fields();
  return in.ok();
}

void encode(const ListOffsetsResponse& response, std::int16_t version, ResponseFrame& out) {
  WireWriter& w = begin_response(ApiKey::kListOffsets, version, out);
  if (version >= 2) w.int32(0);  // throttle_time_ms
  write_topic_array(w, response.topics, [&](const ListOffsetsResponse::Partition& partition) {
    w.int32(partition.index);
    w.int16(code(partition.error));
    w.int64(partition.timestamp);
    w.int64(partition.offset);
    if (version >= 4) w.int32(-1);  // leader_epoch
  });
  w.tagged_fields();
}

}  // namespace strata::kafka
