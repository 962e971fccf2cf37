#include "security/scram_server.h"

#include "security/crypto.h"
#include "security/scram_messages.h"

namespace strata::security {

namespace {

// Decoy salts for unknown users: HMAC(secret, user), the same for the process's lifetime, so that asking
// twice for an unknown user does not reveal it by a changing salt.
const std::string& decoy_secret() {
  static const std::string secret = random_bytes(32);
  return secret;
}

}  // namespace

ScramServer::ScramServer(ScramMechanism mechanism, ScramCredentialLookup lookup, std::optional<std::string> server_nonce)
    : mechanism_(mechanism),
      lookup_(std::move(lookup)),
      server_nonce_(server_nonce ? std::move(*server_nonce) : base64_encode(random_bytes(24))) {}

Status ScramServer::fail(Status status) {
  state_ = State::kFailed;
  return status;
}

ScramCredential ScramServer::credential_or_decoy(std::string_view user) const {
  if (auto found = lookup_(user, mechanism_)) return *found;
  ScramCredential decoy;
  decoy.mechanism = mechanism_;
  decoy.salt = hmac(HashAlgorithm::kSha256, decoy_secret(), user);
  decoy.iterations = kScramIterationsMin;
  return decoy;  // empty keys: no proof matches them
}

Result<std::string> ScramServer::receive_client_first(std::string_view message) {
  if (state_ != State::kWaitingForClientFirst) return fail(invalid_argument("SCRAM client-first message out of order"));
  auto first = parse_client_first(message);
  if (!first) return fail(first.status());
  if (!first->authzid.empty() && first->authzid != first->username) {
    return fail(invalid_argument("SCRAM authzid " + first->authzid + " differs from the user name"));
  }
  if (first->token_auth) return fail(invalid_argument("SCRAM delegation tokens (tokenauth) are not supported"));
  user_ = first->username;
  credential_ = credential_or_decoy(user_);
  user_known_ = !credential_.stored_key.empty();
  nonce_ = first->nonce + server_nonce_;
  gs2_header_ = first->gs2_header;
  const std::string server_first =
      "r=" + nonce_ + ",s=" + base64_encode(credential_.salt) + ",i=" + std::to_string(credential_.iterations);
  auth_message_ = first->bare + "," + server_first;
  state_ = State::kWaitingForClientFinal;
  return server_first;
}

Result<std::string> ScramServer::receive_client_final(std::string_view message) {
  if (state_ != State::kWaitingForClientFinal) return fail(invalid_argument("SCRAM client-final message out of order"));
  auto final_message = parse_client_final(message);
  if (!final_message) return fail(final_message.status());
  if (final_message->channel_binding != gs2_header_) {
    return fail(invalid_argument("SCRAM client-final message: channel binding does not match the gs2 header"));
  }
  // Kafka checks that the nonce ends with client nonce + server nonce (not equality): librdkafka sends its own
  // nonce once more in front (r=CNONCE + the server's r=), and signs what it sent, so its proof still holds.
  if (!final_message->nonce.ends_with(nonce_)) {
    return fail(invalid_argument("SCRAM client-final message: nonce does not match"));
  }
  const HashAlgorithm algorithm = scram_hash(mechanism_);
  const std::string auth_message = auth_message_ + "," + final_message->without_proof;
  const std::string client_signature = hmac(algorithm, credential_.stored_key, auth_message);
  // A proof of another length cannot match; compare anyway against a same-sized value to keep one path.
  const bool proof_sized = final_message->proof.size() == client_signature.size();
  const std::string client_key = xor_bytes(proof_sized ? final_message->proof : client_signature, client_signature);
  const bool matches = constant_time_equal(hash(algorithm, client_key), credential_.stored_key);
  if (!proof_sized || !matches || !user_known_) {
    return fail(invalid_argument("authentication failed: invalid credentials with SASL mechanism " +
                                 std::string(scram_mechanism_name(mechanism_))));
  }
  state_ = State::kAuthenticated;
  return "v=" + base64_encode(hmac(algorithm, credential_.server_key, auth_message));
}

}  // namespace strata::security
