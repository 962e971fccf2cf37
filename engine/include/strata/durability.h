// When an appended event counts as acknowledged, and the names a user types for it ("--durability sync").
//   kNone:  written to the segment file (O_DIRECT, so in the device, not the page cache), not yet synced; a
//           power loss may lose it, a process crash does not. Synced at segment seal, flush() and close().
//   kBatch: synced, by an fdatasync issued every batch_sync_bytes or batch_sync_interval, whichever first.
//   kSync:  synced, by the fdatasync that covers it; fdatasyncs are issued back to back (group commit).
// What each mode asks of the writer lives in one place: engine/durability_policy.h.
#pragma once

#include <cstdint>
#include <string_view>

namespace strata {

enum class Durability : std::uint8_t { kNone, kBatch, kSync };
inline constexpr Durability kDurabilities[] = {Durability::kNone, Durability::kBatch, Durability::kSync};

// "none", "batch", "sync"; "unknown" for a value outside the enum.
std::string_view durability_name(Durability durability);

// The reverse of durability_name(), exact and lower-case. False (and *durability untouched) for anything else.
[[nodiscard]] bool parse_durability(std::string_view name, Durability* durability);

}  // namespace strata
