// Listener::bind: resolve, bind and listen (see listener.h).
#include "kafka/listener.h"

#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "base/socket.h"
#include "strata/errno_status.h"

namespace strata::kafka {

namespace {

constexpr int kBacklog = 4096;  // the kernel caps it at net.core.somaxconn; bursts of thousands of connects

std::uint16_t bound_port(int fd) {
  sockaddr_storage bound{};
  socklen_t bound_size = sizeof bound;
  (void)getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &bound_size);
  return ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                           : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
}

}  // namespace

Result<Listener> Listener::bind(const std::string& host, std::uint16_t port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string port_text = std::to_string(port);
  const int resolved = getaddrinfo(host.empty() ? nullptr : host.c_str(), port_text.c_str(), &hints, &found);
  if (resolved != 0) return invalid_argument("listen address " + host + ": " + gai_strerror(resolved));
  OwnedFd fd;
  Status last_error = io_error("no address");
  for (addrinfo* candidate = found; candidate != nullptr; candidate = candidate->ai_next) {
    fd.reset(::socket(candidate->ai_family, candidate->ai_socktype | SOCK_CLOEXEC, candidate->ai_protocol));
    if (!fd.is_open()) {
      last_error = status_from_errno(errno, "socket");
      continue;
    }
    const int one = 1;
    (void)setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(fd.get(), candidate->ai_addr, candidate->ai_addrlen) != 0) {
      last_error = status_from_errno(errno, "bind");
    } else if (::listen(fd.get(), kBacklog) != 0) {
      last_error = status_from_errno(errno, "listen");
    } else {
      break;
    }
    fd.reset();
  }
  freeaddrinfo(found);
  // kIoError whatever errno said, as listener.h promises; the message keeps errno's text.
  if (!fd.is_open()) return io_error("listening on " + host + ":" + port_text + ": " + last_error.message());
  const std::uint16_t bound = bound_port(fd.get());
  return Listener(fd.release(), bound);
}

Listener::Listener(Listener&& other) noexcept : fd_(std::exchange(other.fd_, -1)), port_(other.port_) {}

Listener& Listener::operator=(Listener&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    port_ = other.port_;
  }
  return *this;
}

Listener::~Listener() {
  if (fd_ >= 0) ::close(fd_);
}

int Listener::release() {
  return std::exchange(fd_, -1);
}

}  // namespace strata::kafka
