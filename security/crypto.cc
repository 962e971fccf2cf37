#include "security/crypto.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "strata/assert.h"

namespace strata::security {

namespace {

const EVP_MD* digest_of(HashAlgorithm algorithm) {
  return algorithm == HashAlgorithm::kSha256 ? EVP_sha256() : EVP_sha512();
}

const unsigned char* bytes_of(std::string_view text) {
  return reinterpret_cast<const unsigned char*>(text.data());
}

}  // namespace

std::size_t digest_bytes(HashAlgorithm algorithm) {
  return algorithm == HashAlgorithm::kSha256 ? 32 : 64;
}

std::string hash(HashAlgorithm algorithm, std::string_view data) {
  std::string out(digest_bytes(algorithm), '\0');
  unsigned size = 0;
  const int done = EVP_Digest(data.data(), data.size(), reinterpret_cast<unsigned char*>(out.data()), &size,
                              digest_of(algorithm), nullptr);
  STRATA_ASSERT(done == 1 && size == out.size(), "EVP_Digest failed");
  return out;
}

std::string hmac(HashAlgorithm algorithm, std::string_view key, std::string_view data) {
  std::string out(digest_bytes(algorithm), '\0');
  unsigned size = 0;
  const unsigned char* done = HMAC(digest_of(algorithm), key.data(), static_cast<int>(key.size()), bytes_of(data),
                                   data.size(), reinterpret_cast<unsigned char*>(out.data()), &size);
  STRATA_ASSERT(done != nullptr && size == out.size(), "HMAC failed");
  return out;
}

std::string pbkdf2(HashAlgorithm algorithm, std::string_view password, std::string_view salt, unsigned iterations) {
  STRATA_ASSERT(iterations >= 1, "pbkdf2 with 0 iterations");
  std::string out(digest_bytes(algorithm), '\0');
  const int done = PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()), bytes_of(salt),
                                     static_cast<int>(salt.size()), static_cast<int>(iterations),
                                     digest_of(algorithm), static_cast<int>(out.size()),
                                     reinterpret_cast<unsigned char*>(out.data()));
  STRATA_ASSERT(done == 1, "PKCS5_PBKDF2_HMAC failed");
  return out;
}

std::string random_bytes(std::size_t count) {
  std::string out(count, '\0');
  STRATA_ASSERT(RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(count)) == 1,
                "RAND_bytes failed: no secure random numbers");
  return out;
}

std::string base64_encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int size = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes_of(bytes),
                                   static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(size));
  return out;
}

namespace {

bool is_base64_character(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
}

}  // namespace

std::optional<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::size_t padding = 0;
  while (padding < 2 && padding < text.size() && text[text.size() - 1 - padding] == '=') ++padding;
  for (std::size_t i = 0; i + padding < text.size(); ++i) {
    if (!is_base64_character(text[i])) return std::nullopt;  // EVP_DecodeBlock would skip whitespace
  }
  std::string out(text.size() / 4 * 3, '\0');
  const int size = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes_of(text),
                                   static_cast<int>(text.size()));
  if (size < 0 || static_cast<std::size_t>(size) < padding) return std::nullopt;
  out.resize(static_cast<std::size_t>(size) - padding);  // EVP_DecodeBlock counts the padding as zero bytes
  return out;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;  // lengths are public (digest sizes)
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string xor_bytes(std::string_view a, std::string_view b) {
  STRATA_ASSERT(a.size() == b.size(), "xor of %zu and %zu bytes", a.size(), b.size());
  std::string out(a.size(), '\0');
  for (std::size_t i = 0; i < a.size(); ++i) out[i] = static_cast<char>(a[i] ^ b[i]);
  return out;
}

}  // namespace strata::security
