// The server side of one SCRAM exchange (RFC 5802 / RFC 7677) as a state machine with no I/O:
//
//   ScramServer server(mechanism, lookup);
//   auto server_first = server.receive_client_first(client_first);   // or a refusal
//   auto server_final = server.receive_client_final(client_final);   // or a refusal; then authenticated()
//
// Each call either advances the state or refuses, after which the exchange is over (every later call is
// refused too). Messages out of order are refused. An unknown user gets a server-first message built from a
// salt derived from the name and a per-process secret, so the exchange looks the same as for a known user
// and fails only at the proof (no probing for user names). The proof is compared in constant time. Memory
// is bounded by the message limits of scram_messages.h. Not thread-safe: one per connection.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "security/scram_credential.h"
#include "strata/status.h"

namespace strata::security {

// Finds the stored credential of (user, mechanism); nullopt when there is none.
using ScramCredentialLookup =
    std::function<std::optional<ScramCredential>(std::string_view user, ScramMechanism mechanism)>;

class ScramServer {
 public:
  // `server_nonce` for tests (RFC 7677's vector); by default 24 random bytes, base64.
  ScramServer(ScramMechanism mechanism, ScramCredentialLookup lookup, std::optional<std::string> server_nonce = {});

  // Refused (kInvalidArgument) when malformed, out of order, or asking for something
  // strata does not support (channel binding, an authzid other than the user, delegation tokens).
  Result<std::string> receive_client_first(std::string_view message);
  // Refused (kInvalidArgument) when malformed or out of order, and with "authentication failed: ..." when
  // the proof is wrong or the user unknown (the two are indistinguishable to the client).
  Result<std::string> receive_client_final(std::string_view message);

  bool authenticated() const { return state_ == State::kAuthenticated; }
  // The user named in client-first (empty before it); the principal once authenticated().
  const std::string& user() const { return user_; }
  ScramMechanism mechanism() const { return mechanism_; }

 private:
  enum class State { kWaitingForClientFirst, kWaitingForClientFinal, kAuthenticated, kFailed };
  Status fail(Status status);
  ScramCredential credential_or_decoy(std::string_view user) const;

  ScramMechanism mechanism_;
  ScramCredentialLookup lookup_;
  std::string server_nonce_;
  State state_ = State::kWaitingForClientFirst;
  std::string user_;
  bool user_known_ = false;
  ScramCredential credential_;
  std::string nonce_;         // client nonce + server nonce
  std::string gs2_header_;    // what c= must decode to
  std::string auth_message_;  // client-first-bare "," server-first (client-final-without-proof comes later)
};

}  // namespace strata::security
