// Descriptors and sockets: an owned descriptor, closed when its owner goes, and the options strata sets on its
// TCP sockets (non-blocking for the reactors, TCP_NODELAY for request and response traffic). Errors are
// Statuses (strata/errno_status.h).
#pragma once

#include <string_view>
#include <utility>

#include "strata/status.h"

namespace strata {

class OwnedFd {
 public:
  OwnedFd() = default;
  explicit OwnedFd(int fd) : fd_(fd) {}
  ~OwnedFd() { reset(); }
  OwnedFd(OwnedFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  OwnedFd& operator=(OwnedFd&& other) noexcept {
    if (this != &other) reset(std::exchange(other.fd_, -1));
    return *this;
  }
  OwnedFd(const OwnedFd&) = delete;
  OwnedFd& operator=(const OwnedFd&) = delete;

  int get() const { return fd_; }
  bool is_open() const { return fd_ >= 0; }
  // Hands the descriptor over: this object no longer closes it.
  int release() { return std::exchange(fd_, -1); }
  // Closes the descriptor held (if any) and holds `fd` instead.
  void reset(int fd = -1);

 private:
  int fd_ = -1;
};

// `what` names the socket in the error ("listening socket 0.0.0.0:9092").
Status set_nonblocking(int fd, std::string_view what);
Status set_no_delay(int fd, std::string_view what);

}  // namespace strata
