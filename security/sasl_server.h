// One connection's SASL conversation, as Kafka runs it: SaslHandshake names a mechanism, then each
// SaslAuthenticate (or, after a v0 handshake, each raw length-framed token) carries the mechanism's next
// message. No I/O: the network layer decodes the requests, calls these, and encodes the replies, holding a
// failed login's reply for `delay` (the LoginThrottle's answer) and closing the connection when asked.
//
// Mechanisms: SCRAM-SHA-256 and SCRAM-SHA-512 (ScramServer), and PLAIN, which checks the password against the
// same stored SCRAM credentials and is offered only on a TLS connection unless allow_plain_over_plaintext.
// Replies carry Kafka's error codes; error messages never contain a password or any byte of the client's
// PLAIN message. Bounded: a token over kSaslTokenBytesMax is refused without being parsed.
// Not thread-safe: one per connection; the CredentialStore and LoginThrottle are shared and thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "security/credential_store.h"
#include "security/login_throttle.h"
#include "security/scram_server.h"

namespace strata::security {

// Kafka's error codes for the SASL APIs.
inline constexpr std::int16_t kErrorNone = 0;
inline constexpr std::int16_t kErrorUnsupportedSaslMechanism = 33;
inline constexpr std::int16_t kErrorIllegalSaslState = 34;
inline constexpr std::int16_t kErrorSaslAuthenticationFailed = 58;

inline constexpr std::size_t kSaslTokenBytesMax = 8192;
inline constexpr std::string_view kPlainMechanism = "PLAIN";

struct SaslOptions {
  std::vector<std::string> mechanisms = {"SCRAM-SHA-256", "SCRAM-SHA-512"};
  bool transport_is_tls = false;
  bool allow_plain_over_plaintext = false;
};

// --sasl-mechanisms "SCRAM-SHA-512,PLAIN": kInvalidArgument naming an unknown or repeated mechanism.
Result<std::vector<std::string>> parse_sasl_mechanisms(std::string_view list);

class SaslServer {
 public:
  SaslServer(SaslOptions options, CredentialStore* credentials, LoginThrottle* throttle, std::string peer_address);

  struct HandshakeReply {
    std::int16_t error_code = kErrorNone;
    std::vector<std::string> mechanisms;  // those this connection may use
    bool close_connection = false;
  };
  // `version` is SaslHandshake's (0: the tokens that follow are raw frames, not SaslAuthenticate).
  HandshakeReply handshake(std::string_view mechanism, std::int16_t version = 1);

  struct AuthenticateReply {
    std::int16_t error_code = kErrorNone;
    std::string error_message;
    std::string auth_bytes;
    bool close_connection = false;
    std::chrono::milliseconds delay{0};  // hold the reply this long before sending it
  };
  AuthenticateReply authenticate(std::string_view auth_bytes);

  bool authenticated() const { return state_ == State::kAuthenticated; }
  // "User:NAME" once authenticated().
  const std::string& principal() const { return principal_; }
  std::int16_t handshake_version() const { return handshake_version_; }
  // After a v0 SaslHandshake: the next frame is a raw token, not a Kafka request.
  bool expects_raw_token() const { return state_ == State::kWaitingForToken && handshake_version_ == 0; }
  // The mechanisms this connection offers (PLAIN dropped on plaintext unless allowed).
  std::vector<std::string> offered_mechanisms() const;

 private:
  enum class State { kWaitingForHandshake, kWaitingForToken, kAuthenticated, kFailed };
  AuthenticateReply fail_login(std::string message);
  AuthenticateReply refuse(std::int16_t error_code, std::string message);
  AuthenticateReply authenticate_plain(std::string_view message);
  AuthenticateReply authenticate_scram(std::string_view message);
  AuthenticateReply succeed(std::string user, std::string auth_bytes);

  const SaslOptions options_;
  CredentialStore* const credentials_;
  LoginThrottle* const throttle_;
  const std::string peer_address_;
  State state_ = State::kWaitingForHandshake;
  std::string mechanism_;
  std::int16_t handshake_version_ = 1;
  std::unique_ptr<ScramServer> scram_;
  std::string principal_;
};

}  // namespace strata::security
