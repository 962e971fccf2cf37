#include "io/read_only_mapping.h"

#include <sys/mman.h>

#include <cerrno>

#include "strata/errno_status.h"

namespace strata::io {

ReadOnlyMapping::~ReadOnlyMapping() {
  if (data_ != nullptr) ::munmap(const_cast<std::byte*>(data_), bytes_);
}

ReadOnlyMapping& ReadOnlyMapping::operator=(ReadOnlyMapping&& other) noexcept {
  if (this != &other) {
    if (data_ != nullptr) ::munmap(const_cast<std::byte*>(data_), bytes_);
    data_ = std::exchange(other.data_, nullptr);
    bytes_ = std::exchange(other.bytes_, 0);
  }
  return *this;
}

Result<ReadOnlyMapping> ReadOnlyMapping::map(const File& file, std::size_t bytes, bool populate) {
  if (bytes == 0) return ReadOnlyMapping();
  void* data = ::mmap(nullptr, bytes, PROT_READ, MAP_SHARED | (populate ? MAP_POPULATE : 0), file.fd(), 0);
  if (data == MAP_FAILED) return status_from_errno(errno, "mmap " + file.path());
  ::madvise(data, bytes, MADV_SEQUENTIAL);
  return ReadOnlyMapping(static_cast<const std::byte*>(data), bytes);
}

void ReadOnlyMapping::advise_random() const {
  if (data_ != nullptr) ::madvise(const_cast<std::byte*>(data_), bytes_, MADV_RANDOM);
}

}  // namespace strata::io
