// The start of a request frame that has not fully arrived: a byte buffer whose growth moves the bytes already
// there with one memcpy and leaves the new bytes uninitialized (recv() fills them; zeroing up to a megabyte
// ahead of every read costs more than the read, and a std::vector with a custom allocator moves byte by byte).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <memory>
#include <span>

namespace strata::kafka {

class InputBuffer {
 public:
  bool empty() const { return size_ == 0; }
  std::size_t size() const { return size_; }
  std::size_t capacity() const { return capacity_; }
  std::byte* data() { return bytes_.get(); }
  const std::byte* data() const { return bytes_.get(); }
  operator std::span<const std::byte>() const { return {bytes_.get(), size_}; }

  // New bytes past the old size are uninitialized.
  void resize(std::size_t size) {
    reserve(size);
    size_ = size;
  }
  void reserve(std::size_t capacity) {
    if (capacity <= capacity_) return;
    capacity = std::max(capacity, capacity_ + capacity_ / 2);
    auto grown = std::make_unique_for_overwrite<std::byte[]>(capacity);
    if (size_ > 0) std::memcpy(grown.get(), bytes_.get(), size_);
    bytes_ = std::move(grown);
    capacity_ = capacity;
  }
  void assign(std::span<const std::byte> bytes) {
    reserve(bytes.size());
    if (!bytes.empty()) std::memcpy(bytes_.get(), bytes.data(), bytes.size());
    size_ = bytes.size();
  }
  // Drops the first `count` bytes; the rest move to the front.
  void consume(std::size_t count) {
    count = std::min(count, size_);
    if (count < size_) std::memmove(bytes_.get(), bytes_.get() + count, size_ - count);
    size_ -= count;
  }
  void clear() { size_ = 0; }
  // Gives the memory back when empty (the buffer is kept between frames of a busy connection).
  void release_if_empty() {
    if (size_ != 0) return;
    bytes_.reset();
    capacity_ = 0;
  }

 private:
  std::unique_ptr<std::byte[]> bytes_;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
};

}  // namespace strata::kafka
