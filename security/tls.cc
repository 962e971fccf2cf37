#include "security/tls.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>

namespace strata::security {

namespace {

// Mozilla's "intermediate" TLS 1.2 list without the finite-field DHE suites: forward secrecy and AEAD only.
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

std::string openssl_errors() {
  std::string out;
  while (const unsigned long code = ERR_get_error()) {
    char text[256];
    ERR_error_string_n(code, text, sizeof text);
    out += (out.empty() ? "" : "; ") + std::string(text);
  }
  return out.empty() ? "unknown OpenSSL error" : out;
}

Status refuse(const std::string& what) {
  return invalid_argument(what + ": " + openssl_errors());
}

// A file that cannot be opened gets the system's reason, not OpenSSL's stack of "system lib" lines.
Status check_readable(const std::string& option, const std::string& path) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) return invalid_argument(option + " " + path + ": cannot read it: " + std::strerror(errno));
  std::fclose(file);
  return Status::ok();
}

Status load_files(SSL_CTX* context, const TlsOptions& options) {
  STRATA_RETURN_IF_ERROR(check_readable("--tls-cert", options.certificate_path));
  STRATA_RETURN_IF_ERROR(check_readable("--tls-key", options.key_path));
  if (!options.client_ca_path.empty()) {
    STRATA_RETURN_IF_ERROR(check_readable("--tls-client-ca", options.client_ca_path));
  }
  if (SSL_CTX_use_certificate_chain_file(context, options.certificate_path.c_str()) != 1) {
    return refuse("--tls-cert " + options.certificate_path + ": not a PEM certificate");
  }
  const std::string mismatch =
      "--tls-key " + options.key_path + " does not match --tls-cert " + options.certificate_path;
  if (SSL_CTX_use_PrivateKey_file(context, options.key_path.c_str(), SSL_FILETYPE_PEM) != 1) {
    const bool other_key = ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH;
    return refuse(other_key ? mismatch : "--tls-key " + options.key_path + ": not a PEM private key");
  }
  if (SSL_CTX_check_private_key(context) != 1) return refuse(mismatch);
  if (options.client_ca_path.empty()) return Status::ok();
  if (SSL_CTX_load_verify_locations(context, options.client_ca_path.c_str(), nullptr) != 1) {
    return refuse("--tls-client-ca " + options.client_ca_path + ": not a PEM CA certificate");
  }
  STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(options.client_ca_path.c_str());
  if (names != nullptr) SSL_CTX_set_client_CA_list(context, names);  // the CAs named in the request
  SSL_CTX_set_verify(context, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  return Status::ok();
}

Result<std::shared_ptr<SSL_CTX>> make_context(const TlsOptions& options) {
  std::shared_ptr<SSL_CTX> context(SSL_CTX_new(TLS_server_method()), SSL_CTX_free);
  if (!context) return refuse("SSL_CTX_new");
  SSL_CTX* raw = context.get();
  SSL_CTX_set_min_proto_version(raw, TLS1_2_VERSION);
  SSL_CTX_set_options(raw, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE |
                               SSL_OP_NO_TICKET);
  if (SSL_CTX_set_cipher_list(raw, kTls12Ciphers) != 1) return refuse("cipher list");
  // A reactor writes from its own buffers, which may move between a short write and its retry.
  SSL_CTX_set_mode(raw, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_ENABLE_PARTIAL_WRITE);
  STRATA_RETURN_IF_ERROR(load_files(raw, options));
  return context;
}

}  // namespace

Result<std::shared_ptr<TlsServerContext>> TlsServerContext::create(TlsOptions options) {
  std::shared_ptr<TlsServerContext> out(new TlsServerContext(std::move(options)));
  STRATA_RETURN_IF_ERROR(out->reload());
  return out;
}

Status TlsServerContext::reload() {
  auto context = make_context(options_);
  if (!context) return context.status();
  std::lock_guard lock(mutex_);
  context_ = std::move(context.value());
  return Status::ok();
}

std::shared_ptr<SSL_CTX> TlsServerContext::current() const {
  std::lock_guard lock(mutex_);
  return context_;
}

