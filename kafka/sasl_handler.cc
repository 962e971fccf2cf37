// SaslHandshake and SaslAuthenticate: a connection's SASL login (security::SaslServer runs the conversation),
// and the rule that nothing else is answered before it. A failed login is answered SASL_AUTHENTICATION_FAILED
// after the LoginThrottle's delay (the response parks until then; no thread sleeps), then the connection
// closes.
#include <chrono>
#include <string>

#include "kafka/request_handler.h"

namespace strata::kafka {

namespace {

// Holds the response for `delay` (a failed login's throttle) and closes the connection after it.
void delay_and_close(std::chrono::milliseconds delay, std::string reason, PendingResponse& pending) {
  if (delay.count() > 0) {
    pending.ready = [] { return false; };
    pending.deadline = PendingResponse::Clock::now() + delay;
  }
  pending.close_connection = true;
  pending.close_reason = std::move(reason);
}

}  // namespace

bool RequestHandler::refused_before_login(const Request& request, const Session& session, PendingResponse& pending) {
  if (!session.sasl || session.sasl->authenticated()) return false;
  const auto key = static_cast<ApiKey>(request.header.api_key);
  if (key == ApiKey::kApiVersions || key == ApiKey::kSaslHandshake || key == ApiKey::kSaslAuthenticate) return false;
  pending.send = false;
  pending.close_connection = true;
  pending.close_reason = std::string(api_name(request.header.api_key)) + " before a SASL login";
  return true;
}

void RequestHandler::sasl_handshake(const SaslHandshakeRequest& request, std::int16_t version, Session& session,
                                    ResponseFrame& out) {
  SaslHandshakeResponse response;
  if (!session.sasl) {
    response.error = ErrorCode::kIllegalSaslState;  // Kafka's answer on a listener without SASL
    encode(response, version, out);
    return;
  }
  const auto reply = session.sasl->handshake(request.mechanism, version);
  response.error = static_cast<ErrorCode>(reply.error_code);
  response.mechanisms = reply.mechanisms;
  encode(response, version, out);
}

void RequestHandler::sasl_authenticate(const SaslAuthenticateRequest& request, std::int16_t version,
                                       Session& session, PendingResponse& pending) {
  SaslAuthenticateResponse response;
  if (!session.sasl) {
    response.error = ErrorCode::kIllegalSaslState;
    response.error_message = "SaslAuthenticate on a listener without SASL";
    encode(response, version, pending.frame);
    return;
  }
  auto reply = session.sasl->authenticate(as_text(request.auth_bytes));
  response.error = static_cast<ErrorCode>(reply.error_code);
  if (reply.error_code != security::kErrorNone) response.error_message = reply.error_message;
  response.auth_bytes = std::move(reply.auth_bytes);
  if (session.sasl->authenticated()) session.principal = session.sasl->principal();
  encode(response, version, pending.frame);
  if (reply.close_connection) delay_and_close(reply.delay, "SASL login refused: " + reply.error_message, pending);
}

PendingResponse RequestHandler::sasl_raw_token(std::span<const std::byte> frame, Session& session) {
  PendingResponse pending;
  pending.raw = true;
  auto reply = session.sasl->authenticate(as_text(frame));
  if (session.sasl->authenticated()) session.principal = session.sasl->principal();
  if (reply.close_connection) {
    pending.send = false;  // after a v0 handshake a failure is the connection closing, as in Kafka
    delay_and_close(reply.delay, "SASL login refused: " + reply.error_message, pending);
    return pending;
  }
  pending.frame.body.raw(as_bytes(reply.auth_bytes));
  return pending;
}

}  // namespace strata::kafka
