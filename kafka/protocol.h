// The Kafka protocol's vocabulary as strata serves it: API keys, error codes, the request header, and
// lookups in the table of served APIs (declared once, in api_table.h).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace strata::kafka {

enum class ApiKey : std::int16_t {
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
  kSaslHandshake = 17,
  kApiVersions = 18,
  kCreateTopics = 19,
  kDeleteTopics = 20,
  kInitProducerId = 22,
  kDescribeAcls = 29,
  kCreateAcls = 30,
  kDeleteAcls = 31,
  kDescribeConfigs = 32,
  kAlterConfigs = 33,
  kSaslAuthenticate = 36,
  kCreatePartitions = 37,
  kIncrementalAlterConfigs = 44,
};

// Kafka's error codes (org.apache.kafka.common.protocol.Errors), those strata answers with.
enum class ErrorCode : std::int16_t {
  kUnknownServerError = -1,
  kNone = 0,
  kOffsetOutOfRange = 1,
  kCorruptMessage = 2,
  kUnknownTopicOrPartition = 3,
  kNotLeaderOrFollower = 6,
  kRequestTimedOut = 7,
  kMessageTooLarge = 10,
  kOffsetMetadataTooLarge = 12,
  kCoordinatorNotAvailable = 15,
  kInvalidTopic = 17,
  kInvalidRequiredAcks = 21,
  kIllegalGeneration = 22,
  kInconsistentGroupProtocol = 23,
  kInvalidGroupId = 24,
  kUnknownMemberId = 25,
  kInvalidSessionTimeout = 26,
  kRebalanceInProgress = 27,
  kTopicAuthorizationFailed = 29,
  kGroupAuthorizationFailed = 30,
  kClusterAuthorizationFailed = 31,
  kUnsupportedSaslMechanism = 33,
  kIllegalSaslState = 34,
  kUnsupportedVersion = 35,
  kTopicAlreadyExists = 36,
  kInvalidPartitions = 37,
  kInvalidReplicationFactor = 38,
  kInvalidReplicaAssignment = 39,
  kInvalidConfig = 40,
  kInvalidRequest = 42,
  kOutOfOrderSequenceNumber = 45,
  kInvalidProducerEpoch = 47,
  kTransactionalIdAuthorizationFailed = 53,
  kSecurityDisabled = 54,
  kKafkaStorageError = 56,
  kSaslAuthenticationFailed = 58,
  kUnsupportedCompressionType = 76,
  kGroupIdNotFound = 69,
  kFencedInstanceId = 82,
  kInvalidRecord = 87,
  kUnknownTopicId = 100,
};

struct ApiRange {
  ApiKey key;
  std::int16_t min_version;
  std::int16_t max_version;
  std::int16_t flexible_min;  // the first flexible version (KIP-482), whether advertised or not
  bool flexible(std::int16_t version) const { return version >= flexible_min; }
};

// Produce v0-2 (magic 0 and 1 message sets) are advertised but refused, as Kafka 4.0 does (KAFKA-18659): a
// request at those versions is answered UNSUPPORTED_VERSION for each partition.
inline constexpr std::int16_t kProduceServedMin = 3;

// What ApiVersions advertises, by key (api_table.h's ranges).
std::span<const ApiRange> supported_apis();
// The advertised range of `key`, or nullopt when the key is not served.
std::optional<ApiRange> supported_range(std::int16_t key);
// The name of a served API, or "unknown".
std::string_view api_name(std::int16_t key);

// Request header v1 (non-flexible requests): api_key, api_version, correlation_id, client_id; v2 (flexible
// requests) adds tagged fields after the client_id, which keeps its int16 length.
struct RequestHeader {
  std::int16_t api_key = 0;
  std::int16_t api_version = 0;
  std::int32_t correlation_id = 0;
  std::optional<std::string_view> client_id;
};

}  // namespace strata::kafka
