// What security costs per connection and per byte, in memory (no sockets): the server's side of a SCRAM login
// and of a PLAIN login (which computes PBKDF2), a TLS handshake between TlsSession and an OpenSSL client over
// memory BIOs, and TLS record throughput (TlsSession encrypting, the client decrypting).
//   build/release/bench/security_bench
#include <benchmark/benchmark.h>
#include <openssl/ssl.h>

#include <filesystem>

#include "security/sasl_server.h"
#include "security/security_store.h"
#include "security/tls.h"
#include "tests/security/scram_client.h"
#include "tests/security/test_certificates.h"

namespace strata::security {
namespace {

struct Fixture {
  std::string dir = std::filesystem::temp_directory_path() / "strata-security-bench";
  std::unique_ptr<CredentialStore> store;
  std::shared_ptr<TlsServerContext> tls;
  testing::CertificateFiles files;
  Fixture() {
    std::filesystem::create_directories(dir);
    for (ScramMechanism mechanism : {ScramMechanism::kSha256, ScramMechanism::kSha512}) {
      (void)put_user(dir, "user", make_scram_credential(mechanism, "pencil", kScramIterationsMin).value());
    }
    store = std::move(CredentialStore::open(dir).value());
    files = testing::make_certificates(dir);
    tls = TlsServerContext::create({files.server_certificate, files.server_key, ""}).value();
  }
};

Fixture& fixture() {
  static Fixture instance;
  return instance;
}

void BM_ScramLoginServerSide(benchmark::State& state) {
  const auto mechanism = static_cast<ScramMechanism>(state.range(0));
  ScramServer probe(mechanism, fixture().store->lookup(), "servernonce");
  ScramClient client{mechanism, "pencil", "clientnonce123", "n=user,r=clientnonce123"};
  const std::string final_message = client.final_for(probe.receive_client_first("n,,n=user,r=clientnonce123").value());
  for (auto _ : state) {
    ScramServer server(mechanism, fixture().store->lookup(), "servernonce");
    benchmark::DoNotOptimize(server.receive_client_first("n,,n=user,r=clientnonce123"));
    if (!server.receive_client_final(final_message).is_ok()) state.SkipWithError("login refused");
  }
}
BENCHMARK(BM_ScramLoginServerSide)->Arg(1)->Arg(2)->Unit(benchmark::kMicrosecond);

void BM_PlainLoginServerSide(benchmark::State& state) {
  const std::string message("\0user\0pencil", 12);
  SaslOptions options;
  options.mechanisms = {"PLAIN"};
  options.transport_is_tls = true;
  for (auto _ : state) {
    SaslServer sasl(options, fixture().store.get(), nullptr, "bench");
    (void)sasl.handshake("PLAIN");
    if (sasl.authenticate(message).error_code != 0) state.SkipWithError("login refused");
  }
}
BENCHMARK(BM_PlainLoginServerSide)->Unit(benchmark::kMicrosecond);

// An OpenSSL client over memory BIOs, paired with a TlsSession by moving bytes between them.
struct ClientPair {
  SSL_CTX* context = SSL_CTX_new(TLS_client_method());
  SSL* ssl = SSL_new(context);
  BIO* in = BIO_new(BIO_s_mem());
  BIO* out = BIO_new(BIO_s_mem());
  TlsSession server{*fixture().tls};
  ClientPair() {
    SSL_set_bio(ssl, in, out);
    SSL_set_connect_state(ssl);
  }
  ~ClientPair() {
    SSL_free(ssl);
    SSL_CTX_free(context);
  }
  void pump() {
    std::byte buffer[65536];
    while (int n = BIO_read(out, buffer, sizeof buffer)) {
      if (n <= 0) break;
      (void)server.feed_ciphertext(std::span(buffer, static_cast<std::size_t>(n)));
    }
    while (std::size_t n = server.take_ciphertext(buffer)) BIO_write(in, buffer, static_cast<int>(n));
  }
  bool handshake() {
    for (int round = 0; round < 10; ++round) {
      const int done = SSL_do_handshake(ssl);
      pump();
      (void)server.handshake();
      pump();
      if (done == 1 && server.handshake_complete()) return true;
    }
    return false;
  }
};

void BM_TlsHandshake(benchmark::State& state) {
  for (auto _ : state) {
    ClientPair pair;
    if (!pair.handshake()) state.SkipWithError("handshake failed");
  }
}
BENCHMARK(BM_TlsHandshake)->Unit(benchmark::kMicrosecond);

void BM_TlsServerToClientBytes(benchmark::State& state) {
  ClientPair pair;
  if (!pair.handshake()) state.SkipWithError("handshake failed");
  const std::vector<std::byte> chunk(static_cast<std::size_t>(state.range(0)), std::byte{7});
  std::vector<char> received(chunk.size());
  for (auto _ : state) {
    (void)pair.server.write_plaintext(chunk);
    pair.pump();
    for (std::size_t got = 0; got < chunk.size();) {
      const int n = SSL_read(pair.ssl, received.data(), static_cast<int>(received.size()));
      if (n <= 0) return state.SkipWithError("read failed");
      got += static_cast<std::size_t>(n);
    }
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_TlsServerToClientBytes)->Arg(16384)->Arg(1 << 20);

}  // namespace
}  // namespace strata::security

BENCHMARK_MAIN();
