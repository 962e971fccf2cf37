// The decoded forms of the SASL APIs: SaslHandshake (v0-1, non-flexible) and SaslAuthenticate (v0-2, v2
// flexible), Kafka's message schemas. Requests hold views into the request frame; responses own their bytes.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kafka/protocol.h"

namespace strata::kafka {

struct SaslHandshakeRequest {
  std::string_view mechanism;
};
struct SaslHandshakeResponse {
  ErrorCode error = ErrorCode::kNone;
  std::vector<std::string> mechanisms;
};

struct SaslAuthenticateRequest {
  std::span<const std::byte> auth_bytes;
};
struct SaslAuthenticateResponse {
  ErrorCode error = ErrorCode::kNone;
  std::optional<std::string> error_message;
  std::string auth_bytes;
  std::int64_t session_lifetime_ms = 0;  // v1+: 0, no re-authentication asked for
};

}  // namespace strata::kafka
