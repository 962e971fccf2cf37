// Checking a Server's security options and opening its ServerSecurity (see server_security_setup.h).
#include "kafka/server_security_setup.h"

#include <algorithm>
#include <cctype>

namespace strata::kafka {

namespace {

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& name : names) out += (out.empty() ? "" : ",") + name;
  return out;
}

bool wants_plain(const SecurityOptions& security) {
  return std::find(security.sasl_mechanisms.begin(), security.sasl_mechanisms.end(),
                   security::kPlainMechanism) != security.sasl_mechanisms.end();
}

}  // namespace

security::ListenerProtocol to_security_protocol(ListenerProtocol protocol) {
  switch (protocol) {
    case ListenerProtocol::kPlaintext: return security::ListenerProtocol::kPlaintext;
    case ListenerProtocol::kSsl: return security::ListenerProtocol::kSsl;
    case ListenerProtocol::kSaslPlaintext: return security::ListenerProtocol::kSaslPlaintext;
    case ListenerProtocol::kSaslSsl: return security::ListenerProtocol::kSaslSsl;
  }
  return security::ListenerProtocol::kPlaintext;
}

ListenerProtocol from_security_protocol(security::ListenerProtocol protocol) {
  switch (protocol) {
    case security::ListenerProtocol::kPlaintext: return ListenerProtocol::kPlaintext;
    case security::ListenerProtocol::kSsl: return ListenerProtocol::kSsl;
    case security::ListenerProtocol::kSaslPlaintext: return ListenerProtocol::kSaslPlaintext;
    case security::ListenerProtocol::kSaslSsl: return ListenerProtocol::kSaslSsl;
  }
  return ListenerProtocol::kPlaintext;
}

std::string listener_text(const ListenerOptions& listener) {
  std::string name(security::listener_protocol_name(to_security_protocol(listener.protocol)));
  std::transform(name.begin(), name.end(), name.begin(), [](char c) { return static_cast<char>(std::tolower(c)); });
  const bool v6 = listener.host.find(':') != std::string::npos;
  return name + "://" + (v6 ? "[" + listener.host + "]" : listener.host) + ":" + std::to_string(listener.port);
}

Status check_security_options(const std::vector<ListenerOptions>& listeners, const SecurityOptions& security) {
  if (security.tls_certificate.empty() != security.tls_key.empty()) {
    return invalid_argument(security.tls_key.empty() ? "--tls-cert needs --tls-key (the certificate's private key)"
                                                     : "--tls-key needs --tls-cert");
  }
  if (!security.tls_client_ca.empty() && security.tls_certificate.empty()) {
    return invalid_argument("--tls-client-ca needs --tls-cert and --tls-key");
  }
  STRATA_RETURN_IF_ERROR(security::parse_sasl_mechanisms(joined(security.sasl_mechanisms)).status());
  for (const ListenerOptions& listener : listeners) {
    const security::ListenerProtocol protocol = to_security_protocol(listener.protocol);
    if (security::uses_tls(protocol) && security.tls_certificate.empty()) {
      return invalid_argument("--listen " + listener_text(listener) + ": a TLS listener needs --tls-cert and --tls-key");
    }
    if (protocol == security::ListenerProtocol::kSaslPlaintext && wants_plain(security) &&
        !security.allow_plain_over_plaintext) {
      return invalid_argument("--listen " + listener_text(listener) +
                              ": PLAIN would send passwords unencrypted; use a sasl_ssl listener, drop PLAIN from "
                              "--sasl-mechanisms, or pass --allow-plain-over-plaintext");
    }
  }
  return Status::ok();
}

Result<std::unique_ptr<security::ServerSecurity>> open_server_security(const std::string& directory,
                                                                        const std::vector<ListenerOptions>& listeners,
                                                                        const SecurityOptions& options) {
  STRATA_RETURN_IF_ERROR(check_security_options(listeners, options));
  security::ServerSecurityOptions out;
  out.directory = directory;
  for (const ListenerOptions& listener : listeners) out.listeners.push_back(to_security_protocol(listener.protocol));
  const bool secured = std::any_of(out.listeners.begin(), out.listeners.end(),
                                   [](auto protocol) { return protocol != security::ListenerProtocol::kPlaintext; });
  if (!secured && !options.authorize) return std::unique_ptr<security::ServerSecurity>();
  if (!options.tls_certificate.empty()) {
    out.tls = security::TlsOptions{options.tls_certificate, options.tls_key, options.tls_client_ca};
  }
  out.sasl_mechanisms = options.sasl_mechanisms;
  out.allow_plain_over_plaintext = options.allow_plain_over_plaintext;
  out.authorize = options.authorize;
  out.super_users = options.super_users;
  return security::ServerSecurity::open(std::move(out));
}

}  // namespace strata::kafka
