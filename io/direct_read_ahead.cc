#include "io/direct_read_ahead.h"

#include <atomic>
#include <cerrno>
#include <string>

#include "strata/errno_status.h"

namespace strata::io {

namespace {

std::atomic<int> alive{0};  // DirectReadAheads in the process, or reserved by a create() under way

}  // namespace

Result<std::unique_ptr<DirectReadAhead>> DirectReadAhead::create(std::size_t headroom, std::size_t chunk) {
  if (alive.fetch_add(1, std::memory_order_relaxed) >= kAliveMax) {
    alive.fetch_sub(1, std::memory_order_relaxed);
    return Status(StatusCode::kFull, std::to_string(kAliveMax) + " direct read-aheads exist already");
  }
  io_uring ring{};
  if (const int error = io_uring_queue_init(2, &ring, 0); error < 0) {
    alive.fetch_sub(1, std::memory_order_relaxed);
    return status_from_errno(-error, "io_uring for a direct read-ahead");
  }
  return std::unique_ptr<DirectReadAhead>(new DirectReadAhead(ring, headroom, chunk));
}

DirectReadAhead::~DirectReadAhead() {
  abandon();
  io_uring_queue_exit(&ring_);
  if (broken_) (void)buffer_.release();  // the lost read may still land in it
  alive.fetch_sub(1, std::memory_order_relaxed);
}

Status DirectReadAhead::start(int fd, std::uint64_t offset) {
  STRATA_ASSERT(!in_flight_, "read-ahead started at %llu with one in flight at %llu",
                static_cast<unsigned long long>(offset), static_cast<unsigned long long>(offset_));
  STRATA_ASSERT(buffer_.size() >= headroom_ + chunk_, "read-ahead buffer of %zu bytes", buffer_.size());
  if (broken_) return status_from_errno(EIO, "read-ahead at " + std::to_string(offset) + " after a lost one");
  io_uring_sqe* entry = io_uring_get_sqe(&ring_);
  if (entry == nullptr) return status_from_errno(EBUSY, "read-ahead at " + std::to_string(offset));
  io_uring_prep_read(entry, fd, buffer_.data() + headroom_, static_cast<unsigned>(chunk_), offset);
  if (const int submitted = io_uring_submit(&ring_); submitted != 1) {
    const int error = submitted < 0 ? -submitted : EAGAIN;
    return status_from_errno(error, "submitting a read at " + std::to_string(offset));
  }
  in_flight_ = true;
  fd_ = fd;
  offset_ = offset;
  return Status::ok();
}

Result<std::size_t> DirectReadAhead::finish() {
  STRATA_ASSERT(in_flight_, "read-ahead finished with nothing in flight");
  io_uring_cqe* completion = nullptr;
  int error;
  do {
    error = io_uring_wait_cqe(&ring_, &completion);
  } while (error == -EINTR);
  if (error < 0) {
    in_flight_ = false;
    broken_ = true;
    return status_from_errno(-error, "waiting for a read at " + std::to_string(offset_));
  }
  const int result = completion->res;
  io_uring_cqe_seen(&ring_, completion);
  in_flight_ = false;
  if (result < 0) return status_from_errno(-result, "direct read at " + std::to_string(offset_));
  return static_cast<std::size_t>(result);
}

void DirectReadAhead::abandon() {
  if (in_flight_) (void)finish();
}

}  // namespace strata::io
