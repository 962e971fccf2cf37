// The key index of a partition (topics with strata.key-index=true): key hash -> the key's last offset, and
// for every event the offset of the previous event of its key (a chain), so that one key's events are listed
// newest first without reading the others. Derived data (DESIGN.md invariant 8): lost or corrupt, it is
// rebuilt from the segments and never costs an event.
//
// Where it lives:
//   - in memory, the writer's KeyIndex: the last offset of every key (all segments), and the chain of the
//     active segment;
//   - on disk, one <base>.strata-keys file per sealed segment (written when the segment seals): its keys
//     sorted by hash, each with its events of the segment (offsets and batch positions) in one run, and the
//     offset of its event before the segment (layout below). Readers look keys up in these and, in other
//     processes, scan the active segment.
//
// Keys are told apart by a 64-bit hash (xxh3). Two keys with one hash would share a chain: readers compare
// the key bytes of every event they hand out, so they never return another key's event; a conditional append
// to one of them would see the other's last offset (a spurious conflict, never a lost one). With 64-bit hashes
// that takes billions of keys to become likely.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "engine/recovery.h"
#include "io/read_only_mapping.h"
#include "strata/status.h"

namespace strata::detail {

inline constexpr std::uint64_t kNoOffset = UINT64_MAX;  // "no event": the end of a chain, an unknown key
// The batch position of an offset that holds no event (compaction removed it): readers skip it.
inline constexpr std::uint32_t kGapPosition = UINT32_MAX;

std::uint64_t key_hash(std::span<const std::byte> key);

// hash -> offset, open addressing (the hashes are already uniform), in anonymous memory advised for huge
// pages: a table of a million keys is 32-64 MiB that each append touches at random (TLB misses and page
// faults dominated the writer's time with 4 KiB pages). Not thread-safe.
class KeyTable {
 public:
  KeyTable() = default;
  ~KeyTable();
  KeyTable(const KeyTable&) = delete;
  KeyTable& operator=(const KeyTable&) = delete;

  std::uint64_t find(std::uint64_t hash) const {
    if (slots_ == nullptr) return kNoOffset;
    for (std::size_t i = hash & mask_;; i = (i + 1) & mask_) {
      if (slots_[i].offset_plus_one == 0 || slots_[i].hash == hash) return slots_[i].offset_plus_one - 1;
    }
  }
  void set(std::uint64_t hash, std::uint64_t offset);
  void erase(std::uint64_t hash);
  std::size_t size() const { return count_; }
  template <typename Fn>
  void for_each(Fn&& fn) const {
    for (std::size_t i = 0; i < capacity_; ++i) {
      if (slots_[i].offset_plus_one != 0) fn(slots_[i].hash, slots_[i].offset_plus_one - 1);
    }
  }

 private:
  struct Slot {
    std::uint64_t hash;
    std::uint64_t offset_plus_one;  // 0: empty (fresh anonymous memory is zero: nothing to initialize)
  };
  void grow();
  Slot* slots_ = nullptr;
  std::size_t capacity_ = 0;
  std::size_t mask_ = 0;
  std::size_t count_ = 0;
};

// <base>.strata-keys, little-endian: this header, then key_count entries (KeyFileEntry) sorted by hash, then
// offsets[event_count] (u64) and positions[event_count] (u32: the file position of the event's batch), padded
// to 8: each key's events of the segment in offset order, one key after another in the entries' order, so that
// a key's events here are one lookup and one contiguous run (a reader without the pages cached waits for a few
// reads per segment, not one per event). Events without a key and offsets compaction emptied are not listed.
// The checksum (xxh3) covers everything after the header.
struct KeyFileHeader {
  char magic[8];
  std::uint32_t version;
  std::uint32_t reserved;
  std::uint64_t base_offset;
  std::uint64_t next_offset;
  std::uint64_t key_count;
  std::uint64_t event_count;
  std::uint64_t checksum;
};
static_assert(sizeof(KeyFileHeader) == 56);
struct KeyFileEntry {
  std::uint64_t hash;
  std::uint64_t last_offset;  // the key's last offset in the segment
  std::uint64_t first;        // the index of its first event in offsets[] and positions[]
  std::uint64_t before;       // the offset of its event before the segment's first, kNoOffset when none
};
static_assert(sizeof(KeyFileEntry) == 32);
inline constexpr char kKeyFileMagic[8] = {'S', 'T', 'R', 'A', 'K', 'E', 'Y', 'S'};
inline constexpr std::uint32_t kKeyFileVersion = 2;  // version 1 (a chain of previous offsets) is rebuilt
std::string key_file_path(const std::string& partition_dir, std::uint64_t base_offset);
// The bytes of a key file from a segment's chains: prev and positions per offset of [base, base + prev.size())
// (prev: the offset of the previous event of the key, kNoOffset at a chain's start or for an event without a
// key; positions: kGapPosition for an offset that holds no event, where a chain reaching it ends), keys
// (hash, last offset) in any order.
std::vector<std::byte> encode_key_file(std::uint64_t base_offset, std::span<const std::uint64_t> prev,
                                       std::span<const std::uint32_t> positions,
                                       std::vector<std::pair<std::uint64_t, std::uint64_t>> keys);

// A sealed segment's key file, mapped read-only.
class SegmentKeyFile {
 public:
  // Maps and checks the header against the segment's offsets and the file's size; `verify` also checks the
  // checksum (reading all of it). `next_offset` kNoOffset: the file's own (readers without the segment's
  // index). kCorruption / kNotFound say why it cannot be used.
  static Result<SegmentKeyFile> open(const std::string& partition_dir, std::uint64_t base_offset,
                                     std::uint64_t next_offset, bool verify);
  std::uint64_t base_offset() const { return header_.base_offset; }
  std::uint64_t next_offset() const { return header_.next_offset; }
  // The key's last offset in this segment, or kNoOffset.
  std::uint64_t last_offset(std::uint64_t hash) const;
  // A key's events here: [first, end) of offset() and position(), and the offset of its event before them.
  struct KeyEvents {
    std::uint64_t first = 0;
    std::uint64_t end = 0;
    std::uint64_t before = kNoOffset;
  };
  // False when the key has no event in this segment.
  bool find(std::uint64_t hash, KeyEvents* events) const;
  std::uint64_t offset(std::uint64_t i) const { return load(offsets_at_ + 8 * i); }
  std::uint32_t position(std::uint64_t i) const;
  // The bytes holding events [first, end): readers ask for them at once before reading them.
  std::span<const std::byte> offsets_bytes(const KeyEvents& events) const;
  std::span<const std::byte> positions_bytes(const KeyEvents& events) const;
  template <typename Fn>
  void for_each_key(Fn&& fn) const {
    for (std::uint64_t i = 0; i < header_.key_count; ++i) fn(entry_hash(i), load(entry_at(i) + 8));
  }

