// KeyOffsetMap: the compactor's map of each key to its latest offset in the range a pass cleans. Keys are
// told apart by a 128-bit digest (xxh3-128) so that two keys are never taken for one: with 64 bits a collision
// would make compaction drop a key's only event (Kafka's cleaner takes the same risk with 16-byte MD5 digests).
// Open addressing over the digest's low half (already uniform), grown at half load. Not thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include <xxhash.h>

namespace strata::detail {

struct KeyDigest {
  std::uint64_t low = 0;
  std::uint64_t high = 0;
  bool operator==(const KeyDigest&) const = default;
};

inline KeyDigest key_digest(std::span<const std::byte> key) {
  const XXH128_hash_t hash = XXH3_128bits(key.data(), key.size());
  return {hash.low64, hash.high64};
}

class KeyOffsetMap {
 public:
  static constexpr std::uint64_t kAbsent = UINT64_MAX;

  // Records `offset` as the key's latest (callers go in offset order).
  void put(const KeyDigest& key, std::uint64_t offset) {
    if ((count_ + 1) * 2 > slots_.size()) grow();
    Slot& slot = slots_[locate(key)];
    if (slot.offset_plus_one == 0) ++count_;
    slot = {key, offset + 1};
  }
  // The key's latest offset, or kAbsent.
  std::uint64_t find(const KeyDigest& key) const {
    if (slots_.empty()) return kAbsent;
    return slots_[locate(key)].offset_plus_one - 1;  // an empty slot holds 0: kAbsent
  }
  std::size_t size() const { return count_; }

 private:
  struct Slot {
    KeyDigest key;
    std::uint64_t offset_plus_one = 0;  // 0: empty
  };
  std::size_t locate(const KeyDigest& key) const {
    const std::size_t mask = slots_.size() - 1;
    std::size_t i = key.low & mask;
    while (slots_[i].offset_plus_one != 0 && !(slots_[i].key == key)) i = (i + 1) & mask;
    return i;
  }
  void grow() {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(old.empty() ? 1u << 12 : old.size() * 2, Slot{});
    for (const Slot& slot : old) {
      if (slot.offset_plus_one != 0) slots_[locate(slot.key)] = slot;
    }
  }

  std::vector<Slot> slots_;
  std::size_t count_ = 0;
};

}  // namespace strata::detail
