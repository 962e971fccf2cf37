// What `strata serve` and kafka::Server plug in to secure their listeners, in one object shared by every
// connection: the listener protocols ([PROTOCOL://]HOST:PORT as Kafka names them), the TLS context, the
// users (SASL), the login throttle and the Authorizer. The network layer asks it for a TlsSession and a
// SaslServer per connection (as the connection's listener protocol needs) and asks allowed() per request.
//
//   plaintext       no TLS, no SASL: the principal is User:ANONYMOUS
//   ssl             TLS; the principal is the client certificate's subject with --tls-client-ca, else ANONYMOUS
//   sasl_plaintext  SASL (SCRAM; PLAIN only with allow_plain_over_plaintext) before any other request
//   sasl_ssl        TLS, then SASL
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "security/authorizer.h"
#include "security/credential_store.h"
#include "security/login_throttle.h"
#include "security/sasl_server.h"
#include "security/tls.h"

namespace strata::security {

enum class ListenerProtocol : unsigned char { kPlaintext, kSsl, kSaslPlaintext, kSaslSsl };

std::string_view listener_protocol_name(ListenerProtocol protocol);  // "SASL_SSL", as Kafka writes it
inline bool uses_tls(ListenerProtocol protocol) {
  return protocol == ListenerProtocol::kSsl || protocol == ListenerProtocol::kSaslSsl;
}
inline bool uses_sasl(ListenerProtocol protocol) {
  return protocol == ListenerProtocol::kSaslPlaintext || protocol == ListenerProtocol::kSaslSsl;
}

struct ListenerAddress {
  ListenerProtocol protocol = ListenerProtocol::kPlaintext;
  std::string host_port;  // what follows the prefix, for the listener's own HOST:PORT parsing
};
// "[PROTOCOL://]HOST:PORT" (PROTOCOL case-insensitive, plaintext when omitted): kInvalidArgument naming an
// unknown protocol.
Result<ListenerAddress> parse_listener_address(std::string_view text);

inline constexpr std::string_view kAnonymousPrincipal = "User:ANONYMOUS";

struct ServerSecurityOptions {
  std::string directory;  // the log directory: users and ACLs live there
  std::vector<ListenerProtocol> listeners;
  std::optional<TlsOptions> tls;  // --tls-cert/--tls-key/--tls-client-ca
  std::vector<std::string> sasl_mechanisms = {"SCRAM-SHA-256", "SCRAM-SHA-512"};
  bool allow_plain_over_plaintext = false;
  bool authorize = false;  // --authorize: check every request against the ACLs
  std::vector<std::string> super_users;
  LoginThrottleOptions throttle;
};

class ServerSecurity {
 public:
  // kInvalidArgument when a TLS listener has no certificate, or the certificate, key, CA, users or ACL
  // file cannot be loaded (each named).
  static Result<std::unique_ptr<ServerSecurity>> open(ServerSecurityOptions options);

  // A new connection's TLS session (nullptr for a listener without TLS).
  std::unique_ptr<TlsSession> new_tls_session(ListenerProtocol protocol) const;
  // A new connection's SASL conversation (nullptr for a listener without SASL). `peer_address` keys the
  // login throttle.
  std::unique_ptr<SaslServer> new_sasl_server(ListenerProtocol protocol, std::string peer_address) const;

  // Whether `principal` may do `operation` on `resource`: always without --authorize.
  bool allowed(std::string_view principal, AclOperation operation, const Resource& resource,
               std::string_view host = "*") const;
  bool authorizing() const { return authorizer_ != nullptr; }

  // SIGHUP: the certificate and key again (users and ACLs follow their files by themselves).
  Status reload_tls();
  Authorizer* authorizer() const { return authorizer_.get(); }
  CredentialStore& credentials() const { return *credentials_; }

 private:
  explicit ServerSecurity(ServerSecurityOptions options)
      : options_(std::move(options)), throttle_(options_.throttle) {}
  const ServerSecurityOptions options_;
  std::shared_ptr<TlsServerContext> tls_;
  std::unique_ptr<CredentialStore> credentials_;
  std::unique_ptr<Authorizer> authorizer_;
  mutable LoginThrottle throttle_;
};

}  // namespace strata::security
