// DirectReadAhead: one direct (O_DIRECT) read of a file running in the background while its reader decodes
// the chunk before it. Linux native AIO (io_setup/io_submit), which, unlike an io_uring, takes no file
// descriptor: a process reading thousands of partitions keeps its descriptors for their segments.
//
// The chunk lands `headroom` bytes into the buffer, so the reader can put the unread end of its current
// chunk (a batch that straddles the two) in front of it without moving the chunk (see engine/reader.cc).
//
// One thread at a time; the destructor waits for a read in flight, so the buffer never goes away under it.
#pragma once

#include <linux/aio_abi.h>

#include <cstddef>
#include <cstdint>
#include <memory>

#include "io/aligned_buffer.h"
#include "strata/status.h"

namespace strata::io {

class DirectReadAhead {
 public:
  // kUnavailable (or the errno's code) where the kernel refuses an AIO context (fs.aio-max-nr reached).
  // REQUIRES: headroom and chunk are multiples of kDirectIoAlignment.
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
  // buffer().data() + headroom(). Nothing is in flight afterwards, even on error.
  Result<std::size_t> finish();
  // Waits for a read in flight and forgets it.
  void abandon();

  std::size_t headroom() const { return headroom_; }
  // The buffer the reads land in; the caller may swap it for another of the same size once nothing is in flight.
  AlignedBuffer& buffer() { return buffer_; }

 private:
  DirectReadAhead(aio_context_t context, std::size_t headroom, std::size_t chunk)
      : context_(context), headroom_(headroom), chunk_(chunk), buffer_(headroom + chunk) {}

  aio_context_t context_;
  const std::size_t headroom_;
  const std::size_t chunk_;
  AlignedBuffer buffer_;
  iocb request_{};
  bool in_flight_ = false;
  int fd_ = -1;
  std::uint64_t offset_ = 0;
};

}  // namespace strata::io
