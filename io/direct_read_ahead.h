// DirectReadAhead: one direct (O_DIRECT) read of a file running in the background while its reader decodes
// the chunk before it, through an io_uring of its own (one file descriptor; setting it up and tearing it
// down take ~15 and ~8 us here. Linux native AIO takes no descriptor, but io_destroy waits for an RCU grace
// period: 32 ms per reader closed on this VM).
//
// The chunk lands `headroom` bytes into the buffer, so the reader can put the unread end of its current
// chunk (a batch that straddles the two) in front of it without moving the chunk (see engine/reader.cc).
//
// One thread at a time; the destructor waits for a read in flight, so the buffer never goes away under it.
#pragma once

#include <liburing.h>

#include <cstddef>
#include <cstdint>
#include <memory>

#include "io/aligned_buffer.h"
#include "strata/status.h"

namespace strata::io {

class DirectReadAhead {
 public:
  // At most this many exist in a process at once (each holds a descriptor and headroom + chunk bytes): a
  // reader of thousands of partitions reads most of them without one.
  static constexpr int kAliveMax = 64;
  // An error where kAliveMax exist, or the kernel refuses an io_uring (no descriptor left, io_uring
  // disabled). REQUIRES: headroom and chunk are multiples of kDirectIoAlignment.
  static Result<std::unique_ptr<DirectReadAhead>> create(std::size_t headroom, std::size_t chunk);
  ~DirectReadAhead();
  DirectReadAhead(const DirectReadAhead&) = delete;
  DirectReadAhead& operator=(const DirectReadAhead&) = delete;

  // Starts reading `chunk` bytes of `fd` (in O_DIRECT mode) at `offset` (aligned). REQUIRES: !in_flight().
  Status start(int fd, std::uint64_t offset);
  bool in_flight() const { return in_flight_; }
  int fd() const { return fd_; }
  std::uint64_t offset() const { return offset_; }

  // Waits for the read started: how many bytes it read (short at the end of the file) into
  // buffer().data() + headroom(). Nothing is in flight afterwards, even on error (if waiting itself fails,
  // the ring is given up: start() refuses from then on, and the buffer is never freed under the read).
  Result<std::size_t> finish();
  // Waits for a read in flight and forgets it.
  void abandon();

  std::size_t headroom() const { return headroom_; }
  // The buffer the reads land in; the caller may swap it for another as large while nothing is in flight.
  AlignedBuffer& buffer() { return buffer_; }

 private:
  DirectReadAhead(io_uring ring, std::size_t headroom, std::size_t chunk)
      : ring_(ring), headroom_(headroom), chunk_(chunk), buffer_(headroom + chunk) {}

  io_uring ring_;
  const std::size_t headroom_;
  const std::size_t chunk_;
  AlignedBuffer buffer_;
  bool in_flight_ = false;
  bool broken_ = false;  // waiting failed with a read in flight
  int fd_ = -1;
  std::uint64_t offset_ = 0;
};

}  // namespace strata::io
