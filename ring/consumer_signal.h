// ConsumerSignal lets a ring's consumer sleep while the ring is empty and lets producers wake it, without a
// system call per record: a producer makes the futex call only when the consumer announced that it sleeps.
// Several threads may sleep on one signal (the log uses it for producers waiting for acknowledgements too);
// a notify wakes them all.
//
//   consumer: wait_for(is_empty, timeout)  sleeps unless is_empty() turns false; spurious wake-ups allowed
//   producer: after commit(), notify()     a fence and a load when nobody sleeps
//
// The handshake is Dekker's: the consumer announces with an exchange and a seq_cst fence, then re-checks the
// ring; the producer publishes, then a seq_cst fence, then reads the announcement. The two fences are totally
// ordered: if the producer's comes first, the consumer's re-check sees the record; if the consumer's comes
// first, the producer reads 1 and wakes it. The producer reads instead of exchanging so that the line stays
// shared while nobody sleeps: with two producers, an exchange per record bounced it between their cores (13%
// of `strata bench ingest`'s samples were on that exchange). On x86 the fence is a locked instruction on the
// producer's own stack. ThreadSanitizer does not support fences (GCC refuses them under -fsanitize=thread):
// its builds keep the earlier handshake, built on the exchanges alone, which are totally ordered: if the
// producer's exchange comes first, the consumer's acquire exchange synchronizes with it and the re-check
// sees the record; if the consumer's comes first, the producer reads 1 and wakes it.
#pragma once

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <ctime>

#include "ring/record_header.h"

#if defined(__SANITIZE_THREAD__)
#define STRATA_RING_FENCES 0
#else
#define STRATA_RING_FENCES 1
#endif

namespace strata::ring {

class ConsumerSignal {
 public:
  // Consumer thread only. Returns at once if the ring is not empty; otherwise sleeps until notified or until
  // `timeout` passes.
  template <typename IsEmpty>
  void wait_for(IsEmpty&& is_empty, std::chrono::nanoseconds timeout) {
    const std::uint32_t epoch = epoch_.load(std::memory_order_acquire);
    sleeping_.exchange(1, std::memory_order_seq_cst);
#if STRATA_RING_FENCES
    std::atomic_thread_fence(std::memory_order_seq_cst);  // pairs with the fence in notify(); see above
#endif
    if (is_empty()) futex_wait(epoch, timeout);
    // The announcement stays set: with several sleepers, clearing it here could erase another's. The next
    // notify() clears it, at the cost of one spare system call.
  }

  // Any producer thread, after publishing. Wakes the consumer if it sleeps or is about to. A fence and a read
  // of a line the consumer only writes when it goes to sleep.
  void notify() {
#if STRATA_RING_FENCES
    std::atomic_thread_fence(std::memory_order_seq_cst);  // orders our publish before the read; see above
    if (sleeping_.load(std::memory_order_relaxed) == 0) [[likely]]
      return;
#endif
    // Only the producer that clears the announcement makes the system call.
    if (sleeping_.exchange(0, std::memory_order_acq_rel) != 0) notify_slow();
  }

  // Any thread: wake the consumer unconditionally (shutdown, for example).
  void notify_always() { notify_slow(); }

 private:
  [[gnu::cold]] void notify_slow() {
    epoch_.fetch_add(1, std::memory_order_release);
    syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&epoch_), FUTEX_WAKE_PRIVATE, INT32_MAX, nullptr,
            nullptr, 0);
  }

  void futex_wait(std::uint32_t epoch, std::chrono::nanoseconds timeout) {
    const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(timeout);
    timespec relative{static_cast<time_t>(seconds.count()), static_cast<long>((timeout - seconds).count())};
    // Returns at once (EAGAIN) if a producer bumped the epoch since we read it: no lost wake-up.
    syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&epoch_), FUTEX_WAIT_PRIVATE, epoch, &relative,
            nullptr, 0);
  }

  static_assert(sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t), "futex word is a plain uint32");
  alignas(kCacheLineBytes) std::atomic<std::uint32_t> sleeping_{0};
  alignas(kCacheLineBytes) std::atomic<std::uint32_t> epoch_{0};
};

}  // namespace strata::ring
