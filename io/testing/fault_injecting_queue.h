// FaultInjectingQueue: wraps a real IoQueue and changes what its completions say, to prove the writer's error
// paths: short writes, -EAGAIN, and errors (EIO, ENOSPC) on writes or syncs. The real operation still runs;
// only its reported result changes (a reported short write really wrote everything, which is harmless: the
// writer rewrites the rest). A sync linked to a write reported failed or short reports -ECANCELED, as the
// kernel's would.
//
// Tests install it for every queue the process creates with set_io_queue_wrapper_for_testing().
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include "io/io_queue.h"

namespace strata::io {

// One fault at one operation, for running a workload once per operation (SQLite's way): count the operations
// of a clean run (FaultCounters::operations), then inject the fault at each N in turn.
enum class Fault : std::uint8_t {
  kNone,
  kEio,         // a write or fdatasync reports -EIO
  kEnospc,      // a write or fdatasync reports -ENOSPC
  kShortWrite,  // a write reports half its length (block-aligned; the write of less than two blocks: nothing)
  kEagain,      // a write reports -EAGAIN
};
struct FaultCounters {
  std::atomic<std::uint64_t> operations{0};  // completions of writes and syncs seen
  std::atomic<std::uint64_t> writes{0};      // of which writes
  std::atomic<std::uint64_t> injected{0};    // faults reported
};

struct FaultPlan {
  unsigned short_write_every = 0;  // every Nth write reports half its length (block-aligned); 0: never
  unsigned eagain_every = 0;       // every Nth write reports -EAGAIN; 0: never
  unsigned fail_write_at = 0;      // the Nth write (1-based) reports -write_error; 0: never
  int write_error = 5;             // EIO
  unsigned fail_sync_at = 0;       // the Nth sync reports -EIO; 0: never
  Fault fault = Fault::kNone;  // reported by the fault_at-th operation it applies to (1-based): writes and
  std::uint64_t fault_at = 0;  // syncs for kEio and kEnospc, writes only for kShortWrite and kEagain
  std::shared_ptr<FaultCounters> counters = nullptr;  // optional, shared with the test
};

class FaultInjectingQueue final : public IoQueue {
 public:
  FaultInjectingQueue(std::unique_ptr<IoQueue> inner, FaultPlan plan)
      : inner_(std::move(inner)), plan_(plan) {}

  std::string_view description() const override { return inner_->description(); }
  bool prep_write(int fd, std::span<const std::byte> bytes, std::uint64_t offset,
                  std::uint64_t user_data) override;
  bool prep_sync(int fd, std::uint64_t user_data) override;
  bool prep_sync_after_previous(int fd, std::uint64_t user_data) override;
  bool register_buffer(unsigned index, std::span<std::byte> bytes) override {
    return inner_->register_buffer(index, bytes);
  }
  void unregister_buffer(unsigned index) override { inner_->unregister_buffer(index); }
  bool prep_write_fixed(int fd, std::span<const std::byte> bytes, std::uint64_t offset,
                        std::uint64_t user_data, unsigned index) override;
  Status submit() override {
    last_write_.reset();
    return inner_->submit();
  }
  Result<std::size_t> reap(std::span<Completion> out, std::chrono::microseconds timeout) override;
  std::size_t in_flight() const override { return inner_->in_flight(); }

 private:
  std::unique_ptr<IoQueue> inner_;
  FaultPlan plan_;
  void queued_write(std::uint64_t user_data);
  // The result the completion reports under the plan's single fault.
  std::int32_t apply_fault(bool sync, std::int32_t result);

  std::unordered_map<std::uint64_t, bool> is_sync_;                // by user_data, for operations in flight
  std::optional<std::uint64_t> last_write_;                        // the write a sync queued now would follow
  std::unordered_map<std::uint64_t, std::uint64_t> linked_write_;  // linked sync -> its write
  std::unordered_set<std::uint64_t> reported_incomplete_;          // writes reported failed or short
  unsigned writes_ = 0;
  unsigned syncs_ = 0;
  std::uint64_t fault_operations_ = 0;  // operations the plan's `fault` applies to, so far
};

}  // namespace strata::io
