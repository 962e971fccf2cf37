// The Server's security from its options: the checks that refuse a configuration that cannot work (each
// with a message naming the listener or option), and the security::ServerSecurity object its connections
// share (nullptr when every listener is plaintext and nothing is authorized: nothing to plug in).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "kafka/server.h"
#include "security/server_security.h"

namespace strata::kafka {

security::ListenerProtocol to_security_protocol(ListenerProtocol protocol);
ListenerProtocol from_security_protocol(security::ListenerProtocol protocol);
// "sasl_ssl://127.0.0.1:9093", as the listener was asked for.
std::string listener_text(const ListenerOptions& listener);

// kInvalidArgument: a TLS listener without --tls-cert/--tls-key, one without the other, a client CA without a
// certificate, an unknown or repeated SASL mechanism, PLAIN on a sasl_plaintext listener without
// allow_plain_over_plaintext.
Status check_security_options(const std::vector<ListenerOptions>& listeners, const SecurityOptions& security);

// Loads the certificate, users and ACLs of `directory` (after check_security_options).
Result<std::unique_ptr<security::ServerSecurity>> open_server_security(const std::string& directory,
                                                                        const std::vector<ListenerOptions>& listeners,
                                                                        const SecurityOptions& options);

}  // namespace strata::kafka
