#include "io/mirrored_buffer.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>

#include "strata/errno_status.h"

namespace strata::io {

MirroredBuffer::~MirroredBuffer() {
  if (data_ != nullptr) ::munmap(data_, 2 * bytes_);
}

MirroredBuffer& MirroredBuffer::operator=(MirroredBuffer&& other) noexcept {
  if (this != &other) {
    if (data_ != nullptr) ::munmap(data_, 2 * bytes_);
    data_ = std::exchange(other.data_, nullptr);
    bytes_ = std::exchange(other.bytes_, 0);
  }
  return *this;
}

Result<MirroredBuffer> MirroredBuffer::create(std::size_t bytes) {
  const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  STRATA_ASSERT(bytes > 0 && bytes % page == 0,
                "mirrored buffer of %zu bytes is not a multiple of the %zu-byte page", bytes, page);
  const int fd = ::memfd_create("strata-staging", MFD_CLOEXEC);
  if (fd < 0) return status_from_errno(errno, "memfd_create for the staging buffer");
  if (::ftruncate(fd, static_cast<off_t>(bytes)) != 0) {
    const int error_number = errno;
    ::close(fd);
    return status_from_errno(error_number, "sizing the staging buffer");
  }
  // Reserve both halves at once so the second map lands right after the first.
  void* base = ::mmap(nullptr, 2 * bytes, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (base == MAP_FAILED) {
    const int error_number = errno;
    ::close(fd);
    return status_from_errno(error_number, "reserving the staging buffer");
  }
  auto* first = static_cast<std::byte*>(base);
  const bool mapped =
      ::mmap(first, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED | MAP_POPULATE, fd, 0) !=
          MAP_FAILED &&
      ::mmap(first + bytes, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0) != MAP_FAILED;
  const int error_number = errno;
  ::close(fd);  // the mappings keep the memory alive
  if (!mapped) {
    ::munmap(base, 2 * bytes);
    return status_from_errno(error_number, "mapping the staging buffer twice");
  }
  return MirroredBuffer(first, bytes);
}

}  // namespace strata::io
