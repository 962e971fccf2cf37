// The body of the SASL/SCRAM fuzzer, shared by the libFuzzer target and the bounded gtest run. The input
// drives one connection's conversation: byte 0 picks the mechanism and whether the transport is TLS, the rest
// splits at 0xff bytes into the tokens sent, in order (the first as SaslHandshake's mechanism when byte 0
// says so, to reach the out-of-order paths). The raw bytes also go straight to the two SCRAM message parsers.
// Checked beyond "no crash, nothing read outside": every refusal carries Kafka's error and a message, a
// refusal ends the conversation, and no input authenticates (the stored user's password never appears).
#pragma once

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "security/scram_messages.h"
#include "security/sasl_server.h"
#include "security/security_store.h"

namespace strata::security::fuzz {

// A log directory with one user (SCRAM-SHA-256 and -512, a random password), made once per process.
inline CredentialStore& fuzz_credentials() {
  static CredentialStore* store = [] {
    std::string pattern = "/tmp/strata-sasl-fuzz.XXXXXX";
    const std::string dir = ::mkdtemp(pattern.data());
    const std::string password = base64_encode(random_bytes(24));
    for (ScramMechanism mechanism : {ScramMechanism::kSha256, ScramMechanism::kSha512}) {
      if (!put_user(dir, "user", make_scram_credential(mechanism, password, kScramIterationsMin).value()).is_ok()) {
        std::abort();
      }
    }
    return CredentialStore::open(dir).value().release();
  }();
  return *store;
}

inline std::vector<std::string_view> split_tokens(std::string_view input) {
  std::vector<std::string_view> tokens;
  while (tokens.size() < 6) {
    const std::size_t end = input.find('\xff');
    tokens.push_back(input.substr(0, end));
    if (end == std::string_view::npos) break;
    input.remove_prefix(end + 1);
  }
  return tokens;
}

inline void sasl_conversation_one(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return;
  const std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  (void)parse_client_first(input);
  (void)parse_client_final(input);
  static const char* const kMechanisms[] = {"SCRAM-SHA-256", "SCRAM-SHA-512", "PLAIN"};
  SaslOptions options;
  options.mechanisms = {"SCRAM-SHA-256", "SCRAM-SHA-512", "PLAIN"};
  options.transport_is_tls = (data[0] & 0x4) != 0;
  SaslServer sasl(options, &fuzz_credentials(), nullptr, "fuzz");
  const auto tokens = split_tokens(input);
  std::size_t next = 0;
  const bool handshake_from_input = (data[0] & 0x8) != 0;
  const auto handshake = sasl.handshake(handshake_from_input ? tokens[next++] : kMechanisms[data[0] % 3]);
  if (handshake.error_code != kErrorNone && !handshake.close_connection) __builtin_trap();
  bool ended = handshake.close_connection;
  for (; next < tokens.size(); ++next) {
    const auto reply = sasl.authenticate(tokens[next]);
    if (reply.error_code != kErrorNone && (reply.error_message.empty() || !reply.close_connection)) __builtin_trap();
    if (ended && reply.error_code == kErrorNone) __builtin_trap();  // nothing after a refusal
    ended = ended || reply.close_connection;
  }
  if (sasl.authenticated()) __builtin_trap();  // the password is random: no input can know it
}

}  // namespace strata::security::fuzz
