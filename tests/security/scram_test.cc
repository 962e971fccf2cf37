// SCRAM's server side against RFC 7677's SCRAM-SHA-256 exchange, a SCRAM-SHA-512 exchange computed by an
// independent implementation (Python's hashlib/hmac, script below), and every refusal path.
#include "security/scram_server.h"

#include <gtest/gtest.h>

#include "security/crypto.h"
#include "security/scram_messages.h"
#include "tests/security/scram_client.h"

#include <vector>

namespace strata::security {
namespace {

constexpr std::string_view kClientNonce = "rOprNGfwEbeRWgbNEkqO";
constexpr std::string_view kServerNonce = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";

ScramCredentialLookup lookup_of(ScramCredential credential) {
  return [credential](std::string_view user, ScramMechanism mechanism) -> std::optional<ScramCredential> {
    if (user != "user" || mechanism != credential.mechanism) return std::nullopt;
    return credential;
  };
}

ScramCredential pencil(ScramMechanism mechanism, std::string_view salt_base64) {
  return make_scram_credential(mechanism, "pencil", 4096, *base64_decode(salt_base64)).value();
}

TEST(Scram, Rfc7677Sha256VectorPasses) {
  ScramServer server(ScramMechanism::kSha256, lookup_of(pencil(ScramMechanism::kSha256, "W22ZaJ0SNY7soEsUEjb6gQ==")),
                     std::string(kServerNonce));
  auto first = server.receive_client_first("n,,n=user,r=rOprNGfwEbeRWgbNEkqO");
  ASSERT_TRUE(first.is_ok()) << first.status().to_string();
  EXPECT_EQ(*first, "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096");
  auto final_message = server.receive_client_final(
      "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=");
  ASSERT_TRUE(final_message.is_ok()) << final_message.status().to_string();
  EXPECT_EQ(*final_message, "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=");
  EXPECT_TRUE(server.authenticated());
  EXPECT_EQ(server.user(), "user");
}

// Expected values from Python 3.11 (hashlib.pbkdf2_hmac("sha512", ...), hmac.new(..., hashlib.sha512)):
//   salted = pbkdf2_hmac("sha512", b"pencil", b64decode("QSXCR+Q6sek8bf92"), 4096)
//   ck = hmac(salted, b"Client Key"); sk = sha512(ck); servk = hmac(salted, b"Server Key")
//   am = "n=user,r=<cn>" "," "r=<cn><sn>,s=QSXCR+Q6sek8bf92,i=4096" "," "c=biws,r=<cn><sn>"
//   proof = ck xor hmac(sk, am); v = hmac(servk, am)
TEST(Scram, Sha512ExchangeMatchesAnIndependentImplementation) {
  ScramServer server(ScramMechanism::kSha512, lookup_of(pencil(ScramMechanism::kSha512, "QSXCR+Q6sek8bf92")),
                     std::string(kServerNonce));
  auto first = server.receive_client_first("n,,n=user,r=" + std::string(kClientNonce));
  ASSERT_TRUE(first.is_ok()) << first.status().to_string();
  EXPECT_EQ(*first, "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=QSXCR+Q6sek8bf92,i=4096");
  auto final_message = server.receive_client_final(
      "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=EAykbhDbSIdK2NH1gxa6hYeuy//F2vYHhDoID4icsfM4En7t"
      "cnA3Z8d4tGEJYtryn0rPgJfK/+/jQRZPhFOnvg==");
  ASSERT_TRUE(final_message.is_ok()) << final_message.status().to_string();
  EXPECT_EQ(*final_message,
            "v=yax/LDlXoMn1o/AvseJ8T8lP13ZwLqloWBF+Ha+KqzvGcg205ZoJQDqxr01QXLIFNyiqDLEITr05WbdTDPpW6w==");
  EXPECT_TRUE(server.authenticated());
}

TEST(Scram, WrongPasswordIsRefusedAndEndsTheExchange) {
  ScramServer server(ScramMechanism::kSha256, lookup_of(pencil(ScramMechanism::kSha256, "W22ZaJ0SNY7soEsUEjb6gQ==")));
  auto first = server.receive_client_first("n,,n=user,r=clientnonce123");
  ASSERT_TRUE(first.is_ok());
  auto final_message = server.receive_client_final(ScramClient{ScramMechanism::kSha256, "pencil2"}.final_for(*first));
  ASSERT_FALSE(final_message.is_ok());
  EXPECT_NE(final_message.status().message().find("authentication failed"), std::string::npos);
  EXPECT_FALSE(server.authenticated());
  EXPECT_FALSE(server.receive_client_final("c=biws,r=x,p=AAAA").is_ok());  // nothing after a refusal
}

TEST(Scram, RightPasswordWithFreshSaltAuthenticates) {
  auto credential = make_scram_credential(ScramMechanism::kSha512, "s3cret", 8192).value();
  EXPECT_EQ(credential.salt.size(), kScramSaltBytes);
  ScramServer server(ScramMechanism::kSha512, lookup_of(credential));
  auto first = server.receive_client_first("n,,n=user,r=clientnonce123");
  ASSERT_TRUE(first.is_ok());
  EXPECT_NE(first->find(",i=8192"), std::string::npos);
  auto final_message = server.receive_client_final(ScramClient{ScramMechanism::kSha512, "s3cret"}.final_for(*first));
  ASSERT_TRUE(final_message.is_ok()) << final_message.status().to_string();
  EXPECT_TRUE(server.authenticated());
}

TEST(Scram, UnknownUserGetsAStableDecoyAndFailsOnlyAtTheProof) {
  auto credential = pencil(ScramMechanism::kSha256, "W22ZaJ0SNY7soEsUEjb6gQ==");
  ScramServer one(ScramMechanism::kSha256, lookup_of(credential), "n1");
  ScramServer two(ScramMechanism::kSha256, lookup_of(credential), "n1");
  auto first_one = one.receive_client_first("n,,n=mallory,r=abc");
  auto first_two = two.receive_client_first("n,,n=mallory,r=abc");
  ASSERT_TRUE(first_one.is_ok());
  ASSERT_TRUE(first_two.is_ok());
  EXPECT_EQ(*first_one, *first_two);  // the same salt each time, as a real user's
  ScramClient client{ScramMechanism::kSha256, "pencil", "abc", "n=mallory,r=abc"};
  EXPECT_FALSE(one.receive_client_final(client.final_for(*first_one)).is_ok());
}

TEST(Scram, WrongMechanismCredentialIsNotUsed) {
  // The user has only a SHA-256 credential: a SHA-512 exchange finds none.
  ScramServer server(ScramMechanism::kSha512, lookup_of(pencil(ScramMechanism::kSha256, "W22ZaJ0SNY7soEsUEjb6gQ==")));
  auto first = server.receive_client_first("n,,n=user,r=clientnonce123");
  ASSERT_TRUE(first.is_ok());
  EXPECT_FALSE(server.receive_client_final(ScramClient{ScramMechanism::kSha512, "pencil"}.final_for(*first)).is_ok());
}

Status first_refusal(std::string_view message) {
  ScramServer server(ScramMechanism::kSha256, lookup_of(pencil(ScramMechanism::kSha256, "W22ZaJ0SNY7soEsUEjb6gQ==")));
  return server.receive_client_first(message).status();
}

TEST(Scram, MalformedClientFirstMessagesAreRefused) {
  const std::string long_name(300, 'a');
  for (std::string_view bad : {"", "n", "n,", "n,,", "x,,n=user,r=abc", "p=tls-unique,,n=user,r=abc",
                               "n,,n=user", "n,,r=abc,n=user", "n,,n=,r=abc", "n,,n=us=er,r=abc",
                               "n,,n=us=2Xer,r=abc", "n,,n=user,r=", "n,,n=user,r=a b", "n,,n=user,s=abc",
                               "m=ext,n=user,r=abc", "n,,m=ext,n=user,r=abc", "n,a=bob,n=user,r=abc",
                               "n,b=bob,n=user,r=abc", "n,,n=user,r=abc,Bad=x", "n,,n=user,r=abc,=x",
                               "n,,n=user,r=abc,tokenauth=true", "n,,n=u\x01ser,r=abc"}) {
    EXPECT_FALSE(first_refusal(bad).is_ok()) << "accepted: " << bad;
  }
  EXPECT_FALSE(first_refusal("n,,n=" + long_name + ",r=abc").is_ok());
  EXPECT_FALSE(first_refusal("n,,n=user,r=" + std::string(257, 'x')).is_ok());
  EXPECT_FALSE(first_refusal("n,,n=user,r=abc" + std::string(5000, 'x')).is_ok());
  std::string many = "n,,n=user,r=abc";
  for (int i = 0; i < 20; ++i) many += ",e=1";
  EXPECT_FALSE(first_refusal(many).is_ok());
}

TEST(Scram, AcceptedClientFirstVariants) {
  for (std::string_view good : {"n,,n=user,r=abc", "y,,n=user,r=abc", "n,a=user,n=user,r=abc",
                                "n,,n=user,r=abc,ext=value", "n,,n=user,r=abc,tokenauth=false"}) {
    EXPECT_TRUE(first_refusal(good).is_ok()) << "refused: " << good << ": " << first_refusal(good).to_string();
  }
  auto parsed = parse_client_first("n,,n=a=2Cb=3Dc,r=abc");
  ASSERT_TRUE(parsed.is_ok());
  EXPECT_EQ(parsed->username, "a,b=c");
  EXPECT_EQ(encode_scram_name("a,b=c"), "a=2Cb=3Dc");
}

TEST(Scram, MalformedOrMismatchedClientFinalMessagesAreRefused) {
  const std::string nonce = "abc" + std::string(kServerNonce);
  for (const std::string& bad : std::vector<std::string>{"", "c=biws", "c=biws,r=" + nonce, "c=biws,r=" + nonce + ",p=",
                          "c=biws,r=" + nonce + ",p=%%%%", "c=eSws,r=" + nonce + ",p=AAAA",  // y,, but sent n,,
                          "c=biws,r=abc,p=AAAA", "c=biws,r=" + nonce + "x,p=AAAA", "r=" + nonce + ",c=biws,p=AAAA",
                          "c=bi ws,r=" + nonce + ",p=AAAA", "c=biws,r=" + nonce + ",p=AAAA,x=1",
                          "c=biws,r=" + nonce + ",p=" + std::string(6000, 'A')}) {
    ScramServer server(ScramMechanism::kSha256, lookup_of(pencil(ScramMechanism::kSha256, "W22ZaJ0SNY7soEsUEjb6gQ==")),
                       std::string(kServerNonce));
    ASSERT_TRUE(server.receive_client_first("n,,n=user,r=abc").is_ok());
    EXPECT_FALSE(server.receive_client_final(bad).is_ok()) << "accepted: " << bad;
    EXPECT_FALSE(server.authenticated());
  }
}

TEST(Scram, MessagesOutOfOrderAreRefused) {
  ScramServer server(ScramMechanism::kSha256, lookup_of(pencil(ScramMechanism::kSha256, "W22ZaJ0SNY7soEsUEjb6gQ==")));
  EXPECT_FALSE(server.receive_client_final("c=biws,r=abc,p=AAAA").is_ok());
  EXPECT_FALSE(server.receive_client_first("n,,n=user,r=abc").is_ok());  // the refusal ended the exchange
  ScramServer again(ScramMechanism::kSha256, lookup_of(pencil(ScramMechanism::kSha256, "W22ZaJ0SNY7soEsUEjb6gQ==")));
  ASSERT_TRUE(again.receive_client_first("n,,n=user,r=abc").is_ok());
  EXPECT_FALSE(again.receive_client_first("n,,n=user,r=abc").is_ok());
}

TEST(Scram, IterationCountsOutsideKafkasBoundsAreRefused) {
  EXPECT_FALSE(make_scram_credential(ScramMechanism::kSha256, "p", 4095).is_ok());
  EXPECT_FALSE(make_scram_credential(ScramMechanism::kSha256, "p", 16385).is_ok());
  EXPECT_TRUE(make_scram_credential(ScramMechanism::kSha256, "p", 4096).is_ok());
}

TEST(Scram, PlainPasswordCheckUsesTheStoredCredential) {
  auto credential = pencil(ScramMechanism::kSha512, "QSXCR+Q6sek8bf92");
  EXPECT_TRUE(scram_password_matches(credential, "pencil"));
  EXPECT_FALSE(scram_password_matches(credential, "pencil "));
  EXPECT_FALSE(scram_password_matches(credential, ""));
}

TEST(Crypto, Base64DecodingIsStrict) {
  EXPECT_EQ(*base64_decode("cGVuY2ls"), "pencil");
  EXPECT_EQ(*base64_decode("YQ=="), "a");
  EXPECT_EQ(*base64_decode("YWI="), "ab");
  EXPECT_EQ(*base64_decode(""), "");
  for (std::string_view bad : {"YQ=", "Y Q==", "YQ==YQ==", "Y===", "====", "YQ\n=", "*abc"}) {
    EXPECT_FALSE(base64_decode(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace strata::security
