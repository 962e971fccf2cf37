// The SASL conversation of one connection: mechanisms offered, SCRAM and PLAIN logins against stored users,
// Kafka's error codes for every wrong order, and the delay after failed logins.
#include "security/sasl_server.h"

#include <gtest/gtest.h>

#include "security/security_store.h"
#include "tests/engine/test_dir.h"
#include "tests/security/scram_client.h"

namespace strata::security {
namespace {

using namespace std::chrono_literals;

class SaslServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(put_user(dir_.path(), "alice", make_scram_credential(ScramMechanism::kSha512, "wonderland", 4096).value())
                    .is_ok());
    auto store = CredentialStore::open(dir_.path(), 0ms);
    ASSERT_TRUE(store.is_ok());
    store_ = std::move(store.value());
  }
  SaslServer server(bool tls = false, std::vector<std::string> mechanisms = {"SCRAM-SHA-256", "SCRAM-SHA-512", "PLAIN"}) {
    SaslOptions options;
    options.mechanisms = std::move(mechanisms);
    options.transport_is_tls = tls;
    return SaslServer(options, store_.get(), &throttle_, "10.0.0.9");
  }
  static std::string plain(std::string_view user, std::string_view password) {
    return std::string("\0", 1) + std::string(user) + std::string("\0", 1) + std::string(password);
  }

  testing::TestDir dir_;
  std::unique_ptr<CredentialStore> store_;
  LoginThrottle throttle_;
};

TEST_F(SaslServerTest, ScramSha512LoginAgainstTheStoredUser) {
  SaslServer sasl = server();
  const auto handshake = sasl.handshake("SCRAM-SHA-512");
  EXPECT_EQ(handshake.error_code, kErrorNone);
  ScramClient client{ScramMechanism::kSha512, "wonderland", "clientnonce123", "n=alice,r=clientnonce123"};
  const auto first = sasl.authenticate("n,,n=alice,r=clientnonce123");
  ASSERT_EQ(first.error_code, kErrorNone) << first.error_message;
  EXPECT_FALSE(sasl.authenticated());
  const auto final_reply = sasl.authenticate(client.final_for(first.auth_bytes));
  ASSERT_EQ(final_reply.error_code, kErrorNone) << final_reply.error_message;
  EXPECT_TRUE(final_reply.auth_bytes.starts_with("v="));
  EXPECT_TRUE(sasl.authenticated());
  EXPECT_EQ(sasl.principal(), "User:alice");
  EXPECT_EQ(sasl.authenticate("again").error_code, kErrorIllegalSaslState);
}

TEST_F(SaslServerTest, WrongScramPasswordFailsClosesAndIsDelayed) {
  SaslServer sasl = server();
  ASSERT_EQ(sasl.handshake("SCRAM-SHA-512").error_code, kErrorNone);
  ScramClient client{ScramMechanism::kSha512, "guess", "clientnonce123", "n=alice,r=clientnonce123"};
  const auto first = sasl.authenticate("n,,n=alice,r=clientnonce123");
  const auto final_reply = sasl.authenticate(client.final_for(first.auth_bytes));
  EXPECT_EQ(final_reply.error_code, kErrorSaslAuthenticationFailed);
  EXPECT_TRUE(final_reply.close_connection);
  EXPECT_EQ(final_reply.delay, 100ms);
  EXPECT_EQ(final_reply.error_message.find("guess"), std::string::npos);
  EXPECT_FALSE(sasl.authenticated());
}

TEST_F(SaslServerTest, PlainOnlyOverTlsUnlessAllowed) {
  SaslServer plaintext = server(false);
  const auto refused = plaintext.handshake("PLAIN");
  EXPECT_EQ(refused.error_code, kErrorUnsupportedSaslMechanism);
  EXPECT_TRUE(refused.close_connection);
  EXPECT_EQ(refused.mechanisms, (std::vector<std::string>{"SCRAM-SHA-256", "SCRAM-SHA-512"}));
  SaslServer tls = server(true);
  ASSERT_EQ(tls.handshake("PLAIN").error_code, kErrorNone);
  const auto reply = tls.authenticate(plain("alice", "wonderland"));
  EXPECT_EQ(reply.error_code, kErrorNone) << reply.error_message;
  EXPECT_EQ(tls.principal(), "User:alice");
  SaslOptions allowed;
  allowed.mechanisms = {"PLAIN"};
  allowed.allow_plain_over_plaintext = true;
  SaslServer over_plaintext(allowed, store_.get(), nullptr, "10.0.0.9");
  EXPECT_EQ(over_plaintext.handshake("PLAIN").error_code, kErrorNone);
}

