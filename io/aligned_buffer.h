// AlignedBuffer: zero-filled memory aligned for direct IO (to 4096 bytes, which covers every device's DIO
// memory alignment). Allocated once; never on a hot path.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>
#include <span>
#include <utility>

#include "strata/assert.h"

namespace strata::io {

inline constexpr std::size_t kDirectIoAlignment = 4096;

// File positions and lengths rounded to whole direct-IO blocks.
constexpr std::uint64_t round_down_to_block(std::uint64_t position) {
  return position & ~std::uint64_t{kDirectIoAlignment - 1};
}
constexpr std::uint64_t round_up_to_block(std::uint64_t position) {
  return round_down_to_block(position + kDirectIoAlignment - 1);
}

class AlignedBuffer {
 public:
  AlignedBuffer() = default;
  // REQUIRES: bytes is a multiple of kDirectIoAlignment.
  explicit AlignedBuffer(std::size_t bytes) : bytes_(bytes) {
    STRATA_ASSERT(bytes % kDirectIoAlignment == 0, "buffer of %zu bytes is not a multiple of %zu", bytes,
                  kDirectIoAlignment);
    data_ = static_cast<std::byte*>(::operator new (bytes, std::align_val_t{kDirectIoAlignment}));
    std::memset(data_, 0, bytes);
  }
  ~AlignedBuffer() { reset(); }
  AlignedBuffer(AlignedBuffer&& other) noexcept
      : data_(std::exchange(other.data_, nullptr)), bytes_(std::exchange(other.bytes_, 0)) {}
  AlignedBuffer& operator=(AlignedBuffer&& other) noexcept {
    if (this != &other) {
      reset();
      data_ = std::exchange(other.data_, nullptr);
      bytes_ = std::exchange(other.bytes_, 0);
    }
    return *this;
  }

  // Gives up the memory without freeing it (for memory a lost direct read may still write to).
  std::byte* release() {
    bytes_ = 0;
    return std::exchange(data_, nullptr);
  }

  std::byte* data() const { return data_; }
  std::size_t size() const { return bytes_; }
  std::span<std::byte> span() const { return {data_, bytes_}; }

 private:
  void reset() {
    if (data_ != nullptr) ::operator delete (data_, std::align_val_t{kDirectIoAlignment});
    data_ = nullptr;
    bytes_ = 0;
  }
  std::byte* data_ = nullptr;
  std::size_t bytes_ = 0;
};

}  // namespace strata::io
