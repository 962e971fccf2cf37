#include "security/server_security.h"

#include <algorithm>
#include <cctype>

namespace strata::security {

namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

constexpr ListenerProtocol kProtocols[] = {ListenerProtocol::kPlaintext, ListenerProtocol::kSsl,
                                           ListenerProtocol::kSaslPlaintext, ListenerProtocol::kSaslSsl};

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& name : names) out += (out.empty() ? "" : ",") + name;
  return out;
}

}  // namespace

std::string_view listener_protocol_name(ListenerProtocol protocol) {
  switch (protocol) {
    case ListenerProtocol::kPlaintext: return "PLAINTEXT";
    case ListenerProtocol::kSsl: return "SSL";
    case ListenerProtocol::kSaslPlaintext: return "SASL_PLAINTEXT";
    case ListenerProtocol::kSaslSsl: return "SASL_SSL";
  }
  return "UNKNOWN";
}

Result<ListenerAddress> parse_listener_address(std::string_view text) {
  const std::size_t separator = text.find("://");
  if (separator == std::string_view::npos) return ListenerAddress{ListenerProtocol::kPlaintext, std::string(text)};
  const std::string name = lower(text.substr(0, separator));
  for (ListenerProtocol protocol : kProtocols) {
    if (lower(listener_protocol_name(protocol)) == name) {
      return ListenerAddress{protocol, std::string(text.substr(separator + 3))};
    }
  }
  return invalid_argument("--listen " + std::string(text) + ": unknown protocol " + std::string(text.substr(0, separator)) +
                          " (plaintext, ssl, sasl_plaintext or sasl_ssl)");
}

Result<std::unique_ptr<ServerSecurity>> ServerSecurity::open(ServerSecurityOptions options) {
  const bool any_tls = std::any_of(options.listeners.begin(), options.listeners.end(), uses_tls);
  if (any_tls && !options.tls) return invalid_argument("an ssl or sasl_ssl listener needs --tls-cert and --tls-key");
  STRATA_RETURN_IF_ERROR(parse_sasl_mechanisms(joined(options.sasl_mechanisms)).status());
  std::unique_ptr<ServerSecurity> security(new ServerSecurity(options));
  if (options.tls) {
    auto tls = TlsServerContext::create(*options.tls);
    if (!tls) return tls.status();
    security->tls_ = std::move(tls.value());
  }
  auto credentials = CredentialStore::open(options.directory);
  if (!credentials) return credentials.status();
  security->credentials_ = std::move(credentials.value());
  if (options.authorize) {
    auto authorizer = Authorizer::open(options.directory, options.super_users);
    if (!authorizer) return authorizer.status();
    security->authorizer_ = std::move(authorizer.value());
  }
  return security;
}

std::unique_ptr<TlsSession> ServerSecurity::new_tls_session(ListenerProtocol protocol) const {
  if (!uses_tls(protocol)) return nullptr;
  return std::make_unique<TlsSession>(*tls_);
}

std::unique_ptr<SaslServer> ServerSecurity::new_sasl_server(ListenerProtocol protocol, std::string peer_address) const {
  if (!uses_sasl(protocol)) return nullptr;
  SaslOptions sasl;
  sasl.mechanisms = options_.sasl_mechanisms;
  sasl.transport_is_tls = uses_tls(protocol);
  sasl.allow_plain_over_plaintext = options_.allow_plain_over_plaintext;
  return std::make_unique<SaslServer>(sasl, credentials_.get(), &throttle_, std::move(peer_address));
}

bool ServerSecurity::allowed(std::string_view principal, AclOperation operation, const Resource& resource,
                             std::string_view host) const {
  return authorizer_ == nullptr || authorizer_->allowed(principal, operation, resource, host);
}

Status ServerSecurity::reload_tls() {
  return tls_ ? tls_->reload() : Status::ok();
}

}  // namespace strata::security
