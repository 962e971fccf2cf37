// kafka::Server's security options (the C++ side of serve's listener and security flags): configurations
// that cannot work are refused, each listener answers with its own advertised address, and a SASL listener
// answers nothing but ApiVersions and the SASL APIs before a SCRAM login (the exchange computed by the RFC
// 5802 client of the security tests). TLS and ACLs against real clients: tests/kafka/python_security_test.py.
#include <gtest/gtest.h>

#include <string>

#include "kafka/server.h"
#include "security/scram_credential.h"
#include "security/security_store.h"
#include "tests/engine/test_dir.h"
#include "tests/kafka/request_builder.h"
#include "tests/kafka/security_requests.h"
#include "tests/kafka/server_fixture.h"
#include "tests/security/scram_client.h"

namespace strata::kafka {
namespace {

using testing::Client;

ListenerOptions listener(ListenerProtocol protocol, std::string advertised_host = "") {
  ListenerOptions out;
  out.port = 0;
  out.protocol = protocol;
  out.advertised_host = std::move(advertised_host);
  return out;
}

bool contains(const std::vector<std::byte>& bytes, std::string_view text) {
  return std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()).find(text) != std::string_view::npos;
}

class KafkaServerSecurity : public ::testing::Test {
 protected:
  Result<std::unique_ptr<Server>> start(ServerOptions options) {
    if (!log_) log_ = std::move(Log::open({.directory = dir_.path()}).value());
    return Server::start(*log_, std::move(options));
  }
  strata::testing::TestDir dir_;
  std::unique_ptr<Log> log_;
};

TEST_F(KafkaServerSecurity, ConfigurationsThatCannotWorkAreRefusedWithTheirReason) {
  ServerOptions tls;
  tls.listeners = {listener(ListenerProtocol::kSsl)};
  auto refused = start(tls);
  ASSERT_FALSE(refused.is_ok());
  EXPECT_NE(refused.status().message().find("needs --tls-cert and --tls-key"), std::string::npos);

  ServerOptions plain;
  plain.listeners = {listener(ListenerProtocol::kSaslPlaintext)};
  plain.security.sasl_mechanisms = {"PLAIN"};
  refused = start(plain);
  ASSERT_FALSE(refused.is_ok());
  EXPECT_NE(refused.status().message().find("--allow-plain-over-plaintext"), std::string::npos);
  plain.security.allow_plain_over_plaintext = true;
  EXPECT_TRUE(start(plain).is_ok());

  ServerOptions missing = tls;
  missing.security.tls_certificate = dir_.path() + "/none.pem";
  missing.security.tls_key = dir_.path() + "/none.pem";
  refused = start(missing);
  ASSERT_FALSE(refused.is_ok());
  EXPECT_NE(refused.status().message().find("none.pem"), std::string::npos);
}

TEST_F(KafkaServerSecurity, SaslListenerAnswersOnlyTheLoginBeforeIt) {
  ASSERT_TRUE(security::put_user(dir_.path(), "user",
                                 security::make_scram_credential(security::ScramMechanism::kSha256, "pencil", 4096)
                                     .value())
                  .is_ok());
  ServerOptions options;
  options.listeners = {listener(ListenerProtocol::kPlaintext), listener(ListenerProtocol::kSaslPlaintext, "sasl.example")};
  auto server = start(options);
  ASSERT_TRUE(server.is_ok()) << server.status().to_string();
  ASSERT_EQ(server.value()->ports().size(), 2u);
  const std::uint16_t plain_port = server.value()->ports()[0];
  const std::uint16_t sasl_port = server.value()->ports()[1];
  ASSERT_NE(plain_port, sasl_port);

  Client plain(plain_port);
  plain.send_frame(testing::metadata_request(1, {}));
  auto metadata = plain.receive();
  ASSERT_TRUE(metadata);
  EXPECT_TRUE(contains(*metadata, "127.0.0.1"));

  Client early(sasl_port);
  early.send_frame(testing::metadata_request(1, {}));
  EXPECT_TRUE(early.closed_by_server());

  Client client(sasl_port);
  client.send_frame(testing::sasl_handshake_request(1, "SCRAM-SHA-256"));
  auto handshake = client.receive();
  ASSERT_TRUE(handshake);
  EXPECT_EQ((*handshake)[4], std::byte{0});  // error_code 0 (after the correlation id)
  EXPECT_EQ((*handshake)[5], std::byte{0});
  client.send_frame(testing::sasl_authenticate_request(1, "n,,n=user,r=clientnonce123"));
  auto first = client.receive();
  ASSERT_TRUE(first);
  // correlation id, error_code, null error_message, auth_bytes (int32 length), session_lifetime_ms.
  WireReader in(*first);
  in.int32();
  ASSERT_EQ(in.int16(), 0);
  in.nullable_string();
  const std::string server_first(as_text(in.bytes()));
  security::ScramClient scram{security::ScramMechanism::kSha256, "pencil"};
  client.send_frame(testing::sasl_authenticate_request(1, scram.final_for(server_first)));
  auto last = client.receive();
  ASSERT_TRUE(last);
  WireReader final_in(*last);
  final_in.int32();
  EXPECT_EQ(final_in.int16(), 0);
  client.send_frame(testing::metadata_request(1, {}));
  metadata = client.receive();
  ASSERT_TRUE(metadata);
  EXPECT_TRUE(contains(*metadata, "sasl.example"));  // this listener's advertised host

  Client wrong(sasl_port);
  wrong.send_frame(testing::sasl_handshake_request(1, "SCRAM-SHA-256"));
  ASSERT_TRUE(wrong.receive());
  wrong.send_frame(testing::sasl_authenticate_request(1, "n,,n=user,r=clientnonce123"));
  first = wrong.receive();
  ASSERT_TRUE(first);
  WireReader wrong_in(*first);
  wrong_in.int32();
  ASSERT_EQ(wrong_in.int16(), 0);
  wrong_in.nullable_string();
  security::ScramClient guess{security::ScramMechanism::kSha256, "guess"};
  wrong.send_frame(testing::sasl_authenticate_request(1, guess.final_for(as_text(wrong_in.bytes()))));
  auto refused = wrong.receive();
  ASSERT_TRUE(refused);
  WireReader refused_in(*refused);
  refused_in.int32();
  EXPECT_EQ(refused_in.int16(), 58);  // SASL_AUTHENTICATION_FAILED (after the throttle's delay)
  EXPECT_TRUE(wrong.closed_by_server());
}

}  // namespace
}  // namespace strata::kafka
