// TlsSession against a real OpenSSL client over a socketpair: the server side moves ciphertext by hand
// (a non-blocking socket, as a reactor would), the client is an ordinary blocking SSL in a thread.
#include "security/tls.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <functional>
#include <thread>

#include "tests/engine/test_dir.h"
#include "tests/security/test_certificates.h"
#include "tests/security/tls_echo.h"

namespace strata::security {
namespace {

struct ClientSettings {
  std::string ca;  // verify the server against it (empty: no verification)
  std::string certificate;
  std::string key;
  int max_version = 0;
  const char* tls12_ciphers = nullptr;
};

ClientSettings verifying(std::string ca) {
  ClientSettings settings;
  settings.ca = std::move(ca);
  return settings;
}

// A blocking OpenSSL client on one end of a socketpair; `body` runs after a successful connect.
struct Client {
  bool connected = false;
  std::string error;
  std::string peer_subject;

  void run(int fd, const ClientSettings& settings, const std::function<void(SSL*)>& body) {
    SSL_CTX* context = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_security_level(context, 0);  // let the test offer what a server must refuse
    if (settings.max_version != 0) {
      SSL_CTX_set_min_proto_version(context, TLS1_VERSION);
      SSL_CTX_set_max_proto_version(context, settings.max_version);
    }
    if (settings.tls12_ciphers != nullptr) {
      SSL_CTX_set_max_proto_version(context, TLS1_2_VERSION);
      SSL_CTX_set_cipher_list(context, settings.tls12_ciphers);
    }
    if (!settings.ca.empty()) {
      SSL_CTX_load_verify_locations(context, settings.ca.c_str(), nullptr);
      SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nullptr);
    }
    if (!settings.certificate.empty()) {
      SSL_CTX_use_certificate_file(context, settings.certificate.c_str(), SSL_FILETYPE_PEM);
      SSL_CTX_use_PrivateKey_file(context, settings.key.c_str(), SSL_FILETYPE_PEM);
    }
    SSL* ssl = SSL_new(context);
    SSL_set_fd(ssl, fd);
    SSL_set1_host(ssl, "localhost");
    connected = SSL_connect(ssl) == 1;
    if (connected) {
      char subject[256];
      X509_NAME_oneline(X509_get_subject_name(SSL_get0_peer_certificate(ssl)), subject, sizeof subject);
      peer_subject = subject;
      body(ssl);
      SSL_shutdown(ssl);
    } else {
      error = ERR_error_string(ERR_get_error(), nullptr);
    }
    SSL_free(ssl);
    SSL_CTX_free(context);
    ::shutdown(fd, SHUT_RDWR);
  }
};

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::signal(SIGPIPE, SIG_IGN);  // a refused client's socket closes under the other side's writes
    files_ = testing::make_certificates(dir_.path());
  }

  std::shared_ptr<TlsServerContext> context(bool mutual = false) {
    auto made = TlsServerContext::create({files_.server_certificate, files_.server_key, mutual ? files_.ca_certificate : ""});
    EXPECT_TRUE(made.is_ok()) << made.status().to_string();
    return made.value();
  }

  // Runs one connection: the client in a thread, the echo server here.
  Client exchange(const TlsServerContext& context, const ClientSettings& settings,
                  const std::function<void(SSL*)>& body, EchoServer** server_out = nullptr) {
    int fds[2];
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
    Client client;
    std::thread thread([&] { client.run(fds[1], settings, body); });
    server_ = std::make_unique<EchoServer>(fds[0], context);
    EXPECT_TRUE(server_->serve()) << "the exchange did not end within 10 s";
    ::shutdown(fds[0], SHUT_RDWR);
    thread.join();
    ::close(fds[0]);
    ::close(fds[1]);
    if (server_out != nullptr) *server_out = server_.get();
    return client;
  }

  strata::testing::TestDir dir_;
  testing::CertificateFiles files_;
  std::unique_ptr<EchoServer> server_;
};

