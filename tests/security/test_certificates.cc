#include "tests/security/test_certificates.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <stdexcept>

namespace strata::security::testing {

namespace {

EVP_PKEY* new_key() {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  if (key == nullptr) throw std::runtime_error("EVP_EC_gen failed");
  return key;
}

void add_extension(X509* certificate, X509* issuer, int nid, const char* value) {
  X509V3_CTX context;
  X509V3_set_ctx(&context, issuer, certificate, nullptr, nullptr, 0);
  X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &context, nid, value);
  X509_add_ext(certificate, extension, -1);
  X509_EXTENSION_free(extension);
}

// Signed by issuer_key (self-signed when issuer is null).
X509* new_certificate(EVP_PKEY* key, const char* common_name, X509* issuer, EVP_PKEY* issuer_key, long serial) {
  X509* certificate = X509_new();
  X509_set_version(certificate, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(certificate), serial);
  X509_gmtime_adj(X509_getm_notBefore(certificate), -3600);
  X509_gmtime_adj(X509_getm_notAfter(certificate), 86400L * 30);
  X509_set_pubkey(certificate, key);
  X509_NAME* name = X509_get_subject_name(certificate);
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("strata-test"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(common_name), -1, -1, 0);
  X509_set_issuer_name(certificate, issuer != nullptr ? X509_get_subject_name(issuer) : name);
  if (issuer == nullptr) {
    add_extension(certificate, certificate, NID_basic_constraints, "critical,CA:TRUE");
    add_extension(certificate, certificate, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    add_extension(certificate, issuer, NID_basic_constraints, "CA:FALSE");
    add_extension(certificate, issuer, NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost");
  }
  X509_sign(certificate, issuer_key, EVP_sha256());
  return certificate;
}

void write_pem(const std::string& path, X509* certificate, EVP_PKEY* key) {
  FILE* file = std::fopen(path.c_str(), "w");
  if (file == nullptr) throw std::runtime_error("cannot write " + path);
  if (certificate != nullptr) PEM_write_X509(file, certificate);
  if (key != nullptr) PEM_write_PrivateKey(file, key, nullptr, nullptr, 0, nullptr, nullptr);
  std::fclose(file);
}

}  // namespace

CertificateFiles make_certificates(const std::string& dir, const std::string& prefix) {
  const std::string base = dir + "/" + prefix;
  CertificateFiles files{base + "ca.pem", base + "server.pem", base + "server.key", base + "client.pem",
                         base + "client.key"};
  EVP_PKEY* ca_key = new_key();
  X509* ca = new_certificate(ca_key, "strata test CA", nullptr, ca_key, 1);
  EVP_PKEY* server_key = new_key();
  X509* server = new_certificate(server_key, "localhost", ca, ca_key, 2);
  EVP_PKEY* client_key = new_key();
  X509* client = new_certificate(client_key, "client", ca, ca_key, 3);
  write_pem(files.ca_certificate, ca, nullptr);
  write_pem(files.server_certificate, server, nullptr);
  write_pem(files.server_key, nullptr, server_key);
  write_pem(files.client_certificate, client, nullptr);
  write_pem(files.client_key, nullptr, client_key);
  for (X509* certificate : {ca, server, client}) X509_free(certificate);
  for (EVP_PKEY* key : {ca_key, server_key, client_key}) EVP_PKEY_free(key);
  return files;
}

}  // namespace strata::security::testing
