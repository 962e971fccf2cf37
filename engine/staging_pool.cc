#include "engine/staging_pool.h"

#include <algorithm>

namespace strata::detail {

StagingPool::~StagingPool() {
  for (Buffer& buffer : free_) destroy(buffer);
}

Result<StagingPool::Buffer> StagingPool::acquire(std::size_t bytes) {
  // The newest kept buffer of this size: its pages are the likeliest to be in the caches.
  const auto kept = std::find_if(free_.rbegin(), free_.rend(), [&](const Buffer& b) { return b.memory.size() == bytes; });
  if (kept != free_.rend()) {
    Buffer buffer = std::move(*kept);
    free_.erase(std::next(kept).base());
    free_bytes_ -= bytes;
    return buffer;
  }
  auto memory = io::MirroredBuffer::create(bytes);
  if (!memory) {
    return Status(memory.status().code(),
                  "a staging buffer of " + std::to_string(bytes) + " bytes: " + memory.status().message());
  }
  Buffer buffer{std::move(memory.value()), kNotRegistered};
  unsigned index = next_index_;
  if (!free_indexes_.empty()) {
    index = free_indexes_.back();
    free_indexes_.pop_back();
  } else {
    ++next_index_;
  }
  if (queue_.register_buffer(index, buffer.memory.mapped())) {
    buffer.fixed_index = static_cast<int>(index);
  } else {
    free_indexes_.push_back(index);
  }
  return buffer;
}

void StagingPool::release(Buffer buffer) {
  if (buffer.empty()) return;
  free_bytes_ += buffer.memory.size();
  free_.push_back(std::move(buffer));
  while (free_bytes_ > free_bytes_max_) {
    free_bytes_ -= free_.front().memory.size();
    destroy(free_.front());
    free_.erase(free_.begin());
  }
}

void StagingPool::destroy(Buffer& buffer) {
  if (buffer.fixed_index != kNotRegistered) {
    // Unregistered before the unmap, so that the kernel does not keep the pages pinned for an empty slot.
    queue_.unregister_buffer(static_cast<unsigned>(buffer.fixed_index));
    free_indexes_.push_back(static_cast<unsigned>(buffer.fixed_index));
    buffer.fixed_index = kNotRegistered;
  }
  buffer.memory = io::MirroredBuffer();
}

}  // namespace strata::detail
