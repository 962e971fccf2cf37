// SharedMapping: a small file mapped MAP_SHARED, read-write (the process that owns it) or read-only (others),
// so that a value one process stores is seen by every process that maps the file, with no system call. The
// log publishes each partition's synced offset this way (engine/synced_marker.h).
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <utility>

#include "strata/status.h"

namespace strata::io {

class SharedMapping {
 public:
  SharedMapping() = default;
  ~SharedMapping();
  SharedMapping(SharedMapping&& other) noexcept
      : data_(std::exchange(other.data_, nullptr)), bytes_(std::exchange(other.bytes_, 0)) {}
  SharedMapping& operator=(SharedMapping&& other) noexcept;

  // Creates the file if missing, sizes it to `bytes` (zeros) and maps it read-write.
  static Result<SharedMapping> create(const std::string& path, std::size_t bytes);
  // Maps an existing file read-only; kNotFound when missing, kCorruption when shorter than `bytes`.
  static Result<SharedMapping> open_read_only(const std::string& path, std::size_t bytes);

  std::span<std::byte> bytes() const { return {data_, bytes_}; }

 private:
  SharedMapping(std::byte* data, std::size_t bytes) : data_(data), bytes_(bytes) {}
  std::byte* data_ = nullptr;
  std::size_t bytes_ = 0;
};

}  // namespace strata::io
