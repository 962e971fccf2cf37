// MirroredBuffer: `bytes` of memory mapped twice, back to back, so that any range of up to `bytes` starting
// anywhere in the first copy is contiguous in virtual memory. The writer stages records in it as a circular
// buffer keyed by file position and never has to split a batch, a checksum or a write at the wrap.
// Page-aligned, so it is valid for direct IO.
#pragma once

#include <cstddef>
#include <span>
#include <utility>

#include "strata/status.h"

namespace strata::io {

class MirroredBuffer {
 public:
  MirroredBuffer() = default;
  ~MirroredBuffer();
  MirroredBuffer(MirroredBuffer&& other) noexcept
      : data_(std::exchange(other.data_, nullptr)), bytes_(std::exchange(other.bytes_, 0)) {}
  MirroredBuffer& operator=(MirroredBuffer&& other) noexcept;

  // REQUIRES: bytes is a positive multiple of the page size.
  static Result<MirroredBuffer> create(std::size_t bytes);

  std::size_t size() const { return bytes_; }
  // Both mappings: what a registered (fixed) IO buffer must cover, since a range may run into the second.
  std::span<std::byte> mapped() const { return {data_, 2 * bytes_}; }
  // The address of `position` (any uint64); valid for size() bytes from there.
  std::byte* at(std::uint64_t position) const { return data_ + (position % bytes_); }

 private:
  MirroredBuffer(std::byte* data, std::size_t bytes) : data_(data), bytes_(bytes) {}
  std::byte* data_ = nullptr;
  std::size_t bytes_ = 0;
};

}  // namespace strata::io
