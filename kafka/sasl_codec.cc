// Codecs of the SASL APIs: SaslHandshake 0-1 and SaslAuthenticate 0-2 (field layouts from Kafka's message
// schemas, clients/src/main/resources/common/message; SaslAuthenticate 2 is flexible).
#include "kafka/codec.h"

namespace strata::kafka {

bool decode(WireReader& in, std::int16_t /*version*/, SaslHandshakeRequest* out) {
  out->mechanism = in.string();
  return in.ok();
}

void encode(const SaslHandshakeResponse& response, std::int16_t version, ResponseFrame& out) {
  WireWriter& w = begin_response(ApiKey::kSaslHandshake, version, out);
  w.int16(code(response.error));
  w.array_count(response.mechanisms.size());
  for (const std::string& mechanism : response.mechanisms) w.string(mechanism);
}

bool decode(WireReader& in, std::int16_t /*version*/, SaslAuthenticateRequest* out) {
  out->auth_bytes = in.bytes();
  in.tagged_fields();
  return in.ok();
}

void encode(const SaslAuthenticateResponse& response, std::int16_t version, ResponseFrame& out) {
  WireWriter& w = begin_response(ApiKey::kSaslAuthenticate, version, out);
  w.int16(code(response.error));
  w.nullable_string(response.error_message);
  w.bytes(as_bytes(response.auth_bytes));
  if (version >= 1) w.int64(response.session_lifetime_ms);
  w.tagged_fields();
}

}  // namespace strata::kafka
