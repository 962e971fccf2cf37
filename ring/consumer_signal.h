// ConsumerSignal lets a ring's consumer sleep while the ring is empty and lets producers wake it, without a
// system call per record: a producer makes the futex call only when the consumer announced that it sleeps.
//
//   consumer: wait_for(is_empty, timeout)  sleeps unless is_empty() turns false; spurious wake-ups allowed
//   producer: after commit(), notify()     one fence and one load when nobody sleeps
//
// The handshake is Dekker's: the consumer announces, fences, re-checks the ring; the producer publishes,
// fences, checks the announcement. At least one of them sees the other's write.
#pragma once

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <ctime>

#include "ring/record_header.h"

namespace strata::ring {

class ConsumerSignal {
 public:
  // Consumer thread only. Returns at once if the ring is not empty; otherwise sleeps until notified or until
  // `timeout` passes.
  template <typename IsEmpty>
  void wait_for(IsEmpty&& is_empty, std::chrono::nanoseconds timeout) {
    const std::uint32_t epoch = epoch_.load(std::memory_order_acquire);
    sleeping_.store(1, std::memory_order_relaxed);
    // Seq_cst fence: our announcement is ordered before the re-check (pairs with notify()'s fence).
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (is_empty()) futex_wait(epoch, timeout);
    sleeping_.store(0, std::memory_order_relaxed);
  }

  // Any producer thread, after publishing. Wakes the consumer if it sleeps or is about to.
  void notify() {
    // Seq_cst fence: the publish before this call is ordered before reading the announcement.
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (sleeping_.load(std::memory_order_relaxed) == 0) [[likely]] return;
    // Only the producer that clears the announcement makes the system call.
    if (sleeping_.exchange(0, std::memory_order_relaxed) != 0) notify_slow();
  }

  // Any thread: wake the consumer unconditionally (shutdown, for example).
  void notify_always() { notify_slow(); }

 private:
  [[gnu::cold]] void notify_slow() {
    epoch_.fetch_add(1, std::memory_order_release);
    syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&epoch_), FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
  }

  void futex_wait(std::uint32_t epoch, std::chrono::nanoseconds timeout) {
    const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(timeout);
    timespec relative{static_cast<time_t>(seconds.count()), static_cast<long>((timeout - seconds).count())};
    // Returns at once (EAGAIN) if a producer bumped the epoch since we read it: no lost wake-up.
    syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&epoch_), FUTEX_WAIT_PRIVATE, epoch, &relative, nullptr,
            0);
  }

  static_assert(sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t), "futex word is a plain uint32");
  alignas(kCacheLineBytes) std::atomic<std::uint32_t> sleeping_{0};
  alignas(kCacheLineBytes) std::atomic<std::uint32_t> epoch_{0};
};

}  // namespace strata::ring
