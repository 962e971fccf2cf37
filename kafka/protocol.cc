// The advertised API table. The ranges are the non-flexible versions of each API, chosen so that
// librdkafka 2.0.2's feature map (which needs v0 of the group APIs, InitProducerId and ApiVersions, v1 of
// OffsetFetch, v3 of Produce and v4 of Fetch) switches on idempotence and consumer groups. Produce starts at
// v0 although v0-2 are refused (kProduceServedMin): librdkafka 2.x compresses a batch only when the broker
// serves a Produce version within 0..N, N being 0 for gzip, snappy and lz4 (7 for zstd), so without v0 in the
// range it sends those uncompressed; Kafka 4.0 advertises Produce from v0 for that reason (KAFKA-18659).
#include "kafka/protocol.h"

#include <array>

namespace strata::kafka {

namespace {

constexpr std::array kSupported = {
    ApiRange{ApiKey::kProduce, 0, 7},         ApiRange{ApiKey::kFetch, 4, 11},
    ApiRange{ApiKey::kListOffsets, 1, 5},     ApiRange{ApiKey::kMetadata, 0, 8},
    ApiRange{ApiKey::kOffsetCommit, 1, 7},    ApiRange{ApiKey::kOffsetFetch, 1, 5},
    ApiRange{ApiKey::kFindCoordinator, 0, 2}, ApiRange{ApiKey::kJoinGroup, 0, 5},
    ApiRange{ApiKey::kHeartbeat, 0, 3},       ApiRange{ApiKey::kLeaveGroup, 0, 3},
    ApiRange{ApiKey::kSyncGroup, 0, 3},       ApiRange{ApiKey::kDescribeGroups, 0, 4},
    ApiRange{ApiKey::kListGroups, 0, 2},      ApiRange{ApiKey::kApiVersions, 0, 2},
    ApiRange{ApiKey::kCreateTopics, 0, 4},    ApiRange{ApiKey::kInitProducerId, 0, 1},
    ApiRange{ApiKey::kDeleteTopics, 0, 3},
};

}  // namespace

std::span<const ApiRange> supported_apis() {
  return kSupported;
}

std::optional<ApiRange> supported_range(std::int16_t key) {
  for (const ApiRange& range : kSupported) {
    if (static_cast<std::int16_t>(range.key) == key) return range;
  }
  return std::nullopt;
}

std::string_view api_name(std::int16_t key) {
  switch (key) {
    case 0:
      return "Produce";
    case 1:
      return "Fetch";
    case 2:
      return "ListOffsets";
    case 3:
      return "Metadata";
    case 8:
      return "OffsetCommit";
    case 9:
      return "OffsetFetch";
    case 10:
      return "FindCoordinator";
    case 11:
      return "JoinGroup";
    case 12:
      return "Heartbeat";
    case 13:
      return "LeaveGroup";
    case 14:
      return "SyncGroup";
    case 15:
      return "DescribeGroups";
    case 16:
      return "ListGroups";
    case 18:
      return "ApiVersions";
    case 19:
      return "CreateTopics";
    case 20:
      return "DeleteTopics";
    case 22:
      return "InitProducerId";
    default:
      return "unknown";
  }
}

}  // namespace strata::kafka
