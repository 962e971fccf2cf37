// Owns the aligned, zero-filled memory that a ring's records live in. Allocated once, at construction, as an
// anonymous mapping: the kernel hands out zeroed pages as they are first touched, so a ring (or a lane of
// the shared producer's ring) that is never used costs address space, not memory.
#pragma once

#include <sys/mman.h>

#include <cstddef>
#include <new>

#include "ring/record_header.h"
#include "strata/assert.h"

namespace strata::ring {

class RingBuffer {
 public:
  // REQUIRES: capacity_bytes is a power of two and at least 256.
  explicit RingBuffer(std::size_t capacity_bytes) : capacity_(capacity_bytes), mask_(capacity_bytes - 1) {
    STRATA_ASSERT(is_valid_capacity(capacity_bytes), "ring capacity %zu is not a power of two >= 256",
                  capacity_bytes);
    void* memory = ::mmap(nullptr, capacity_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (memory == MAP_FAILED) throw std::bad_alloc();
    data_ = static_cast<std::byte*>(memory);
  }
  ~RingBuffer() { ::munmap(data_, capacity_); }
  RingBuffer(const RingBuffer&) = delete;
  RingBuffer& operator=(const RingBuffer&) = delete;

  static constexpr bool is_valid_capacity(std::size_t bytes) {
    return is_power_of_two(bytes) && bytes >= 256;
  }

  std::size_t capacity() const { return capacity_; }
  std::size_t offset(std::uint64_t position) const { return static_cast<std::size_t>(position & mask_); }
  std::byte* at(std::uint64_t position) const { return data_ + offset(position); }
  RecordHeader* header_at(std::uint64_t position) const {
    return reinterpret_cast<RecordHeader*>(
        at(position));  // NOLINT: records are 8-byte aligned by construction
  }

  // Largest payload one record may carry: a slot of at most half the ring (less the most the consumer's
  // published head may lag its reads) always fits once the ring drains, even when it must be preceded by
  // padding to the end of the buffer.
  std::size_t max_payload_bytes(std::size_t head_lag_bytes_max = 0) const {
    return capacity_ / 2 - head_lag_bytes_max - kRecordHeaderBytes;
  }

 private:
  std::byte* data_;
  const std::size_t capacity_;
  const std::uint64_t mask_;
};

}  // namespace strata::ring
