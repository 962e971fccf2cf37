// What a producer does when a ring answers "full": fail at once, spin, yield the core, or sleep with a
// deadline. The policies sit on top of the rings' non-blocking try_claim; the rings themselves never wait.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <thread>

#include "ring/record_header.h"

namespace strata::ring {

enum class Backpressure : std::uint8_t {
  kFail,   // return kFull at once
  kSpin,   // retry in a tight loop until the deadline (for a producer with a core of its own)
  kYield,  // retry, yielding the core between tries, until the deadline
  kBlock,  // retry with growing sleeps (up to 1 ms) until the deadline
};

// Claims `payload_bytes` from `ring` under `policy`. Returns kOk, kTooLarge (at once: waiting cannot help),
// or kFull when the deadline passed.
template <typename Ring>
ClaimStatus claim_with_backpressure(Ring& ring, std::size_t payload_bytes, Claim* claim, Backpressure policy,
                                    std::chrono::nanoseconds timeout) {
  ClaimStatus status = ring.try_claim(payload_bytes, claim);
  if (status != ClaimStatus::kFull || policy == Backpressure::kFail) [[likely]]
    return status;

  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::chrono::microseconds sleep{1};
  constexpr std::chrono::microseconds kSleepMax{1000};
  for (std::uint64_t attempt = 1;; ++attempt) {
    status = ring.try_claim(payload_bytes, claim);
    if (status != ClaimStatus::kFull) return status;
    // Reading the clock every try would cost more than the try itself while spinning.
    if ((attempt & 63) == 0 && std::chrono::steady_clock::now() >= deadline) return ClaimStatus::kFull;
    switch (policy) {
      case Backpressure::kFail:
      case Backpressure::kSpin:
        break;
      case Backpressure::kYield:
        std::this_thread::yield();
        break;
      case Backpressure::kBlock:
        std::this_thread::sleep_for(sleep);
        sleep = std::min(sleep * 2, kSleepMax);
        attempt |= 63;  // each sleep is long: check the deadline after every one
        break;
    }
  }
}

}  // namespace strata::ring
