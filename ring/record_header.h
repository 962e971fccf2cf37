// The record framing shared by both byte rings. Nothing here is on disk; it only lives in memory.
//
//   | frame_bytes : int32 | type : uint32 | payload ... | pad to 8 |
//
// frame_bytes counts the header and the payload (not the alignment pad), so a zero-length record has
// frame_bytes == 8 and a slot whose frame_bytes is 0 holds nothing committed yet (the MPSC ring relies on
// this: its consumer zeroes what it releases).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <type_traits>

namespace strata::ring {

inline constexpr std::size_t kRecordAlignment = 8;
inline constexpr std::size_t kRecordHeaderBytes = 8;
// Cache-line size for separating producer and consumer fields.
inline constexpr std::size_t kCacheLineBytes = 64;

enum class RecordType : std::uint32_t {
  kData = 1,
  kPadding = 2,  // skipped by consumers: fills the end of the buffer at a wrap, or replaces an aborted claim
};

struct RecordHeader {
  std::int32_t frame_bytes;
  RecordType type;
};
static_assert(sizeof(RecordHeader) == kRecordHeaderBytes);
static_assert(alignof(RecordHeader) <= kRecordAlignment);

constexpr std::size_t align_up(std::size_t n, std::size_t alignment) {
  return (n + alignment - 1) & ~(alignment - 1);
}

// Bytes a record with `payload_bytes` occupies in the ring, header and alignment pad included.
constexpr std::size_t slot_bytes(std::size_t payload_bytes) {
  return align_up(kRecordHeaderBytes + payload_bytes, kRecordAlignment);
}

constexpr bool is_power_of_two(std::size_t n) {
  return n != 0 && (n & (n - 1)) == 0;
}

// The answer of a non-blocking claim. kFull is normal backpressure; kTooLarge is a caller asking for more
// than the ring can ever hold (see max_payload_bytes()), which no amount of waiting fixes.
enum class ClaimStatus : std::uint8_t { kOk, kFull, kTooLarge };

// An open claim: the producer writes its record into `payload`, then commits or aborts it. Both rings use it.
struct Claim {
  std::span<std::byte> payload;    // valid until commit or abort
  RecordHeader* header = nullptr;  // the record's header inside the ring
  std::uint64_t end_position = 0;  // ring position just past the record (SPSC publishes it as the tail)
};

// Calls a consumer's callback; a void callback always accepts, a bool one may refuse (false).
template <typename Fn>
bool deliver(Fn& fn, std::span<const std::byte> payload) {
  if constexpr (std::is_same_v<decltype(fn(payload)), bool>) {
    return fn(payload);
  } else {
    fn(payload);
    return true;
  }
}

}  // namespace strata::ring
