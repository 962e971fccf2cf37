// Request decoding and response encoding for every API and version strata serves. decode_request() is the
// one entry point for bytes from the network (and the fuzz target's); the encoders write a response body
// into a ResponseFrame that the connection sends after the size and the correlation id.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "kafka/api_table.h"
#include "kafka/wire.h"

namespace strata::kafka {

// One alternative per API of the table.
using RequestBody = Apis::RequestVariant;

struct Request {
  RequestHeader header;
  RequestBody body;
};

enum class DecodeResult : std::uint8_t {
  kOk,
  kApiVersionsTooNew,  // an ApiVersions above our range (the v3 probe): answer with error 35 in the v0 layout
  kUnsupportedVersion,  // a served API at a version outside its range: close the connection
  kUnknownApi,          // an API key strata does not serve: close the connection
  kMalformed,           // lengths, counts or the frame's end do not add up: close the connection
};

// Decodes one request frame (the bytes after the int32 size). On anything but kOk, *why says what was wrong
// and out->header holds whatever of the header could be read (the correlation id for kApiVersionsTooNew).
// Never reads outside `frame`; allocates at most a small multiple of frame.size().
DecodeResult decode_request(std::span<const std::byte> frame, Request* out, std::string* why);

// A part of a response sent from elsewhere than the encoded buffer: a stored batch, written straight from
// the segment's mapping (or file) at `at` bytes into the body.
struct Splice {
  std::size_t at = 0;
  std::span<const std::byte> data;
  int file_fd = -1;
  std::uint64_t file_position = 0;
  std::shared_ptr<const void> keep_alive;
};

struct ResponseFrame {
  WireWriter body;
  std::vector<Splice> splices;  // in order of `at`
  std::size_t size() const;     // body plus splices
};

// Every encoder starts here: puts the body's writer in the version's mode (flexible or classic) and writes the
// response header's part after the correlation id (header v1's tagged fields, for flexible versions of every
// API but ApiVersions, whose response header is always v0 so that a client can read it before it knows the
// versions). Returns the body's writer.
WireWriter& begin_response(ApiKey key, std::int16_t version, ResponseFrame& out);

void encode(const ApiVersionsResponse& response, std::int16_t version, ResponseFrame& out);
// The answer to an ApiVersions newer than we serve: v0 layout, error 35, the ApiVersions entry only.
void encode_api_versions_fallback(ResponseFrame& out);
void encode(const MetadataResponse& response, std::int16_t version, ResponseFrame& out);
void encode(const FindCoordinatorResponse& response, std::int16_t version, ResponseFrame& out);
void encode(const InitProducerIdResponse& response, std::int16_t version, ResponseFrame& out);
void encode(const CreateTopicsResponse& response, std::int16_t version, ResponseFrame& out);
void encode(const DeleteTopicsResponse& response, std::int16_t version, ResponseFrame& out);
void encode(const CreatePartitionsResponse& response, std::int16_t version, ResponseFrame& out);
void encode(const ProduceResponse& response, std::int16_t version, ResponseFrame& out);
void encode(const FetchResponse& response, std::int16_t version, ResponseFrame& out);
void encode(const ListOffsetsResponse& response, std::int16_t version, ResponseFrame& out);
void encode(const JoinGroupResponse& response, std::int16_t version, ResponseFrame& out);
void encode(const SyncGroupResponse& response, std::int16_t version, ResponseFrame& out);
void encode(const HeartbeatResponse& response, std::int16_t version, ResponseFrame& out);
void encode(const LeaveGroupResponse& response, std::int16_t version, ResponseFrame& out);
void encode(const OffsetCommitResponse& response, std::int16_t version, ResponseFrame& out);
void encode(const OffsetFetchResponse& response, std::int16_t version, ResponseFrame& out);
void encode(const ListGroupsResponse& response, std::int16_t version, ResponseFrame& out);
void encode(const DescribeGroupsResponse& response, std::int16_t version, ResponseFrame& out);
void encode(const DescribeConfigsResponse& response, std::int16_t version, ResponseFrame& out);
void encode(const AlterConfigsResponse& response, std::int16_t version, ResponseFrame& out);
void encode(const IncrementalAlterConfigsResponse& response, std::int16_t version, ResponseFrame& out);
void encode(const SaslHandshakeResponse& response, std::int16_t version, ResponseFrame& out);
void encode(const SaslAuthenticateResponse& response, std::int16_t version, ResponseFrame& out);
void encode(const DescribeAclsResponse& response, std::int16_t version, ResponseFrame& out);
void encode(const CreateAclsResponse& response, std::int16_t version, ResponseFrame& out);
void encode(const DeleteAclsResponse& response, std::int16_t version, ResponseFrame& out);

// Per-family decoders, called by decode_request() with the version already checked against the table and
// the reader already in the version's mode. Each returns reader.ok() at its end.
bool decode(WireReader& in, std::int16_t version, ApiVersionsRequest* out);
bool decode(WireReader& in, std::int16_t version, MetadataRequest* out);
bool decode(WireReader& in, std::int16_t version, FindCoordinatorRequest* out);
bool decode(WireReader& in, std::int16_t version, InitProducerIdRequest* out);
bool decode(WireReader& in, std::int16_t version, CreateTopicsRequest* out);
bool decode(WireReader& in, std::int16_t version, DeleteTopicsRequest* out);
bool decode(WireReader& in, std::int16_t version, CreatePartitionsRequest* out);
bool decode(WireReader& in, std::int16_t version, ProduceRequest* out);
bool decode(WireReader& in, std::int16_t version, FetchRequest* out);
bool decode(WireReader& in, std::int16_t version, ListOffsetsRequest* out);
bool decode(WireReader& in, std::int16_t version, JoinGroupRequest* out);
bool decode(WireReader& in, std::int16_t version, SyncGroupRequest* out);
bool decode(WireReader& in, std::int16_t version, HeartbeatRequest* out);
bool decode(WireReader& in, std::int16_t version, LeaveGroupRequest* out);
bool decode(WireReader& in, std::int16_t version, OffsetCommitRequest* out);
bool decode(WireReader& in, std::int16_t version, OffsetFetchRequest* out);
bool decode(WireReader& in, std::int16_t version, ListGroupsRequest* out);
bool decode(WireReader& in, std::int16_t version, DescribeGroupsRequest* out);
bool decode(WireReader& in, std::int16_t version, DescribeConfigsRequest* out);
bool decode(WireReader& in, std::int16_t version, AlterConfigsRequest* out);
bool decode(WireReader& in, std::int16_t version, IncrementalAlterConfigsRequest* out);
bool decode(WireReader& in, std::int16_t version, SaslHandshakeRequest* out);
bool decode(WireReader& in, std::int16_t version, SaslAuthenticateRequest* out);
bool decode(WireReader& in, std::int16_t version, DescribeAclsRequest* out);
bool decode(WireReader& in, std::int16_t version, CreateAclsRequest* out);
bool decode(WireReader& in, std::int16_t version, DeleteAclsRequest* out);

inline void write_uuid(WireWriter& w, const Uuid& id) {
  w.int64(static_cast<std::int64_t>(id.high));
  w.int64(static_cast<std::int64_t>(id.low));
}
inline Uuid read_uuid(WireReader& in) {
  const auto high = static_cast<std::uint64_t>(in.int64());
  return Uuid{high, static_cast<std::uint64_t>(in.int64())};
}

inline std::int16_t code(ErrorCode error) {
  return static_cast<std::int16_t>(error);
}

}  // namespace strata::kafka