 private:
  std::uint64_t load(std::size_t position) const;
  std::size_t entry_at(std::uint64_t i) const { return sizeof(KeyFileHeader) + sizeof(KeyFileEntry) * i; }
  std::uint64_t entry_hash(std::uint64_t i) const { return load(entry_at(i)); }
  // The index of the entry of `hash`, or key_count.
  std::uint64_t search(std::uint64_t hash) const;
  io::ReadOnlyMapping mapping_;
  KeyFileHeader header_{};
  std::size_t offsets_at_ = 0;
  std::size_t positions_at_ = 0;
};

// The writer's index of one partition. The writer thread alone changes it, holding mutex() while it frames
// (taken at a batch's first record, released when the batch closes: one lock per batch, not per event);
// readers of the same process take it to walk the active segment's chain.
class KeyIndex {
 public:
  // Builds the index of the partition in `dir` from its segments (as recovery left them): each sealed
  // segment's key file, checked, or where one is missing or corrupt a scan of the segment (and the file
  // written again); then a scan of the active segment. `report` gets a line per file rebuilt.
  static Result<std::unique_ptr<KeyIndex>> build(std::string dir, const std::vector<SegmentInfo>& segments,
                                                 std::string* report);

  std::recursive_mutex& mutex() { return mutex_; }
  // Writer thread: the key's last offset, kNoOffset when it has none.
  std::uint64_t last_offset(std::uint64_t hash) {
    if (forgotten_pending_.load(std::memory_order_acquire)) [[unlikely]]
      apply_forgotten();
    return last_.find(hash);
  }
  // Any thread: compaction removed the key's last event, at `offset` (an expired tombstone): the key has
  // no event now, unless it has a newer one. The writer thread applies it at its next last_offset().
  void forget(std::uint64_t hash, std::uint64_t offset);
  // Writer thread, holding mutex(): the event at `offset` (the next one), in the batch at file position
  // `position`, has a key with this hash, or none.
  void record(std::uint64_t offset, std::uint64_t hash, bool keyed, std::uint32_t position);
  // Writer thread: the active segment [base, next) sealed: its key file is written, the next segment starts.
  Status seal(std::uint64_t base_offset, std::uint64_t next_offset);

  // Any thread: the key's events at or after `from` in the active segment (offset, batch position), newest
  // first, appended to `out`; the result is where its chain continues below the active segment (kNoOffset:
  // it ends, or it reached `from`). *active_base: the active segment's base offset.
  std::uint64_t active_offsets(std::uint64_t hash, std::uint64_t from,
                               std::vector<std::pair<std::uint64_t, std::uint32_t>>* out,
                               std::uint64_t* active_base);
  // Any thread: the key's last offset.
  std::uint64_t last_offset_locked(std::uint64_t hash);

 private:
  explicit KeyIndex(std::string dir) : dir_(std::move(dir)) {}
  Status add_sealed(const SegmentInfo& segment, std::string* report);
  Status scan_active(const SegmentInfo& segment);
  // Pads the chain with gaps (kNoOffset, kGapPosition) up to `offset` (compacted segments being rebuilt).
  void fill_gap(std::uint64_t offset);
  void apply_forgotten();

  const std::string dir_;
  // Recursive: the writer holds it across a batch and may apply forgotten keys inside last_offset().
  std::recursive_mutex mutex_;
  KeyTable last_;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> forgotten_;  // under mutex_
  std::atomic<bool> forgotten_pending_{false};
  std::uint64_t active_base_ = 0;
  std::vector<std::uint64_t> prev_;       // prev_[offset - active_base_]
  std::vector<std::uint32_t> positions_;  // positions_[offset - active_base_]: the batch's file position
};

// Calls fn(offset, key, batch position) for every record of the segment's first `data_end` bytes (checked
// batches; a batch that fails its check is kCorruption). data_end kNoOffset: up to the first batch that is
// not whole and valid (a segment another process is writing), with no error.
Status for_each_segment_key(
    const std::string& partition_dir, std::uint64_t base_offset, std::uint64_t data_end,
    const std::function<void(std::uint64_t, std::span<const std::byte>, std::uint32_t)>& fn);
// The same for the segment file at `path` (which may not be named as a segment yet: compaction's new one).
Status for_each_key_in_file(
    const std::string& path, std::uint64_t base_offset, std::uint64_t data_end,
    const std::function<void(std::uint64_t, std::span<const std::byte>, std::uint32_t)>& fn);

}  // namespace strata::detail