void echo_round_trips(SSL* ssl, std::size_t total, std::size_t chunk, std::string* failure) {
  std::string sent(chunk, '\0');
  std::string received(chunk, '\0');
  for (std::size_t done = 0; done < total; done += chunk) {
    for (std::size_t i = 0; i < chunk; ++i) sent[i] = static_cast<char>((done + i) * 31);
    if (SSL_write(ssl, sent.data(), static_cast<int>(chunk)) != static_cast<int>(chunk)) return void(*failure = "write");
    for (std::size_t got = 0; got < chunk;) {
      const int n = SSL_read(ssl, received.data() + got, static_cast<int>(chunk - got));
      if (n <= 0) return void(*failure = "read");
      got += static_cast<std::size_t>(n);
    }
    if (received != sent) return void(*failure = "echo differs at " + std::to_string(done));
  }
}

TEST_F(TlsTest, EchoesAMebibyteThroughARealClient) {
  auto server_context = context();
  std::string failure;
  std::string version;
  Client client = exchange(*server_context, verifying(files_.ca_certificate), [&](SSL* ssl) {
    version = SSL_get_version(ssl);
    echo_round_trips(ssl, 1 << 20, 16384, &failure);
  });
  ASSERT_TRUE(client.connected) << client.error;
  EXPECT_EQ(failure, "");
  EXPECT_EQ(server_->echoed, std::size_t{1} << 20);
  EXPECT_EQ(version, "TLSv1.3");
  EXPECT_EQ(server_->session.protocol_version(), "TLSv1.3");
  EXPECT_EQ(server_->last, TlsState::kClosed);  // the client's close_notify
  EXPECT_FALSE(server_->session.peer_principal().has_value());
}

TEST_F(TlsTest, Tls12WithAStrongCipherIsAccepted) {
  auto server_context = context();
  std::string failure;
  ClientSettings settings = verifying(files_.ca_certificate);
  settings.tls12_ciphers = "ECDHE-ECDSA-AES256-GCM-SHA384";
  Client client = exchange(*server_context, settings,
                           [&](SSL* ssl) { echo_round_trips(ssl, 4096, 4096, &failure); });
  ASSERT_TRUE(client.connected) << client.error;
  EXPECT_EQ(failure, "");
  EXPECT_EQ(server_->session.protocol_version(), "TLSv1.2");
  EXPECT_EQ(server_->session.cipher(), "ECDHE-ECDSA-AES256-GCM-SHA384");
}

TEST_F(TlsTest, OldVersionsAndWeakCiphersAreRefused) {
  auto server_context = context();
  for (int version : {TLS1_VERSION, TLS1_1_VERSION}) {
    ClientSettings settings;
    settings.max_version = version;
    Client client = exchange(*server_context, settings, [](SSL*) {});
    EXPECT_FALSE(client.connected) << "TLS version " << version << " accepted";
    EXPECT_EQ(server_->last, TlsState::kFailed);
  }
  for (const char* cipher : {"ECDHE-ECDSA-AES128-SHA", "AES128-GCM-SHA256", "ECDHE-ECDSA-NULL-SHA"}) {
    ClientSettings settings;
    settings.tls12_ciphers = cipher;
    Client client = exchange(*server_context, settings, [](SSL*) {});
    EXPECT_FALSE(client.connected) << cipher << " accepted";
  }
}

TEST_F(TlsTest, GarbageFailsTheSessionWithoutACrash) {
  auto server_context = context();
  for (const std::string& garbage : {std::string("GET / HTTP/1.1\r\n\r\n"), std::string(5, '\x16'),
                                    std::string("\x16\x03\x01\xff\xff") + std::string(70000, 'x'),
                                    std::string("\x00\x00\x00\x10\x00\x12\x00\x03", 8)}) {
    TlsSession session(*server_context);
    std::size_t at = 0;
    TlsState state = TlsState::kWantMore;
    while (at < garbage.size() && state == TlsState::kWantMore) {
      const std::size_t n = std::min<std::size_t>(garbage.size() - at, 4096);
      ASSERT_TRUE(session.feed_ciphertext(std::as_bytes(std::span(garbage.data() + at, n))));
      at += n;
      state = session.handshake();
    }
    EXPECT_NE(state, TlsState::kOk);
    if (state == TlsState::kFailed) {
      EXPECT_FALSE(session.error().empty());
    }
  }
}

