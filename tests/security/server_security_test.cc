// ServerSecurity: listener protocols, what each gives a connection, and --authorize.
#include "security/server_security.h"

#include <gtest/gtest.h>

#include "security/security_store.h"
#include "tests/engine/test_dir.h"
#include "tests/security/test_certificates.h"

namespace strata::security {
namespace {

TEST(ServerSecurity, ListenerAddressesAsKafkaNamesThem) {
  EXPECT_EQ(parse_listener_address("127.0.0.1:9092")->protocol, ListenerProtocol::kPlaintext);
  EXPECT_EQ(parse_listener_address("127.0.0.1:9092")->host_port, "127.0.0.1:9092");
  EXPECT_EQ(parse_listener_address("sasl_ssl://0.0.0.0:9093")->protocol, ListenerProtocol::kSaslSsl);
  EXPECT_EQ(parse_listener_address("SASL_SSL://0.0.0.0:9093")->host_port, "0.0.0.0:9093");
  EXPECT_EQ(parse_listener_address("ssl://h:1")->protocol, ListenerProtocol::kSsl);
  EXPECT_EQ(parse_listener_address("Sasl_Plaintext://h:1")->protocol, ListenerProtocol::kSaslPlaintext);
  auto bad = parse_listener_address("https://h:1");
  ASSERT_FALSE(bad.is_ok());
  EXPECT_NE(bad.status().message().find("unknown protocol https"), std::string::npos);
}

TEST(ServerSecurity, EachProtocolGetsWhatItNeeds) {
  strata::testing::TestDir dir;
  const auto files = testing::make_certificates(dir.path());
  ServerSecurityOptions options;
  options.directory = dir.path();
  options.listeners = {ListenerProtocol::kPlaintext, ListenerProtocol::kSaslSsl};
  options.tls = TlsOptions{files.server_certificate, files.server_key, ""};
  options.sasl_mechanisms = {"SCRAM-SHA-512", "PLAIN"};
  auto security = ServerSecurity::open(options);
  ASSERT_TRUE(security.is_ok()) << security.status().to_string();
  EXPECT_EQ(security.value()->new_tls_session(ListenerProtocol::kPlaintext), nullptr);
  EXPECT_EQ(security.value()->new_sasl_server(ListenerProtocol::kSsl, "a"), nullptr);
  EXPECT_NE(security.value()->new_tls_session(ListenerProtocol::kSaslSsl), nullptr);
  auto over_tls = security.value()->new_sasl_server(ListenerProtocol::kSaslSsl, "a");
  EXPECT_EQ(over_tls->offered_mechanisms(), (std::vector<std::string>{"SCRAM-SHA-512", "PLAIN"}));
  auto over_plaintext = security.value()->new_sasl_server(ListenerProtocol::kSaslPlaintext, "a");
  EXPECT_EQ(over_plaintext->offered_mechanisms(), std::vector<std::string>{"SCRAM-SHA-512"});
  EXPECT_TRUE(security.value()->reload_tls().is_ok());
  EXPECT_FALSE(security.value()->authorizing());
  EXPECT_TRUE(security.value()->allowed("User:anyone", AclOperation::kDelete, {ResourceType::kTopic, "t"}));
}

TEST(ServerSecurity, RefusesATlsListenerWithoutACertificateAndBadMechanisms) {
  strata::testing::TestDir dir;
  ServerSecurityOptions options;
  options.directory = dir.path();
  options.listeners = {ListenerProtocol::kSsl};
  auto no_certificate = ServerSecurity::open(options);
  ASSERT_FALSE(no_certificate.is_ok());
  EXPECT_NE(no_certificate.status().message().find("--tls-cert"), std::string::npos);
  options.listeners = {ListenerProtocol::kSaslPlaintext};
  options.sasl_mechanisms = {"GSSAPI"};
  EXPECT_FALSE(ServerSecurity::open(options).is_ok());
}

TEST(ServerSecurity, AuthorizeChecksAclsAndSuperUsers) {
  strata::testing::TestDir dir;
  AclBinding read;
  read.principal = "User:alice";
  read.resource_name = "orders";
  ASSERT_TRUE(add_acls(dir.path(), {read}).is_ok());
  ServerSecurityOptions options;
  options.directory = dir.path();
  options.authorize = true;
  options.super_users = {"admin"};
  auto security = ServerSecurity::open(options);
  ASSERT_TRUE(security.is_ok());
  const Resource orders{ResourceType::kTopic, "orders"};
  EXPECT_TRUE(security.value()->allowed("User:alice", AclOperation::kRead, orders));
  EXPECT_FALSE(security.value()->allowed("User:alice", AclOperation::kWrite, orders));
  EXPECT_FALSE(security.value()->allowed(kAnonymousPrincipal, AclOperation::kRead, orders));
  EXPECT_TRUE(security.value()->allowed("User:admin", AclOperation::kWrite, orders));
}

}  // namespace
}  // namespace strata::security
