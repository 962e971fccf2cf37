// IoQueue: the asynchronous write interface the log's writer thread drives. Two implementations:
//   UringQueue - io_uring (the default),
//   SyncQueue  - plain pwrite/fdatasync executed at submit time, for kernels or containers without io_uring.
// Tests wrap either (set_io_queue_wrapper_for_testing) in the queues of io/testing/: FaultInjectingQueue for
// short writes, EAGAIN, EIO, ENOSPC and failed syncs; PowerLossQueue for what a power cut leaves on disk.
//
// Threads: one thread owns a queue (io_uring is set up SINGLE_ISSUER); nothing here is thread-safe.
// Results follow liburing: a completion's result is bytes written (>= 0) or -errno.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string_view>

#include "strata/status.h"

namespace strata::io {

struct Completion {
  std::uint64_t user_data;
  std::int32_t result;  // bytes written, 0 for a sync, or -errno
};

class IoQueue {
 public:
  virtual ~IoQueue() = default;

  // "io_uring (single issuer, deferred task run)", "pwrite (io_uring unavailable: ...)", ...
  virtual std::string_view description() const = 0;

  // Queues a write of `bytes` at `offset`; false when the submission queue is full (submit and reap first).
  // REQUIRES for direct-IO files: bytes.data(), bytes.size() and offset aligned.
  virtual bool prep_write(int fd, std::span<const std::byte> bytes, std::uint64_t offset,
                          std::uint64_t user_data) = 0;
  // Registers `bytes` as fixed buffer `index`, so writes from it skip pinning its pages on every I/O. False
  // when this queue cannot (SyncQueue, or the kernel refused); plain prep_write() still works then.
  virtual bool register_buffer(unsigned index, std::span<std::byte> bytes) = 0;
  // Empties fixed buffer `index` (the kernel unpins its pages once writes in flight from it completed), so
  // that the memory can be unmapped. A no-op where nothing was registered.
  virtual void unregister_buffer(unsigned index) = 0;
  // prep_write() from inside the buffer registered as `index`.
  virtual bool prep_write_fixed(int fd, std::span<const std::byte> bytes, std::uint64_t offset,
                                std::uint64_t user_data, unsigned index) = 0;
  // Queues an fdatasync of fd; it covers every write that completed before it was submitted.
  virtual bool prep_sync(int fd, std::uint64_t user_data) = 0;
  // Queues an fdatasync that starts when the operation queued just before it completes in full, so it also
  // covers that one; if that operation fails or writes short, the sync does not run and completes with
  // -ECANCELED. False when nothing is queued to follow (submit() was called since) or the queue is full.
  virtual bool prep_sync_after_previous(int fd, std::uint64_t user_data) = 0;
  // Hands the queued operations to the kernel.
  virtual Status submit() = 0;
  // Collects up to out.size() completions, waiting up to `timeout` for the first (zero: do not wait).
  virtual Result<std::size_t> reap(std::span<Completion> out, std::chrono::microseconds timeout) = 0;
  // Operations submitted or queued whose completions were not reaped yet.
  virtual std::size_t in_flight() const = 0;
};

enum class IoBackend : std::uint8_t {
  kAuto,    // io_uring when the kernel allows it, otherwise pwrite
  kUring,   // io_uring or fail
  kPwrite,  // always pwrite
};

// Makes every io_uring setup from now on fail with `error_number` (0: stop), as a kernel with io_uring
// disabled (EPERM from the sysctl, ENOSYS under seccomp) would. For tests.
void force_uring_setup_failure_for_testing(int error_number);

using IoQueueWrapper = std::function<std::unique_ptr<IoQueue>(std::unique_ptr<IoQueue>)>;
// Every queue make_io_queue() creates from now on is passed through `wrapper` (empty: no wrapping). For tests.
void set_io_queue_wrapper_for_testing(IoQueueWrapper wrapper);

// Creates the queue for the calling thread (which must be the one that submits). `entries` bounds the
// operations in flight.
Result<std::unique_ptr<IoQueue>> make_io_queue(IoBackend backend, unsigned entries);

}  // namespace strata::io