TEST_F(SaslServerTest, PlainRefusesWrongPasswordsUnknownUsersAndMalformedMessages) {
  for (const std::string& bad : {plain("alice", "wonderlan"), plain("mallory", "wonderland"), std::string("alice"),
                                 plain("", "wonderland"), plain("alice", ""), "bob" + plain("alice", "wonderland"),
                                 plain("alice", "wonderland") + std::string("\0", 1), std::string(9000, 'x')}) {
    SaslServer sasl = server(true);
    ASSERT_EQ(sasl.handshake("PLAIN").error_code, kErrorNone);
    const auto reply = sasl.authenticate(bad);
    EXPECT_EQ(reply.error_code, kErrorSaslAuthenticationFailed);
    EXPECT_TRUE(reply.close_connection);
    EXPECT_EQ(reply.error_message.find("wonderland"), std::string::npos) << "a password reached a message";
    EXPECT_FALSE(sasl.authenticated());
  }
}

TEST_F(SaslServerTest, OutOfOrderAndUnknownMechanismsGetKafkasErrors) {
  SaslServer no_handshake = server();
  EXPECT_EQ(no_handshake.authenticate("n,,n=alice,r=abc").error_code, kErrorIllegalSaslState);
  SaslServer twice = server();
  ASSERT_EQ(twice.handshake("SCRAM-SHA-256").error_code, kErrorNone);
  EXPECT_EQ(twice.handshake("SCRAM-SHA-256").error_code, kErrorIllegalSaslState);
  SaslServer unknown = server();
  EXPECT_EQ(unknown.handshake("GSSAPI").error_code, kErrorUnsupportedSaslMechanism);
  EXPECT_EQ(unknown.authenticate("x").error_code, kErrorIllegalSaslState);
  SaslServer only_512 = server(true, {"SCRAM-SHA-512"});
  EXPECT_EQ(only_512.handshake("SCRAM-SHA-256").error_code, kErrorUnsupportedSaslMechanism);
}

TEST_F(SaslServerTest, MechanismListsParseStrictly) {
  EXPECT_EQ(parse_sasl_mechanisms("SCRAM-SHA-512,PLAIN").value(), (std::vector<std::string>{"SCRAM-SHA-512", "PLAIN"}));
  EXPECT_FALSE(parse_sasl_mechanisms("").is_ok());
  EXPECT_FALSE(parse_sasl_mechanisms("SCRAM-SHA-1").is_ok());
  EXPECT_FALSE(parse_sasl_mechanisms("PLAIN,PLAIN").is_ok());
  EXPECT_FALSE(parse_sasl_mechanisms("PLAIN,").is_ok());
}

TEST(LoginThrottle, DoublesPerFailureUpToTheMaximumAndForgets) {
  auto now = std::chrono::steady_clock::time_point{} + 1h;
  LoginThrottle throttle({100ms, 1000ms, 60s, 2}, [&] { return now; });
  EXPECT_EQ(throttle.record_failure("a"), 100ms);
  EXPECT_EQ(throttle.record_failure("a"), 200ms);
  EXPECT_EQ(throttle.record_failure("a"), 400ms);
  EXPECT_EQ(throttle.record_failure("a"), 800ms);
  EXPECT_EQ(throttle.record_failure("a"), 1000ms);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(throttle.record_failure("a"), 1000ms);
  EXPECT_EQ(throttle.record_failure("b"), 100ms);  // per address
  throttle.record_success("b");
  EXPECT_EQ(throttle.record_failure("b"), 100ms);
  now += 61s;
  EXPECT_EQ(throttle.record_failure("a"), 100ms);  // forgotten after a quiet minute
}

TEST(LoginThrottle, TracksABoundedNumberOfAddresses) {
  auto now = std::chrono::steady_clock::time_point{} + 1h;
  LoginThrottle throttle({100ms, 1000ms, 60s, 3}, [&] { return now; });
  for (int i = 0; i < 1000; ++i) {
    now += 1ms;
    (void)throttle.record_failure("10.0.0." + std::to_string(i));
  }
  EXPECT_EQ(throttle.tracked_addresses(), 3u);
}

}  // namespace
}  // namespace strata::security
