// strata::kafka::Listener: a TCP socket bound and listening, before any Server serves it. Server::start binds
// one itself; binding first lets a program find a busy port before it opens (and locks) its log, as
// `strata serve` does.
#pragma once

#include <cstdint>
#include <string>

#include "strata/status.h"

namespace strata::kafka {

class Listener {
 public:
  // kInvalidArgument for an address that does not resolve, kIoError (with errno's text) when no address of
  // it can be bound. Port 0 picks a free port (see port()).
  static Result<Listener> bind(const std::string& host, std::uint16_t port);
  Listener(Listener&& other) noexcept;
  Listener& operator=(Listener&& other) noexcept;
  ~Listener();

  std::uint16_t port() const { return port_; }
  // Hands the socket over (this Listener no longer closes it).
  int release();

 private:
  Listener(int fd, std::uint16_t port) : fd_(fd), port_(port) {}
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

}  // namespace strata::kafka
