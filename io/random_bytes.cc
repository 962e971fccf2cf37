#include "io/random_bytes.h"

#include <sys/random.h>

#include <cerrno>
#include <string>

#include "strata/errno_status.h"

namespace strata::io {

Status random_bytes(std::span<std::byte> out, std::string_view what) {
  // Bounded: getrandom returns at most 33554431 bytes per call and never a short read for <= 256 bytes;
  // EINTR is retried a few times.
  for (int attempt = 0; attempt < 8; ++attempt) {
    const ssize_t got = ::getrandom(out.data(), out.size(), 0);
    if (got == static_cast<ssize_t>(out.size())) return Status::ok();
    if (got >= 0) return io_error("getrandom for " + std::string(what) + ": short read");
    if (errno != EINTR) return status_from_errno(errno, "getrandom for " + std::string(what));
  }
  return status_from_errno(EINTR, "getrandom for " + std::string(what));
}

}  // namespace strata::io
