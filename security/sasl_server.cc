#include "security/sasl_server.h"

#include <algorithm>

namespace strata::security {

namespace {

// PLAIN (RFC 4616): [authzid] NUL authcid NUL passwd.
struct PlainMessage {
  std::string_view authzid;
  std::string_view user;
  std::string_view password;
};

std::optional<PlainMessage> parse_plain(std::string_view message) {
  const std::size_t first = message.find('\0');
  if (first == std::string_view::npos) return std::nullopt;
  const std::size_t second = message.find('\0', first + 1);
  if (second == std::string_view::npos || message.find('\0', second + 1) != std::string_view::npos) return std::nullopt;
  PlainMessage out{message.substr(0, first), message.substr(first + 1, second - first - 1), message.substr(second + 1)};
  if (out.user.empty() || out.password.empty()) return std::nullopt;
  if (!out.authzid.empty() && out.authzid != out.user) return std::nullopt;
  return out;
}

// Checked against when the user is unknown, so an unknown user costs what a known one does.
const ScramCredential& decoy_credential() {
  static const ScramCredential decoy =
      make_scram_credential(ScramMechanism::kSha256, random_bytes(16), kScramIterationsMin).value();
  return decoy;
}

}  // namespace

Result<std::vector<std::string>> parse_sasl_mechanisms(std::string_view list) {
  std::vector<std::string> out;
  for (bool more = !list.empty(); more;) {
    const std::size_t comma = list.find(',');
    const std::string name(list.substr(0, comma));
    more = comma != std::string_view::npos;
    if (more) list.remove_prefix(comma + 1);
    if (name.empty()) return invalid_argument("--sasl-mechanisms: an empty mechanism name");
    if (name != kPlainMechanism && !parse_scram_mechanism(name)) {
      return invalid_argument("--sasl-mechanisms: unknown mechanism " + name +
                              " (SCRAM-SHA-256, SCRAM-SHA-512 and PLAIN are supported)");
    }
    if (std::find(out.begin(), out.end(), name) != out.end()) {
      return invalid_argument("--sasl-mechanisms: " + name + " given twice");
    }
    out.push_back(name);
  }
  if (out.empty()) return invalid_argument("--sasl-mechanisms: no mechanism given");
  return out;
}

SaslServer::SaslServer(SaslOptions options, CredentialStore* credentials, LoginThrottle* throttle,
                       std::string peer_address)
    : options_(std::move(options)),
      credentials_(credentials),
      throttle_(throttle),
      peer_address_(std::move(peer_address)) {}

std::vector<std::string> SaslServer::offered_mechanisms() const {
  std::vector<std::string> out;
  for (const std::string& name : options_.mechanisms) {
    if (name == kPlainMechanism && !options_.transport_is_tls && !options_.allow_plain_over_plaintext) continue;
    out.push_back(name);
  }
  return out;
}

SaslServer::HandshakeReply SaslServer::handshake(std::string_view mechanism, std::int16_t version) {
  HandshakeReply reply;
  reply.mechanisms = offered_mechanisms();
  if (state_ != State::kWaitingForHandshake) {
    state_ = State::kFailed;
    return {kErrorIllegalSaslState, reply.mechanisms, true};
  }
  if (std::find(reply.mechanisms.begin(), reply.mechanisms.end(), mechanism) == reply.mechanisms.end()) {
    state_ = State::kFailed;
    return {kErrorUnsupportedSaslMechanism, reply.mechanisms, true};
  }
  mechanism_ = std::string(mechanism);
  handshake_version_ = version;
  if (auto scram = parse_scram_mechanism(mechanism)) {
    scram_ = std::make_unique<ScramServer>(*scram, credentials_->lookup());
  }
  state_ = State::kWaitingForToken;
  return reply;
}

SaslServer::AuthenticateReply SaslServer::authenticate(std::string_view auth_bytes) {
  if (state_ != State::kWaitingForToken) {
    state_ = State::kFailed;
    return refuse(kErrorIllegalSaslState, "SaslAuthenticate without a SaslHandshake, or after authentication ended");
  }
  if (auth_bytes.size() > kSaslTokenBytesMax) {
    return fail_login("SASL token of " + std::to_string(auth_bytes.size()) + " bytes is over the limit of 8192");
  }
  return scram_ ? authenticate_scram(auth_bytes) : authenticate_plain(auth_bytes);
}

SaslServer::AuthenticateReply SaslServer::authenticate_plain(std::string_view message) {
  const auto plain = parse_plain(message);
  if (!plain) return fail_login("malformed PLAIN message");  // never echo it: it may hold a password
  const auto credential = credentials_->find_any(plain->user);
  const bool matches = scram_password_matches(credential ? *credential : decoy_credential(), plain->password);
  if (!credential || !matches) {
    return fail_login("Authentication failed: invalid credentials with SASL mechanism PLAIN");
  }
  return succeed(std::string(plain->user), {});
}

SaslServer::AuthenticateReply SaslServer::authenticate_scram(std::string_view message) {
  const bool first = scram_->user().empty();
  auto reply = first ? scram_->receive_client_first(message) : scram_->receive_client_final(message);
  if (!reply) return fail_login(reply.status().message());
  if (!scram_->authenticated()) return AuthenticateReply{kErrorNone, {}, std::move(*reply), false, {}};
  return succeed(scram_->user(), std::move(*reply));
}

SaslServer::AuthenticateReply SaslServer::succeed(std::string user, std::string auth_bytes) {
  if (throttle_ != nullptr) throttle_->record_success(peer_address_);
  principal_ = "User:" + user;
  state_ = State::kAuthenticated;
  return AuthenticateReply{kErrorNone, {}, std::move(auth_bytes), false, {}};
}

SaslServer::AuthenticateReply SaslServer::fail_login(std::string message) {
  AuthenticateReply reply = refuse(kErrorSaslAuthenticationFailed, std::move(message));
  if (throttle_ != nullptr) reply.delay = throttle_->record_failure(peer_address_);
  return reply;
}

SaslServer::AuthenticateReply SaslServer::refuse(std::int16_t error_code, std::string message) {
  state_ = State::kFailed;
  return AuthenticateReply{error_code, std::move(message), {}, true, {}};
}

}  // namespace strata::security
