// The client's two SCRAM messages (RFC 5802 section 7), parsed strictly: every refusal is kInvalidArgument
// with what was wrong. Bounded: a message over kScramMessageBytesMax, a name or nonce over its limit, or more
// than kScramExtensionsMax extensions is refused before anything is copied. Channel binding: "n" (client does
// not support it) and "y" (client does, and believes the server does not) are accepted; "p=" is refused
// (strata offers no -PLUS mechanism).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "strata/status.h"

namespace strata::security {

inline constexpr std::size_t kScramMessageBytesMax = 4096;
inline constexpr std::size_t kScramNameBytesMax = 255;  // a decoded user name or authzid
inline constexpr std::size_t kScramNonceBytesMax = 256;
inline constexpr std::size_t kScramExtensionsMax = 8;

struct ClientFirstMessage {
  std::string gs2_header;  // as received, with its trailing comma ("n,," or "y,a=bob,")
  std::string authzid;     // decoded; empty when absent
  std::string username;    // decoded (=2C and =3D undone)
  std::string nonce;       // the client's nonce
  std::string bare;        // client-first-message-bare, as received (it is part of AuthMessage)
  bool token_auth = false;  // Kafka's "tokenauth=true" extension (delegation tokens)
};
Result<ClientFirstMessage> parse_client_first(std::string_view message);

struct ClientFinalMessage {
  std::string channel_binding;  // c=, decoded from base64
  std::string nonce;            // r=, the client's nonce followed by the server's
  std::string proof;            // p=, decoded from base64
  std::string without_proof;    // client-final-message-without-proof, as received
};
Result<ClientFinalMessage> parse_client_final(std::string_view message);

// A SCRAM name (saslname) for a message: ',' as "=2C" and '=' as "=3D".
std::string encode_scram_name(std::string_view name);

}  // namespace strata::security
