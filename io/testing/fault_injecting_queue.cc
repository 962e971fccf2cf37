#include "io/testing/fault_injecting_queue.h"

#include <cerrno>

namespace strata::io {

bool FaultInjectingQueue::prep_write(int fd, std::span<const std::byte> bytes, std::uint64_t offset,
                                     std::uint64_t user_data) {
  if (!inner_->prep_write(fd, bytes, offset, user_data)) return false;
  queued_write(user_data);
  return true;
}

bool FaultInjectingQueue::prep_write_fixed(int fd, std::span<const std::byte> bytes, std::uint64_t offset,
                                           std::uint64_t user_data, unsigned index) {
  if (!inner_->prep_write_fixed(fd, bytes, offset, user_data, index)) return false;
  queued_write(user_data);
  return true;
}

void FaultInjectingQueue::queued_write(std::uint64_t user_data) {
  is_sync_[user_data] = false;
  last_write_ = user_data;
}

bool FaultInjectingQueue::prep_sync(int fd, std::uint64_t user_data) {
  if (!inner_->prep_sync(fd, user_data)) return false;
  is_sync_[user_data] = true;
  last_write_.reset();
  return true;
}

bool FaultInjectingQueue::prep_sync_after_previous(int fd, std::uint64_t user_data) {
  const std::optional<std::uint64_t> write = last_write_;
  if (!inner_->prep_sync_after_previous(fd, user_data)) return false;
  is_sync_[user_data] = true;
  last_write_.reset();
  if (write) linked_write_[user_data] = *write;
  return true;
}

Result<std::size_t> FaultInjectingQueue::reap(std::span<Completion> out, std::chrono::microseconds timeout) {
  auto reaped = inner_->reap(out, timeout);
  if (!reaped) return reaped;
  for (std::size_t i = 0; i < *reaped; ++i) {
    Completion& completion = out[i];
    const bool sync = is_sync_[completion.user_data];
    is_sync_.erase(completion.user_data);
    if (plan_.counters) plan_.counters->operations.fetch_add(1, std::memory_order_relaxed);
    if (sync) {
      // The linked write was reaped before its sync: the kernel runs the sync only after the write.
      const auto linked = linked_write_.find(completion.user_data);
      const bool cancelled = linked != linked_write_.end() && reported_incomplete_.erase(linked->second) > 0;
      if (linked != linked_write_.end()) linked_write_.erase(linked);
      if (completion.result < 0) continue;  // a real error stays as it is
      if (cancelled) {
        completion.result = -ECANCELED;
      } else if (++syncs_ == plan_.fail_sync_at) {
        completion.result = -EIO;
      } else {
        completion.result = apply_fault(/*sync=*/true, completion.result);
      }
      continue;
    }
    if (plan_.counters) plan_.counters->writes.fetch_add(1, std::memory_order_relaxed);
    if (completion.result < 0) continue;
    ++writes_;
    const std::int32_t faulted = apply_fault(/*sync=*/false, completion.result);
    if (faulted != completion.result) {
      completion.result = faulted;
    } else if (writes_ == plan_.fail_write_at) {
      completion.result = -plan_.write_error;
    } else if (plan_.eagain_every != 0 && writes_ % plan_.eagain_every == 0) {
      completion.result = -EAGAIN;
    } else if (plan_.short_write_every != 0 && writes_ % plan_.short_write_every == 0 &&
               completion.result >= 8192) {
      completion.result = (completion.result / 2) & ~4095;
    } else {
      reported_incomplete_.erase(completion.user_data);
      continue;
    }
    reported_incomplete_.insert(completion.user_data);
  }
  return reaped;
}

std::int32_t FaultInjectingQueue::apply_fault(bool sync, std::int32_t result) {
  if (plan_.fault == Fault::kNone || result < 0) return result;
  const bool applies = !sync || plan_.fault == Fault::kEio || plan_.fault == Fault::kEnospc;
  if (!applies || ++fault_operations_ != plan_.fault_at) return result;
  std::int32_t faulted = result;
  switch (plan_.fault) {
    case Fault::kEio:
      faulted = -EIO;
      break;
    case Fault::kEnospc:
      faulted = -ENOSPC;
      break;
    case Fault::kShortWrite:
      faulted = (result / 2) & ~4095;
      break;
    case Fault::kEagain:
      faulted = -EAGAIN;
      break;
    case Fault::kNone:
      break;
  }
  if (faulted != result && plan_.counters) plan_.counters->injected.fetch_add(1, std::memory_order_relaxed);
  return faulted;
}

}  // namespace strata::io
