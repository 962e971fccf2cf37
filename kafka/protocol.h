// What strata speaks of the Kafka protocol: API keys, the version ranges it advertises (non-flexible versions
// only; clients negotiate down), and the error codes it answers with.
#pragma once

#include <cstdint>
#include <span>

#include "strata/status.h"

namespace strata::kafka {

enum ApiKey : std::int16_t {
  kProduce = 0,
  kFetch = 1,
  kListOffsets = 2,
  kMetadata = 3,
  kOffsetCommit = 8,
  kOffsetFetch = 9,
  kFindCoordinator = 10,
  kJoinGroup = 11,
  kHeartbeat = 12,
  kLeaveGroup = 13,
  kSyncGroup = 14,
  kDescribeGroups = 15,
  kListGroups = 16,
  kApiVersions = 18,
  kCreateTopics = 19,
  kInitProducerId = 22,
};

struct ApiRange {
  std::int16_t key;
  std::int16_t min;
  std::int16_t max;
};
// Every range includes what librdkafka before 2.11 needs to enable groups and idempotence (v0 of the group
// APIs, InitProducerId and ApiVersions; OffsetFetch v1; Produce v3; Fetch v4): see
// ../shared/research/kafka-protocol.md.
std::span<const ApiRange> supported_apis();
// The advertised range of `key`, or nullptr.
const ApiRange* find_api(std::int16_t key);

namespace error {
inline constexpr std::int16_t kNone = 0;
inline constexpr std::int16_t kUnknownServerError = -1;
inline constexpr std::int16_t kOffsetOutOfRange = 1;
inline constexpr std::int16_t kCorruptMessage = 2;
inline constexpr std::int16_t kUnknownTopicOrPartition = 3;
inline constexpr std::int16_t kRequestTimedOut = 7;
inline constexpr std::int16_t kMessageTooLarge = 10;
inline constexpr std::int16_t kCoordinatorNotAvailable = 15;
inline constexpr std::int16_t kInvalidTopic = 17;
inline constexpr std::int16_t kInvalidRequiredAcks = 21;
inline constexpr std::int16_t kIllegalGeneration = 22;
inline constexpr std::int16_t kInconsistentGroupProtocol = 23;
inline constexpr std::int16_t kInvalidGroupId = 24;
inline constexpr std::int16_t kUnknownMemberId = 25;
inline constexpr std::int16_t kInvalidSessionTimeout = 26;
inline constexpr std::int16_t kRebalanceInProgress = 27;
inline constexpr std::int16_t kUnsupportedVersion = 35;
inline constexpr std::int16_t kTopicAlreadyExists = 36;
inline constexpr std::int16_t kInvalidPartitions = 37;
inline constexpr std::int16_t kInvalidRequest = 42;
inline constexpr std::int16_t kOutOfOrderSequence = 45;
inline constexpr std::int16_t kInvalidProducerEpoch = 47;
inline constexpr std::int16_t kTransactionalIdAuthorizationFailed = 53;
inline constexpr std::int16_t kUnsupportedCompressionType = 76;
inline constexpr std::int16_t kInvalidRecord = 87;
}  // namespace error

// The Kafka error for an engine Status (an append's or a read's).
std::int16_t error_for(const Status& status);

}  // namespace strata::kafka
