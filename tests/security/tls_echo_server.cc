// tls_echo_server CERT KEY [CLIENT_CA]: listens on 127.0.0.1 (a free port, printed on stdout), then serves
// connections one after another with TlsSession, echoing plaintext, and prints one line per connection on
// stdout: "closed|failed <protocol> <cipher> <bytes echoed> <principal>". For tls_shell_test.sh.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <csignal>
#include <cstdio>

#include "tests/security/tls_echo.h"

int main(int argc, char** argv) {
  using namespace strata::security;
  if (argc < 3) {
    std::fprintf(stderr, "usage: tls_echo_server CERT KEY [CLIENT_CA]\n");
    return 2;
  }
  std::signal(SIGPIPE, SIG_IGN);
  auto context = TlsServerContext::create({argv[1], argv[2], argc > 3 ? argv[3] : ""});
  if (!context) {
    std::fprintf(stderr, "%s\n", context.status().to_string().c_str());
    return 1;
  }
  const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof address;
  if (::bind(listener, reinterpret_cast<sockaddr*>(&address), size) != 0 || ::listen(listener, 8) != 0 ||
      ::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &size) != 0) {
    std::perror("listen");
    return 1;
  }
  std::printf("%d\n", ntohs(address.sin_port));
  std::fflush(stdout);
  for (;;) {
    const int fd = ::accept(listener, nullptr, nullptr);
    if (fd < 0) continue;
    EchoServer server(fd, *context.value());
    const bool ended = server.serve();
    const auto principal = server.session.peer_principal();
    std::printf("%s %s %s %zu %s\n", !ended ? "timeout" : server.last == TlsState::kFailed ? "failed" : "closed",
                server.session.protocol_version().c_str(), server.session.cipher().c_str(), server.echoed,
                principal ? principal->c_str() : "-");
    std::fflush(stdout);
    ::close(fd);
  }
}
