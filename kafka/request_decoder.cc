// decode_request(): the request header, the version check against the advertised table, then the API's
// own decoder. A request must be consumed exactly: trailing bytes are malformed input, as in Kafka.
#include <string>

#include "kafka/codec.h"

namespace strata::kafka {

namespace {

template <typename T>
bool decode_into(WireReader& in, std::int16_t version, RequestBody* body) {
  T request;
  if (!decode(in, version, &request)) return false;
  *body = std::move(request);
  return true;
}

bool decode_body(WireReader& in, const RequestHeader& header, RequestBody* body) {
  const std::int16_t v = header.api_version;
  switch (static_cast<ApiKey>(header.api_key)) {
    case ApiKey::kApiVersions:
      *body = ApiVersionsRequest{};
      return true;
    case ApiKey::kMetadata:
      return decode_into<MetadataRequest>(in, v, body);
    case ApiKey::kProduce:
      return decode_into<ProduceRequest>(in, v, body);
    case ApiKey::kFetch:
      return decode_into<FetchRequest>(in, v, body);
    case ApiKey::kListOffsets:
      return decode_into<ListOffsetsRequest>(in, v, body);
    case ApiKey::kInitProducerId:
      return decode_into<InitProducerIdRequest>(in, v, body);
    case ApiKey::kFindCoordinator:
      return decode_into<FindCoordinatorRequest>(in, v, body);
    case ApiKey::kJoinGroup:
      return decode_into<JoinGroupRequest>(in, v, body);
    case ApiKey::kSyncGroup:
      return decode_into<SyncGroupRequest>(in, v, body);
    case ApiKey::kHeartbeat:
      return decode_into<HeartbeatRequest>(in, v, body);
    case ApiKey::kLeaveGroup:
      return decode_into<LeaveGroupRequest>(in, v, body);
    case ApiKey::kOffsetCommit:
      return decode_into<OffsetCommitRequest>(in, v, body);
    case ApiKey::kOffsetFetch:
      return decode_into<OffsetFetchRequest>(in, v, body);
    case ApiKey::kCreateTopics:
      return decode_into<CreateTopicsRequest>(in, v, body);
    case ApiKey::kDeleteTopics:
      return decode_into<DeleteTopicsRequest>(in, v, body);
    case ApiKey::kListGroups:
      return decode_into<ListGroupsRequest>(in, v, body);
    case ApiKey::kDescribeGroups:
      return decode_into<DescribeGroupsRequest>(in, v, body);
    case ApiKey::kDescribeConfigs:
      return decode_into<DescribeConfigsRequest>(in, v, body);
    case ApiKey::kAlterConfigs:
      return decode_into<AlterConfigsRequest>(in, v, body);
    case ApiKey::kIncrementalAlterConfigs:
      return decode_into<IncrementalAlterConfigsRequest>(in, v, body);
  }
  return false;  // unreachable: the key was checked against the table
}

}  // namespace

DecodeResult decode_request(std::span<const std::byte> frame, Request* out, std::string* why) {
  WireReader in(frame);
  RequestHeader& header = out->header;
  header.api_key = in.int16();
  header.api_version = in.int16();
  header.correlation_id = in.int32();
  if (!in.ok()) {
    *why = "request header truncated";
    return DecodeResult::kMalformed;
  }
  const auto range = supported_range(header.api_key);
  if (!range) {
    *why = "unsupported API key " + std::to_string(header.api_key) + " (" +
           std::string(api_name(header.api_key)) + ")";
    return DecodeResult::kUnknownApi;
  }
  if (header.api_version < range->min_version || header.api_version > range->max_version) {
    *why = std::string(api_name(header.api_key)) + " version " + std::to_string(header.api_version) +
           " outside the served range " + std::to_string(range->min_version) + "-" +
           std::to_string(range->max_version);
    if (range->key == ApiKey::kApiVersions && header.api_version > range->max_version) {
      return DecodeResult::kApiVersionsTooNew;
    }
    return DecodeResult::kUnsupportedVersion;
  }
  header.client_id = in.nullable_string();
  if (!in.ok()) {
    *why = "request header: client_id " + std::string(in.error());
    return DecodeResult::kMalformed;
  }
  if (!decode_body(in, header, &out->body) || !in.ok()) {
    *why =
        std::string(api_name(header.api_key)) + " v" + std::to_string(header.api_version) + ": " + in.error();
    return DecodeResult::kMalformed;
  }
  if (in.remaining() != 0) {
    *why = std::string(api_name(header.api_key)) + " v" + std::to_string(header.api_version) + ": " +
           std::to_string(in.remaining()) + " bytes after the request";
    return DecodeResult::kMalformed;
  }
  return DecodeResult::kOk;
}

std::size_t ResponseFrame::size() const {
  std::size_t total = body.size();
  for (const Splice& splice : splices) total += splice.data.size();
  return total;
}

std::size_t FetchResponse::Partition::bytes() const {
  std::size_t total = 0;
  for (const BatchView& batch : batches) total += batch.bytes.size();
  return total;
}

}  // namespace strata::kafka
