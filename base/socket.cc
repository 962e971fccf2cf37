#include "base/socket.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "strata/errno_status.h"

namespace strata {

void OwnedFd::reset(int fd) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

Status set_nonblocking(int fd, std::string_view what) {
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) {
    return status_from_errno(errno, "fcntl O_NONBLOCK on " + std::string(what));
  }
  return Status::ok();
}

Status set_no_delay(int fd, std::string_view what) {
  const int one = 1;
  if (::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0) {
    return status_from_errno(errno, "setsockopt TCP_NODELAY on " + std::string(what));
  }
  return Status::ok();
}

}  // namespace strata
