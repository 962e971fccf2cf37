// What the server keeps per user and SCRAM mechanism (RFC 5802 section 3): the salt, the iteration count,
// StoredKey = H(ClientKey) and ServerKey. Never the password: these let the server check a proof and prove
// itself, but not log in as the user.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "security/crypto.h"
#include "strata/status.h"

namespace strata::security {

enum class ScramMechanism : std::uint8_t { kSha256 = 1, kSha512 = 2 };

// "SCRAM-SHA-256" / "SCRAM-SHA-512", as Kafka and the SASL registry name them.
std::string_view scram_mechanism_name(ScramMechanism mechanism);
std::optional<ScramMechanism> parse_scram_mechanism(std::string_view name);
HashAlgorithm scram_hash(ScramMechanism mechanism);

// Kafka's bounds on the iteration count (4096 is RFC 7677's minimum).
inline constexpr std::uint32_t kScramIterationsMin = 4096;
inline constexpr std::uint32_t kScramIterationsMax = 16384;
inline constexpr std::size_t kScramSaltBytes = 32;

struct ScramCredential {
  ScramMechanism mechanism = ScramMechanism::kSha256;
  std::string salt;  // raw bytes
  std::uint32_t iterations = kScramIterationsMin;
  std::string stored_key;  // H(ClientKey), digest_bytes long
  std::string server_key;  // HMAC(SaltedPassword, "Server Key")
  bool operator==(const ScramCredential&) const = default;
};

// The credential for `password` with the given salt (tests) or a fresh random one. kInvalidArgument when
// the iteration count is outside [kScramIterationsMin, kScramIterationsMax].
Result<ScramCredential> make_scram_credential(ScramMechanism mechanism, std::string_view password,
                                              std::uint32_t iterations, std::optional<std::string> salt = {});

// Whether `password` is the one `credential` was made from (PLAIN's check), in constant time once the
// salted password is computed.
bool scram_password_matches(const ScramCredential& credential, std::string_view password);

}  // namespace strata::security
