// TLS for a non-blocking network layer, over OpenSSL 3 memory BIOs: the network layer moves ciphertext
// between the socket and a TlsSession, and reads and writes plaintext through it; the session never touches
// a socket and never blocks, so a reactor can own thousands.
//
//   TlsServerContext: the certificate, key and optional client CA (--tls-cert, --tls-key, --tls-client-ca).
//     TLS 1.2 and 1.3 only; on TLS 1.2 only ECDHE key exchange with AEAD ciphers (AES-GCM, ChaCha20-Poly1305);
//     no compression, no renegotiation, server's cipher order. With a client CA, a client must present a
//     certificate it signed (mutual TLS), and the certificate's subject becomes the principal. reload()
//     (SIGHUP) re-reads the files for new sessions; sessions already running keep the old ones.
//   TlsSession: one connection's TLS state, server side.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>

#include "strata/status.h"

using SSL_CTX = struct ssl_ctx_st;
using SSL = struct ssl_st;
using BIO = struct bio_st;

namespace strata::security {

struct TlsOptions {
  std::string certificate_path;  // PEM: the certificate (and any chain after it)
  std::string key_path;          // PEM: its private key
  std::string client_ca_path;    // PEM: CAs whose client certificates are accepted; empty: no client certificates
};

class TlsServerContext {
 public:
  // kInvalidArgument naming the file when a certificate, key or CA cannot be loaded, or the key does not
  // match the certificate.
  static Result<std::shared_ptr<TlsServerContext>> create(TlsOptions options);

  // Loads the files again; new sessions use them. On failure the previous ones stay in force.
  Status reload();
  bool requires_client_certificate() const { return !options_.client_ca_path.empty(); }

  // The context new sessions are made from (shared with them, so a reload never frees one in use).
  std::shared_ptr<SSL_CTX> current() const;

 private:
  explicit TlsServerContext(TlsOptions options) : options_(std::move(options)) {}
  const TlsOptions options_;
  mutable std::mutex mutex_;
  std::shared_ptr<SSL_CTX> context_;
};

// The result of driving a session.
enum class TlsState {
  kOk,        // progress made (or nothing to do)
  kWantMore,  // needs more ciphertext from the peer
  kClosed,    // the peer closed TLS cleanly (close_notify)
  kFailed,    // a protocol error (garbage, a refused version or cipher, a bad certificate); see error()
};

class TlsSession {
 public:
  explicit TlsSession(const TlsServerContext& context);
  ~TlsSession();
  TlsSession(const TlsSession&) = delete;
  TlsSession& operator=(const TlsSession&) = delete;

  // Hands over ciphertext read from the socket. Returns false (taking nothing) when more than
  // kInputBytesMax would wait unprocessed: read plaintext first.
  static constexpr std::size_t kInputBytesMax = 1 << 20;
  bool feed_ciphertext(std::span<const std::byte> bytes);

  // Progresses the handshake: kOk once it is complete.
  TlsState handshake();
  bool handshake_complete() const;

  // Decrypts into `out`; *bytes is how many (0 with kWantMore when a whole record has not arrived).
  // Drives the handshake first when needed.
  TlsState read_plaintext(std::span<std::byte> out, std::size_t* bytes);
  // Encrypts all of `bytes` (the ciphertext waits in pending_ciphertext()). REQUIRES: handshake_complete().
  TlsState write_plaintext(std::span<const std::byte> bytes);
  // Starts a clean close (close_notify into the pending ciphertext).
  void close();

  // Ciphertext fed but not yet decrypted, or plaintext decrypted but not yet read: read_plaintext() has
  // more to give without another feed.
  bool has_buffered_input() const;

  // Ciphertext for the socket: how much is waiting, and taking up to out.size() of it.
  std::size_t pending_ciphertext() const;
  std::size_t take_ciphertext(std::span<std::byte> out);

  // Why the session failed (OpenSSL's reason), empty when it has not.
  const std::string& error() const { return error_; }
  // "User:<subject in RFC 2253 form>" of a verified client certificate; nullopt without one.
  std::optional<std::string> peer_principal() const;
  std::string protocol_version() const;  // "TLSv1.3"
  std::string cipher() const;

 private:
  TlsState state_after(int result);
  std::shared_ptr<SSL_CTX> context_;  // kept alive for the session's lifetime, across reloads
  SSL* ssl_ = nullptr;
  BIO* input_ = nullptr;   // ciphertext from the peer (owned by ssl_)
  BIO* output_ = nullptr;  // ciphertext for the peer (owned by ssl_)
  std::string error_;
};

}  // namespace strata::security
