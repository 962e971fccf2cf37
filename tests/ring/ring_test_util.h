// Helpers shared by the ring tests: write and read records made of a recognisable byte pattern.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "ring/record_header.h"

namespace strata::ring::testing {

// Claims, fills with `text` and commits. Returns the claim status.
template <typename Ring>
ClaimStatus push(Ring& ring, const std::string& text) {
  Claim claim;
  const ClaimStatus status = ring.try_claim(text.size(), &claim);
  if (status != ClaimStatus::kOk) return status;
  if (!text.empty()) std::memcpy(claim.payload.data(), text.data(), text.size());
  ring.commit(claim);
  return status;
}

// Consumes up to `records_max` records as strings: as many consume() calls as it takes, since an SPSC ring
// holds back records in the producer's cache line for one call (SpscRing::consume).
template <typename Ring>
std::vector<std::string> drain(Ring& ring, std::size_t records_max = SIZE_MAX) {
  std::vector<std::string> out;
  while (out.size() < records_max) {
    const std::size_t delivered = ring.consume(records_max - out.size(), [&](std::span<const std::byte> bytes) {
      out.emplace_back(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    });
    bool holding_back = false;
    if constexpr (requires { ring.holding_back(); }) holding_back = ring.holding_back();
    if (delivered == 0 && !holding_back) break;
  }
  return out;
}

}  // namespace strata::ring::testing
