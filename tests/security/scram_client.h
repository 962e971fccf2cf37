// A SCRAM client written from RFC 5802 for the tests (no I/O): the client-final message for a server-first.
#pragma once

#include <string>
#include <string_view>

#include "security/crypto.h"
#include "security/scram_credential.h"

namespace strata::security {

// A client written from the RFC, for exchanges with fresh nonces and salts.
struct ScramClient {
  ScramMechanism mechanism;
  std::string password;
  std::string nonce = "clientnonce123";
  std::string first_bare = "n=user,r=clientnonce123";

  std::string final_for(std::string_view server_first, std::string_view gs2_header_base64 = "biws") const {
    const HashAlgorithm algorithm = scram_hash(mechanism);
    const std::string text(server_first);
    const std::size_t s = text.find(",s=");
    const std::size_t i = text.find(",i=");
    const std::string combined = text.substr(2, s - 2);
    const std::string salt = *base64_decode(text.substr(s + 3, i - s - 3));
    const unsigned iterations = static_cast<unsigned>(std::stoul(text.substr(i + 3)));
    const std::string salted = pbkdf2(algorithm, password, salt, iterations);
    const std::string client_key = hmac(algorithm, salted, "Client Key");
    const std::string without_proof = "c=" + std::string(gs2_header_base64) + ",r=" + combined;
    const std::string auth = first_bare + "," + text + "," + without_proof;
    const std::string proof = xor_bytes(client_key, hmac(algorithm, hash(algorithm, client_key), auth));
    return without_proof + ",p=" + base64_encode(proof);
  }
};

}  // namespace strata::security
