#include "io/direct_read_ahead.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>
#include <string>

#include "strata/errno_status.h"

namespace strata::io {

namespace {

long io_setup(unsigned events, aio_context_t* context) { return ::syscall(SYS_io_setup, events, context); }
long io_destroy(aio_context_t context) { return ::syscall(SYS_io_destroy, context); }
long io_submit(aio_context_t context, long count, iocb** requests) {
  return ::syscall(SYS_io_submit, context, count, requests);
}
long io_getevents(aio_context_t context, long min, long max, io_event* events, timespec* timeout) {
  return ::syscall(SYS_io_getevents, context, min, max, events, timeout);
}

}  // namespace

Result<std::unique_ptr<DirectReadAhead>> DirectReadAhead::create(std::size_t headroom, std::size_t chunk) {
  aio_context_t context = 0;
  if (io_setup(1, &context) != 0) return status_from_errno(errno, "io_setup for a direct read-ahead");
  return std::unique_ptr<DirectReadAhead>(new DirectReadAhead(context, headroom, chunk));
}

DirectReadAhead::~DirectReadAhead() {
  abandon();
  (void)io_destroy(context_);
}

Status DirectReadAhead::start(int fd, std::uint64_t offset) {
  STRATA_ASSERT(!in_flight_, "read-ahead started at %llu with one in flight at %llu",
                static_cast<unsigned long long>(offset), static_cast<unsigned long long>(offset_));
  request_ = iocb{};
  request_.aio_lio_opcode = IOCB_CMD_PREAD;
  request_.aio_fildes = static_cast<std::uint32_t>(fd);
  request_.aio_buf = reinterpret_cast<std::uint64_t>(buffer_.data() + headroom_);
  request_.aio_nbytes = chunk_;
  request_.aio_offset = static_cast<std::int64_t>(offset);
  iocb* requests[1] = {&request_};
  long submitted;
  do {
    submitted = io_submit(context_, 1, requests);
  } while (submitted < 0 && errno == EINTR);
  if (submitted != 1) {
    return status_from_errno(submitted < 0 ? errno : EAGAIN, "io_submit of a read at " + std::to_string(offset));
  }
  in_flight_ = true;
  fd_ = fd;
  offset_ = offset;
  return Status::ok();
}

Result<std::size_t> DirectReadAhead::finish() {
  STRATA_ASSERT(in_flight_, "read-ahead finished with nothing in flight");
  io_event event{};
  long got;
  do {
    got = io_getevents(context_, 1, 1, &event, nullptr);
  } while (got < 0 && errno == EINTR);
  in_flight_ = false;
  if (got != 1) return status_from_errno(got < 0 ? errno : EIO, "io_getevents of a read at " + std::to_string(offset_));
  if (event.res < 0) {
    return status_from_errno(static_cast<int>(-event.res), "direct read at " + std::to_string(offset_));
  }
  return static_cast<std::size_t>(event.res);
}

void DirectReadAhead::abandon() {
  if (in_flight_) (void)finish();
}

}  // namespace strata::io
