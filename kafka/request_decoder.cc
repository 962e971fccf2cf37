// decode_request(): the request header (v1, or v2 with tagged fields for flexible versions), the version
// check against the advertised table, then the API's own decoder with the reader in the version's mode. A request must be consumed exactly: trailing bytes are malformed input, as in Kafka.
#include <string>

#include "kafka/codec.h"

namespace strata::kafka {

namespace {

// The API's own decoder, found in the table by key.
bool decode_body(WireReader& in, const RequestHeader& header, RequestBody* body) {
  bool decoded = false;
  const bool known = Apis::with(static_cast<ApiKey>(header.api_key), [&]<typename Entry>() {
    typename Entry::Request request;
    decoded = decode(in, header.api_version, &request);
    if (decoded) *body = std::move(request);
  });
  return known && decoded;  // !known is unreachable: the key was checked against the table
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
  header.client_id = in.nullable_string();  // int16 length in header v2 too
  if (range->flexible(header.api_version)) {
    in.set_flexible(true);
    in.tagged_fields();
  }
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

WireWriter& begin_response(ApiKey key, std::int16_t version, ResponseFrame& out) {
  const auto range = supported_range(static_cast<std::int16_t>(key));
  const bool flexible = range && range->flexible(version);
  out.body.set_flexible(flexible);
  if (flexible && key != ApiKey::kApiVersions) out.body.tagged_fields();  // response header v1
  return out.body;
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
