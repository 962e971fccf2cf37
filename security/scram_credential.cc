#include "security/scram_credential.h"

namespace strata::security {

std::string_view scram_mechanism_name(ScramMechanism mechanism) {
  return mechanism == ScramMechanism::kSha256 ? "SCRAM-SHA-256" : "SCRAM-SHA-512";
}

std::optional<ScramMechanism> parse_scram_mechanism(std::string_view name) {
  if (name == "SCRAM-SHA-256") return ScramMechanism::kSha256;
  if (name == "SCRAM-SHA-512") return ScramMechanism::kSha512;
  return std::nullopt;
}

HashAlgorithm scram_hash(ScramMechanism mechanism) {
  return mechanism == ScramMechanism::kSha256 ? HashAlgorithm::kSha256 : HashAlgorithm::kSha512;
}

namespace {

std::string client_key(HashAlgorithm algorithm, std::string_view salted_password) {
  return hmac(algorithm, salted_password, "Client Key");
}

}  // namespace

Result<ScramCredential> make_scram_credential(ScramMechanism mechanism, std::string_view password,
                                              std::uint32_t iterations, std::optional<std::string> salt) {
  if (iterations < kScramIterationsMin || iterations > kScramIterationsMax) {
    return invalid_argument("iterations " + std::to_string(iterations) + " outside [" +
                            std::to_string(kScramIterationsMin) + ", " + std::to_string(kScramIterationsMax) + "]");
  }
  const HashAlgorithm algorithm = scram_hash(mechanism);
  ScramCredential credential;
  credential.mechanism = mechanism;
  credential.iterations = iterations;
  credential.salt = salt ? std::move(*salt) : random_bytes(kScramSaltBytes);
  const std::string salted = pbkdf2(algorithm, password, credential.salt, iterations);
  credential.stored_key = hash(algorithm, client_key(algorithm, salted));
  credential.server_key = hmac(algorithm, salted, "Server Key");
  return credential;
}

bool scram_password_matches(const ScramCredential& credential, std::string_view password) {
  const HashAlgorithm algorithm = scram_hash(credential.mechanism);
  const std::string salted = pbkdf2(algorithm, password, credential.salt, credential.iterations);
  return constant_time_equal(hash(algorithm, client_key(algorithm, salted)), credential.stored_key);
}

}  // namespace strata::security