TEST_F(TlsTest, InputIsBounded) {
  auto server_context = context();
  TlsSession session(*server_context);
  const std::string chunk(TlsSession::kInputBytesMax, 'x');
  EXPECT_TRUE(session.feed_ciphertext(std::as_bytes(std::span(chunk))));
  EXPECT_FALSE(session.feed_ciphertext(std::as_bytes(std::span(chunk.data(), 1))));
}

TEST_F(TlsTest, MutualTlsRequiresAClientCertificateAndNamesItsSubject) {
  auto server_context = context(true);
  Client anonymous = exchange(*server_context, verifying(files_.ca_certificate), [](SSL* ssl) {
    char byte = 0;
    (void)SSL_write(ssl, "x", 1);  // TLS 1.3 reports a refused certificate on the first read
    (void)SSL_read(ssl, &byte, 1);
  });
  EXPECT_EQ(server_->last, TlsState::kFailed);
  EXPECT_EQ(server_->echoed, 0u);
  std::string failure;
  ClientSettings settings = verifying(files_.ca_certificate);
  settings.certificate = files_.client_certificate;
  settings.key = files_.client_key;
  Client with_certificate = exchange(*server_context, settings,
                                     [&](SSL* ssl) { echo_round_trips(ssl, 100, 100, &failure); });
  ASSERT_TRUE(with_certificate.connected) << with_certificate.error;
  EXPECT_EQ(failure, "");
  EXPECT_EQ(server_->session.peer_principal(), "User:CN=client,O=strata-test");
}

TEST_F(TlsTest, ReloadServesTheNewCertificateAndABadOneKeepsTheOld) {
  auto server_context = context();
  auto second = testing::make_certificates(dir_.path(), "second-");
  std::filesystem::copy_file(second.server_certificate, files_.server_certificate,
                             std::filesystem::copy_options::overwrite_existing);
  std::filesystem::copy_file(second.server_key, files_.server_key, std::filesystem::copy_options::overwrite_existing);
  // Before the reload, the old certificate (signed by the first CA) is still served.
  EXPECT_TRUE(exchange(*server_context, verifying(files_.ca_certificate), [](SSL*) {}).connected);
  ASSERT_TRUE(server_context->reload().is_ok());
  EXPECT_FALSE(exchange(*server_context, verifying(files_.ca_certificate), [](SSL*) {}).connected);
  EXPECT_TRUE(exchange(*server_context, verifying(second.ca_certificate), [](SSL*) {}).connected);
  std::filesystem::copy_file(files_.client_key, files_.server_key, std::filesystem::copy_options::overwrite_existing);
  const Status bad = server_context->reload();
  EXPECT_FALSE(bad.is_ok());
  EXPECT_NE(bad.message().find("--tls-key " + files_.server_key), std::string::npos) << bad.to_string();
  EXPECT_TRUE(exchange(*server_context, verifying(second.ca_certificate), [](SSL*) {}).connected);
}

TEST_F(TlsTest, MissingFilesAreNamed) {
  auto missing = TlsServerContext::create({dir_.sub("nope.pem"), files_.server_key, ""});
  ASSERT_FALSE(missing.is_ok());
  EXPECT_NE(missing.status().message().find("--tls-cert " + dir_.sub("nope.pem") + ": cannot read it: No such file"),
            std::string::npos)
      << missing.status().to_string();
  std::filesystem::copy_file(files_.server_key, dir_.sub("key-as-cert.pem"));
  auto not_pem = TlsServerContext::create({dir_.sub("key-as-cert.pem"), files_.server_key, ""});
  ASSERT_FALSE(not_pem.is_ok());
  EXPECT_NE(not_pem.status().message().find("--tls-cert " + dir_.sub("key-as-cert.pem") + ": not a PEM certificate"),
            std::string::npos)
      << not_pem.status().to_string();
  auto bad_ca = TlsServerContext::create({files_.server_certificate, files_.server_key, dir_.sub("ca-nope.pem")});
  ASSERT_FALSE(bad_ca.is_ok());
  EXPECT_NE(bad_ca.status().message().find("--tls-client-ca"), std::string::npos);
}

}  // namespace
}  // namespace strata::security
