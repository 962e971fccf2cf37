// The cryptographic primitives SCRAM and PLAIN need, from OpenSSL 3's libcrypto: hashes, HMAC, PBKDF2 (SCRAM's
// Hi), random bytes, base64 and a constant-time comparison. Bytes are std::string (SCRAM's own messages are
// text, and keys travel beside them).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace strata::security {

enum class HashAlgorithm : unsigned char { kSha256, kSha512 };

// Digest size in bytes: 32 or 64.
std::size_t digest_bytes(HashAlgorithm algorithm);

std::string hash(HashAlgorithm algorithm, std::string_view data);
std::string hmac(HashAlgorithm algorithm, std::string_view key, std::string_view data);
// PBKDF2 with HMAC of `algorithm`, one block of digest_bytes: SCRAM's Hi(password, salt, iterations).
// REQUIRES: iterations >= 1.
std::string pbkdf2(HashAlgorithm algorithm, std::string_view password, std::string_view salt, unsigned iterations);

// `count` bytes from OpenSSL's CSPRNG. Aborts if the generator fails (nothing secure can follow).
std::string random_bytes(std::size_t count);

std::string base64_encode(std::string_view bytes);
// Strict: standard alphabet, padding required, no whitespace; nullopt otherwise.
std::optional<std::string> base64_decode(std::string_view text);

// Equal content, in time that depends only on the lengths (CRYPTO_memcmp).
bool constant_time_equal(std::string_view a, std::string_view b);

// a XOR b. REQUIRES: equal lengths.
std::string xor_bytes(std::string_view a, std::string_view b);

}  // namespace strata::security
