// Certificates for the TLS tests, made with OpenSSL's API in a temporary directory: a CA, a server
// certificate for 127.0.0.1/localhost signed by it, and a client certificate (CN=client) signed by it.
#pragma once

#include <string>

namespace strata::security::testing {

struct CertificateFiles {
  std::string ca_certificate;
  std::string server_certificate;
  std::string server_key;
  std::string client_certificate;
  std::string client_key;
};

// Writes the PEM files into `dir` (names prefixed with `prefix`, so two sets can live side by side).
CertificateFiles make_certificates(const std::string& dir, const std::string& prefix = "");

}  // namespace strata::security::testing
