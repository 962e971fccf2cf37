// Rewriting one sealed segment for compaction: each record is kept when it is its key's latest event in the
// range being cleaned (and, for a tombstone, younger than the tombstone horizon); records without a key are
// always kept. Batches stay Kafka's RecordBatch v2 and keep their offsets:
//   - a batch that loses no record is copied byte for byte;
//   - a batch that keeps some records keeps its header (baseOffset, lastOffsetDelta, timestamps, producer
//     fields, codec) with the surviving records copied as they were encoded (their offset and timestamp
//     deltas stay right), recompressed with the batch's codec, recordsCount and CRC-32C recomputed;
//   - a batch that keeps none is dropped, except an idempotent producer's last batch of the segment, kept
//     empty (recovery reads producer state from batch headers, as Kafka's cleaner keeps them too);
//   - each run of dropped batches becomes one empty batch over its offsets (61 bytes, producerId -1), so
//     batches still cover the offsets densely and every reader's, recovery's and client's offset arithmetic
//     holds (Kafka clients skip to lastOffset + 1 of an empty batch: librdkafka, KAFKA-5443);
//   - control and transactional batches are copied whole (strata writes none today).
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "engine/key_offset_map.h"
#include "strata/status.h"

namespace strata::detail {

struct RewriteRules {
  const KeyOffsetMap* latest = nullptr;  // each key's latest offset in the range being cleaned
  std::int64_t tombstone_horizon_ms = 0;  // a latest tombstone stamped before this is dropped too
};

struct RewriteStats {
  std::uint64_t events_kept = 0;
  std::uint64_t events_removed = 0;
  std::uint64_t tombstones_removed = 0;
  // (xxh3-64 of the key, offset) of each tombstone removed while it was its key's latest event.
  std::vector<std::pair<std::uint64_t, std::uint64_t>> expired_tombstones;
};

using ByteSink = std::function<Status(std::span<const std::byte>)>;

// Rewrites the batches of a sealed segment (its first data_end bytes, `segment`, first offset
// `base_offset`) into `sink`. kCorruption naming `path` and the position when a batch fails its check.
Status rewrite_segment(std::span<const std::byte> segment, std::uint64_t base_offset, const std::string& path,
                       const RewriteRules& rules, const ByteSink& sink, RewriteStats* stats);

}  // namespace strata::detail
