// Lookups in the API table (api_table.h). Why the ranges start where they do: librdkafka 2.0.2's feature
// map needs v0 of the group APIs, InitProducerId and ApiVersions, v1 of OffsetFetch, v3 of Produce and v4 of
// Fetch to switch on idempotence and consumer groups. Produce starts at v0 although v0-2 are refused
// (kProduceServedMin): librdkafka 2.x compresses a batch only when the broker serves a Produce version
// within 0..N, N being 0 for gzip, snappy and lz4 (7 for zstd), so without v0 in the range it sends those
// uncompressed; Kafka 4.0 advertises Produce from v0 for that reason (KAFKA-18659).
#include "kafka/protocol.h"

#include "kafka/api_table.h"

namespace strata::kafka {

std::span<const ApiRange> supported_apis() {
  return Apis::ranges;
}

std::optional<ApiRange> supported_range(std::int16_t key) {
  for (const ApiRange& range : Apis::ranges) {
    if (static_cast<std::int16_t>(range.key) == key) return range;
  }
  return std::nullopt;
}

std::string_view api_name(std::int16_t key) {
  for (std::size_t i = 0; i < Apis::ranges.size(); ++i) {
    if (static_cast<std::int16_t>(Apis::ranges[i].key) == key) return Apis::names[i];
  }
  return "unknown";
}

}  // namespace strata::kafka
