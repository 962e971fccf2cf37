// A TLS echo server for one connection, as a reactor would run it: a non-blocking socket, ciphertext moved by
// hand between it and a TlsSession, every plaintext byte written back. Shared by tls_test.cc and the
// tls_echo_server program that Python's ssl module and openssl s_client talk to.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <string>

#include "security/tls.h"

namespace strata::security {

// The server side: a non-blocking socket and a TlsSession, echoing every plaintext byte back.
struct EchoServer {
  int fd;
  TlsSession session;
  std::string outgoing;  // ciphertext the socket did not take yet
  std::size_t echoed = 0;
  TlsState last = TlsState::kWantMore;

  EchoServer(int socket, const TlsServerContext& context) : fd(socket), session(context) {
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  }

  void flush() {
    std::byte buffer[16384];
    while (std::size_t n = session.take_ciphertext(buffer)) outgoing.append(reinterpret_cast<char*>(buffer), n);
    while (!outgoing.empty()) {
      const ssize_t written = ::write(fd, outgoing.data(), outgoing.size());
      if (written <= 0) return;
      outgoing.erase(0, static_cast<std::size_t>(written));
    }
  }

  // Runs until the peer goes away or the session fails (true), or 10 s passed (false).
  bool serve() {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd poll_fd{fd, static_cast<short>(POLLIN | (outgoing.empty() ? 0 : POLLOUT)), 0};
      ::poll(&poll_fd, 1, 100);
      std::byte buffer[16384];
      const ssize_t n = ::read(fd, buffer, sizeof buffer);
      if (n == 0) return true;
      if (n > 0 && !session.feed_ciphertext(std::span(buffer, static_cast<std::size_t>(n)))) return true;
      std::size_t plaintext = 0;
      while ((last = session.read_plaintext(buffer, &plaintext)) == TlsState::kOk) {
        if (session.write_plaintext(std::span(buffer, plaintext)) != TlsState::kOk) return true;
        echoed += plaintext;
      }
      flush();
      if (last == TlsState::kFailed || last == TlsState::kClosed) return true;
    }
    return false;
  }
};

}  // namespace strata::security