TlsSession::TlsSession(const TlsServerContext& context) : context_(context.current()) {
  ssl_ = SSL_new(context_.get());
  STRATA_ASSERT(ssl_ != nullptr, "SSL_new failed: %s", openssl_errors().c_str());
  input_ = BIO_new(BIO_s_mem());
  output_ = BIO_new(BIO_s_mem());
  STRATA_ASSERT(input_ != nullptr && output_ != nullptr, "BIO_new failed");
  BIO_set_mem_eof_return(input_, -1);  // an empty input means "more to come", not end of file
  SSL_set_bio(ssl_, input_, output_);  // ssl_ owns both now
  SSL_set_accept_state(ssl_);
}

TlsSession::~TlsSession() {
  SSL_free(ssl_);
}

bool TlsSession::feed_ciphertext(std::span<const std::byte> bytes) {
  if (BIO_ctrl_pending(input_) + bytes.size() > kInputBytesMax) return false;
  if (bytes.empty()) return true;
  const int written = BIO_write(input_, bytes.data(), static_cast<int>(bytes.size()));
  STRATA_ASSERT(written == static_cast<int>(bytes.size()), "memory BIO write of %zu bytes: %d", bytes.size(), written);
  return true;
}

TlsState TlsSession::state_after(int result) {
  if (result > 0) return TlsState::kOk;
  switch (SSL_get_error(ssl_, result)) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:  // a memory BIO never refuses a write; treat it as "call again"
      return TlsState::kWantMore;
    case SSL_ERROR_ZERO_RETURN:
      return TlsState::kClosed;
    default:
      error_ = openssl_errors();
      return TlsState::kFailed;
  }
}

TlsState TlsSession::handshake() {
  if (!error_.empty()) return TlsState::kFailed;
  if (SSL_is_init_finished(ssl_)) return TlsState::kOk;
  ERR_clear_error();
  return state_after(SSL_do_handshake(ssl_));
}

bool TlsSession::handshake_complete() const {
  return SSL_is_init_finished(ssl_) == 1;
}

TlsState TlsSession::read_plaintext(std::span<std::byte> out, std::size_t* bytes) {
  *bytes = 0;
  if (!error_.empty()) return TlsState::kFailed;
  ERR_clear_error();
  const int size = static_cast<int>(std::min<std::size_t>(out.size(), INT_MAX));
  const int result = SSL_read(ssl_, out.data(), size);
  if (result > 0) *bytes = static_cast<std::size_t>(result);
  return state_after(result);
}

TlsState TlsSession::write_plaintext(std::span<const std::byte> bytes) {
  STRATA_ASSERT(handshake_complete(), "TLS write before the handshake completed");
  if (!error_.empty()) return TlsState::kFailed;
  while (!bytes.empty()) {
    ERR_clear_error();
    const int size = static_cast<int>(std::min<std::size_t>(bytes.size(), INT_MAX));
    const int result = SSL_write(ssl_, bytes.data(), size);
    if (result <= 0) return state_after(result);
    bytes = bytes.subspan(static_cast<std::size_t>(result));
  }
  return TlsState::kOk;
}

void TlsSession::close() {
  if (handshake_complete() && error_.empty()) (void)SSL_shutdown(ssl_);
}

bool TlsSession::has_buffered_input() const {
  return BIO_ctrl_pending(input_) > 0 || SSL_pending(ssl_) > 0;
}

std::size_t TlsSession::pending_ciphertext() const {
  return BIO_ctrl_pending(output_);
}

std::size_t TlsSession::take_ciphertext(std::span<std::byte> out) {
  const int size = static_cast<int>(std::min<std::size_t>(out.size(), INT_MAX));
  const int read = BIO_read(output_, out.data(), size);
  return read > 0 ? static_cast<std::size_t>(read) : 0;
}

std::optional<std::string> TlsSession::peer_principal() const {
  X509* certificate = SSL_get0_peer_certificate(ssl_);
  if (certificate == nullptr || SSL_get_verify_result(ssl_) != X509_V_OK) return std::nullopt;
  BIO* text = BIO_new(BIO_s_mem());
  X509_NAME_print_ex(text, X509_get_subject_name(certificate), 0, XN_FLAG_RFC2253);
  char* data = nullptr;
  const long size = BIO_get_mem_data(text, &data);
  std::string subject(data, static_cast<std::size_t>(size));
  BIO_free(text);
  return "User:" + subject;
}

std::string TlsSession::protocol_version() const {
  return SSL_get_version(ssl_);
}

std::string TlsSession::cipher() const {
  return SSL_get_cipher_name(ssl_);
}

}  // namespace strata::security
