#include "io/shared_mapping.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "strata/errno_status.h"

namespace strata::io {

SharedMapping::~SharedMapping() {
  if (data_ != nullptr) ::munmap(data_, bytes_);
}

SharedMapping& SharedMapping::operator=(SharedMapping&& other) noexcept {
  if (this != &other) {
    if (data_ != nullptr) ::munmap(data_, bytes_);
    data_ = std::exchange(other.data_, nullptr);
    bytes_ = std::exchange(other.bytes_, 0);
  }
  return *this;
}

namespace {

Result<SharedMapping> map_fd(int fd, const std::string& path, std::size_t bytes, bool writable,
                             SharedMapping (*make)(std::byte*, std::size_t)) {
  void* data = ::mmap(nullptr, bytes, writable ? PROT_READ | PROT_WRITE : PROT_READ, MAP_SHARED, fd, 0);
  const int error_number = errno;
  ::close(fd);
  if (data == MAP_FAILED) return status_from_errno(error_number, "mmap " + path);
  return make(static_cast<std::byte*>(data), bytes);
}

}  // namespace

Result<SharedMapping> SharedMapping::create(const std::string& path, std::size_t bytes) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return status_from_errno(errno, "open " + path);
  if (::ftruncate(fd, static_cast<off_t>(bytes)) != 0) {
    const int error_number = errno;
    ::close(fd);
    return status_from_errno(error_number, "ftruncate " + path);
  }
  return map_fd(fd, path, bytes, true, [](std::byte* data, std::size_t size) { return SharedMapping(data, size); });
}

Result<SharedMapping> SharedMapping::open_read_only(const std::string& path, std::size_t bytes) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return status_from_errno(errno, "open " + path);
  struct stat info {};
  if (::fstat(fd, &info) != 0 || static_cast<std::size_t>(info.st_size) < bytes) {
    ::close(fd);
    return corruption(path + ": shorter than " + std::to_string(bytes) + " bytes");
  }
  return map_fd(fd, path, bytes, false, [](std::byte* data, std::size_t size) { return SharedMapping(data, size); });
}

}  // namespace strata::io
