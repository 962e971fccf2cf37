// StagingPool: the staging buffers of one writer thread's partitions. A partition holds one only while it
// has data to frame or write, and hands it back once it has been quiet a while (Writer::run_timed_upkeep),
// keeping just the bytes of its partial last block: an idle partition holds no staging. (Each partition
// owning its buffer cost 8 MiB of RSS per partition of a topic of 4, mirrored and pinned: 20 topics x 4
// partitions with one event each took 678 MB.)
//
// Buffers handed back are kept for the next partition that asks for the same size, up to `free_bytes_max`
// in all; past that the oldest are unmapped. Each buffer is registered with the writer's IoQueue as a fixed
// buffer under an index of its own while it exists, so writes from it skip pinning pages (where the queue
// cannot register, fixed_index stays kNotRegistered and plain writes are used).
//
// Writer thread only (the queue's owner).
#pragma once

#include <cstddef>
#include <vector>

#include "io/io_queue.h"
#include "io/mirrored_buffer.h"
#include "strata/status.h"

namespace strata::detail {

class StagingPool {
 public:
  static constexpr int kNotRegistered = -1;
  struct Buffer {
    io::MirroredBuffer memory;
    int fixed_index = kNotRegistered;  // the queue's fixed buffer covering both halves of `memory`
    bool empty() const { return memory.size() == 0; }
  };

  // `queue` outlives the pool.
  StagingPool(io::IoQueue& queue, std::size_t free_bytes_max) : queue_(queue), free_bytes_max_(free_bytes_max) {}
  ~StagingPool();
  StagingPool(const StagingPool&) = delete;
  StagingPool& operator=(const StagingPool&) = delete;

  // A buffer of `bytes` (a kept one if there is one of that size, else a new one). Its contents are
  // whatever its last holder left. An error naming the size when it cannot be mapped.
  Result<Buffer> acquire(std::size_t bytes);
  // Takes a buffer back. REQUIRES: no write from it is in flight.
  void release(Buffer buffer);

  std::size_t free_bytes() const { return free_bytes_; }
  std::size_t free_buffers() const { return free_.size(); }

 private:
  void destroy(Buffer& buffer);

  io::IoQueue& queue_;
  const std::size_t free_bytes_max_;
  std::vector<Buffer> free_;  // oldest first; a handful at most (free_bytes_max_ bounds it)
  std::size_t free_bytes_ = 0;
  std::vector<unsigned> free_indexes_;  // fixed-buffer indexes of destroyed buffers, for reuse
  unsigned next_index_ = 0;
};

}  // namespace strata::detail
