// UringQueue and SyncQueue, and the choice between them.
#include <liburing.h>
#include <sys/uio.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <deque>
#include <mutex>
#include <string>

#include "strata/errno_status.h"
#include "io/io_queue.h"

namespace strata::io {

namespace {

class UringQueue final : public IoQueue {
 public:
  UringQueue(io_uring ring, std::string description) : ring_(ring), description_(std::move(description)) {
    // A sparse table that buffers are added to as topics appear; without it writes are simply not fixed.
    fixed_buffers_ = io_uring_register_buffers_sparse(&ring_, kFixedBuffersMax) == 0;
  }
  ~UringQueue() override { io_uring_queue_exit(&ring_); }

  std::string_view description() const override { return description_; }

  bool prep_write(int fd, std::span<const std::byte> bytes, std::uint64_t offset,
                  std::uint64_t user_data) override {
    io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
    if (sqe == nullptr) return false;
    io_uring_prep_write(sqe, fd, bytes.data(), static_cast<unsigned>(bytes.size()), offset);
    io_uring_sqe_set_data64(sqe, user_data);
    queued(sqe);
    return true;
  }

  bool register_buffer(unsigned index, std::span<std::byte> bytes) override {
    if (!fixed_buffers_ || index >= kFixedBuffersMax) return false;
    iovec vector{bytes.data(), bytes.size()};
    return io_uring_register_buffers_update_tag(&ring_, index, &vector, nullptr, 1) == 1;
  }

  void unregister_buffer(unsigned index) override {
    if (!fixed_buffers_ || index >= kFixedBuffersMax) return;
    // A sparse table's empty entry: no address, no length.
    iovec empty{nullptr, 0};
    (void)io_uring_register_buffers_update_tag(&ring_, index, &empty, nullptr, 1);
  }

  bool prep_write_fixed(int fd, std::span<const std::byte> bytes, std::uint64_t offset,
                        std::uint64_t user_data, unsigned index) override {
    io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
    if (sqe == nullptr) return false;
    io_uring_prep_write_fixed(sqe, fd, bytes.data(), static_cast<unsigned>(bytes.size()), offset,
                              static_cast<int>(index));
    io_uring_sqe_set_data64(sqe, user_data);
    queued(sqe);
    return true;
  }

  bool prep_sync(int fd, std::uint64_t user_data) override {
    io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
    if (sqe == nullptr) return false;
    io_uring_prep_fsync(sqe, fd, IORING_FSYNC_DATASYNC);
    io_uring_sqe_set_data64(sqe, user_data);
    queued(sqe);
    return true;
  }

  bool prep_sync_after_previous(int fd, std::uint64_t user_data) override {
    io_uring_sqe* previous = last_queued_;
    if (previous == nullptr) return false;
    if (!prep_sync(fd, user_data)) return false;
    // A link runs the next entry only after this one succeeded; a short write counts as a failure.
    previous->flags |= IOSQE_IO_LINK;
    return true;
  }

  Status submit() override {
    last_queued_ = nullptr;  // entries handed to the kernel can no longer be linked to
    // Bounded: each pass either submits something or fails.
    for (int attempt = 0; io_uring_sq_ready(&ring_) > 0; ++attempt) {
      const int result = io_uring_submit(&ring_);
      if (result >= 0) continue;
      if ((result == -EINTR || result == -EAGAIN || result == -EBUSY) && attempt < 1000) continue;
      return status_from_errno(-result, "io_uring_submit");
    }
    return Status::ok();
  }

  Result<std::size_t> reap(std::span<Completion> out, std::chrono::microseconds timeout) override {
    io_uring_cqe* cqe = nullptr;
    if (timeout.count() == 0 && in_flight_ > 0 && io_uring_cq_ready(&ring_) == 0) {
      // With DEFER_TASKRUN completions are only posted when we enter the kernel to ask for them; a plain
      // peek would never see any.
      const int result = io_uring_get_events(&ring_);
      if (result < 0 && result != -EINTR && result != -EAGAIN && result != -EBUSY) {
        return status_from_errno(-result, "io_uring_get_events");
      }
    }
    if (timeout.count() > 0 && in_flight_ > 0) {
      __kernel_timespec wait{timeout.count() / 1'000'000, (timeout.count() % 1'000'000) * 1000};
      const int result = io_uring_wait_cqe_timeout(&ring_, &cqe, &wait);
      if (result < 0 && result != -ETIME && result != -EINTR && result != -EAGAIN) {
        return status_from_errno(-result, "io_uring_wait_cqe");
      }
    }
    std::size_t reaped = 0;
    while (reaped < out.size() && io_uring_peek_cqe(&ring_, &cqe) == 0) {
      out[reaped++] = {io_uring_cqe_get_data64(cqe), cqe->res};
      io_uring_cqe_seen(&ring_, cqe);
      --in_flight_;
    }
    return reaped;
  }

  std::size_t in_flight() const override { return in_flight_; }

 private:
  void queued(io_uring_sqe* sqe) {
    last_queued_ = sqe;
    ++in_flight_;
  }

  static constexpr unsigned kFixedBuffersMax = 4096;  // staging buffers lent at once (engine/staging_pool.h)
  io_uring ring_;
  io_uring_sqe* last_queued_ = nullptr;  // the entry prep_sync_after_previous() links to, until submit()
  std::string description_;
  std::size_t in_flight_ = 0;
  bool fixed_buffers_ = false;
};

// Executes each operation at submit time with pwrite/fdatasync; completions are queued for reap().
class SyncQueue final : public IoQueue {
 public:
  explicit SyncQueue(std::string description) : description_(std::move(description)) {}

