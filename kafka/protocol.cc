#include "kafka/protocol.h"

namespace strata::kafka {

namespace {
constexpr ApiRange kApis[] = {
    {kProduce, 3, 7},        {kFetch, 4, 11},         {kListOffsets, 1, 5},     {kMetadata, 1, 8},
    {kOffsetCommit, 1, 7},   {kOffsetFetch, 1, 5},    {kFindCoordinator, 0, 2}, {kJoinGroup, 0, 5},
    {kHeartbeat, 0, 3},      {kLeaveGroup, 0, 3},     {kSyncGroup, 0, 3},       {kApiVersions, 0, 2},
    {kInitProducerId, 0, 1},
};
}  // namespace

std::span<const ApiRange> supported_apis() {
  return kApis;
}

const ApiRange* find_api(std::int16_t key) {
  for (const ApiRange& api : kApis) {
    if (api.key == key) return &api;
  }
  return nullptr;
}

std::int16_t error_for(const Status& status) {
  switch (status.code()) {
    case StatusCode::kOk:
      return error::kNone;
    case StatusCode::kCorruption:
      return error::kCorruptMessage;
    case StatusCode::kInvalidArgument:
      return error::kInvalidRecord;
    case StatusCode::kTooLarge:
      return error::kMessageTooLarge;
    case StatusCode::kOutOfOrderSequence:
      return error::kOutOfOrderSequence;
    case StatusCode::kProducerFenced:
      return error::kInvalidProducerEpoch;
    case StatusCode::kTimedOut:
      return error::kRequestTimedOut;
    case StatusCode::kNotFound:
      return error::kOffsetOutOfRange;
    default:
      return error::kUnknownServerError;
  }
}

}  // namespace strata::kafka