  std::string_view description() const override { return description_; }

  bool prep_write(int fd, std::span<const std::byte> bytes, std::uint64_t offset,
                  std::uint64_t user_data) override {
    pending_.push_back({fd, bytes, offset, user_data, false, false});
    return true;
  }
  bool prep_sync(int fd, std::uint64_t user_data) override {
    pending_.push_back({fd, {}, 0, user_data, true, false});
    return true;
  }
  bool prep_sync_after_previous(int fd, std::uint64_t user_data) override {
    if (pending_.empty()) return false;
    pending_.push_back({fd, {}, 0, user_data, true, true});
    return true;
  }
  bool register_buffer(unsigned /*index*/, std::span<std::byte> /*bytes*/) override { return false; }
  void unregister_buffer(unsigned /*index*/) override {}
  bool prep_write_fixed(int fd, std::span<const std::byte> bytes, std::uint64_t offset,
                        std::uint64_t user_data, unsigned /*index*/) override {
    return prep_write(fd, bytes, offset, user_data);
  }

  Status submit() override {
    bool previous_complete = true;
    for (const Operation& op : pending_) {
      int result = 0;
      if (op.after_previous && !previous_complete) {
        result = -ECANCELED;
      } else if (op.sync) {
        result = ::fdatasync(op.fd) == 0 ? 0 : -errno;
      } else {
        const ssize_t n = ::pwrite(op.fd, op.bytes.data(), op.bytes.size(), static_cast<off_t>(op.offset));
        result = n >= 0 ? static_cast<std::int32_t>(n) : -errno;
      }
      previous_complete = result >= 0 && (op.sync || static_cast<std::size_t>(result) == op.bytes.size());
      done_.push_back({op.user_data, result});
    }
    pending_.clear();
    return Status::ok();
  }

  Result<std::size_t> reap(std::span<Completion> out, std::chrono::microseconds /*timeout*/) override {
    std::size_t reaped = 0;
    while (reaped < out.size() && !done_.empty()) {
      out[reaped++] = done_.front();
      done_.pop_front();
    }
    return reaped;
  }

  std::size_t in_flight() const override { return pending_.size() + done_.size(); }

 private:
  struct Operation {
    int fd;
    std::span<const std::byte> bytes;
    std::uint64_t offset;
    std::uint64_t user_data;
    bool sync;
    bool after_previous;  // runs only if the operation before it completed in full
  };
  std::string description_;
  std::deque<Operation> pending_;
  std::deque<Completion> done_;
};

std::atomic<int> forced_setup_errno{0};

// Tries the best io_uring setup first and falls back flag by flag; returns -errno of the last failure.
int setup_uring(unsigned entries, io_uring* ring, std::string* description) {
  if (const int forced = forced_setup_errno.load(); forced != 0) return -forced;
  struct Attempt {
    unsigned flags;
    const char* name;
  };
  const Attempt attempts[] = {
      {IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
       "io_uring (single issuer, deferred task run)"},
      {IORING_SETUP_COOP_TASKRUN, "io_uring (cooperative task run)"},
      {0, "io_uring"},
  };
  int result = -ENOSYS;
  for (const Attempt& attempt : attempts) {
    result = io_uring_queue_init(entries, ring, attempt.flags);
    if (result == 0) {
      *description = attempt.name;
      return 0;
    }
    if (result != -EINVAL) break;  // EINVAL: this kernel lacks a flag; anything else: io_uring itself refused
  }
  return result;
}

std::mutex wrapper_mutex;
IoQueueWrapper& wrapper_slot() {
  static IoQueueWrapper wrapper;
  return wrapper;
}

std::unique_ptr<IoQueue> wrap_for_testing(std::unique_ptr<IoQueue> queue) {
  std::lock_guard lock(wrapper_mutex);
  return wrapper_slot() ? wrapper_slot()(std::move(queue)) : std::move(queue);
}

}  // namespace

void set_io_queue_wrapper_for_testing(IoQueueWrapper wrapper) {
  std::lock_guard lock(wrapper_mutex);
  wrapper_slot() = std::move(wrapper);
}

void force_uring_setup_failure_for_testing(int error_number) {
  forced_setup_errno.store(error_number);
}

Result<std::unique_ptr<IoQueue>> make_io_queue(IoBackend backend, unsigned entries) {
  if (backend == IoBackend::kPwrite) {
    return wrap_for_testing(std::make_unique<SyncQueue>("pwrite (chosen by option)"));
  }
  io_uring ring{};
  std::string description;
  const int result = setup_uring(entries, &ring, &description);
  if (result == 0) return wrap_for_testing(std::make_unique<UringQueue>(ring, description));
  const std::string reason = std::strerror(-result);
  if (backend == IoBackend::kUring) {
    return Status(StatusCode::kUnsupported,
                  "io_uring is unavailable (" + reason +
                      "; disabled by the kernel.io_uring_disabled sysctl or a seccomp policy?) and the log "
                      "was opened requiring it");
  }
  return wrap_for_testing(std::make_unique<SyncQueue>("pwrite (io_uring unavailable: " + reason + ")"));
}

}  // namespace strata::io
