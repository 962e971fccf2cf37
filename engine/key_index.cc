#include "engine/key_index.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <new>
#include <utility>

#include <sys/mman.h>

#include "engine/format.h"
#include "io/file.h"

namespace strata::detail {

std::uint64_t key_hash(std::span<const std::byte> key) {
  return format::checksum(key);  // xxh3-64
}

// ---- KeyTable ---------------------------------------------------------------------------------------------

namespace {

constexpr std::size_t kKeyTableSlotsMin = 1u << 16;

void* map_slots(std::size_t bytes) {
  void* memory = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (memory == MAP_FAILED) throw std::bad_alloc();
  (void)::madvise(memory, bytes, MADV_HUGEPAGE);  // a hint: without transparent huge pages it is 4 KiB pages
  return memory;
}

}  // namespace

KeyTable::~KeyTable() {
  if (slots_ != nullptr) ::munmap(slots_, capacity_ * sizeof(Slot));
}

void KeyTable::grow() {
  Slot* old = slots_;
  const std::size_t old_capacity = capacity_;
  capacity_ = old == nullptr ? kKeyTableSlotsMin : old_capacity * 2;
  slots_ = static_cast<Slot*>(map_slots(capacity_ * sizeof(Slot)));
  mask_ = capacity_ - 1;
  for (std::size_t s = 0; s < old_capacity; ++s) {
    if (old[s].offset_plus_one == 0) continue;
    std::size_t i = old[s].hash & mask_;
    while (slots_[i].offset_plus_one != 0) i = (i + 1) & mask_;
    slots_[i] = old[s];
  }
  if (old != nullptr) ::munmap(old, old_capacity * sizeof(Slot));
}

// Backward-shift deletion: the entries after the hole that could sit in it move up, so that every probe
// sequence stays unbroken.
void KeyTable::erase(std::uint64_t hash) {
  if (slots_ == nullptr) return;
  std::size_t hole = hash & mask_;
  while (slots_[hole].offset_plus_one != 0 && slots_[hole].hash != hash) hole = (hole + 1) & mask_;
  if (slots_[hole].offset_plus_one == 0) return;
  --count_;
  for (std::size_t i = (hole + 1) & mask_; slots_[i].offset_plus_one != 0; i = (i + 1) & mask_) {
    const std::size_t home = slots_[i].hash & mask_;
    // The entry may fill the hole when its home is not cyclically within (hole, i].
    const bool home_after_hole = hole < i ? (home > hole && home <= i) : (home > hole || home <= i);
    if (home_after_hole) continue;
    slots_[hole] = slots_[i];
    hole = i;
  }
  slots_[hole] = Slot{0, 0};
}

void KeyTable::set(std::uint64_t hash, std::uint64_t offset) {
  if ((count_ + 1) * 2 > capacity_) grow();
  std::size_t i = hash & mask_;
  while (slots_[i].offset_plus_one != 0 && slots_[i].hash != hash) i = (i + 1) & mask_;
  if (slots_[i].offset_plus_one == 0) ++count_;
  slots_[i] = {hash, offset + 1};
}

// ---- the key file of a sealed segment ---------------------------------------------------------------------

std::string key_file_path(const std::string& partition_dir, std::uint64_t base_offset) {
  char name[48];
  std::snprintf(name, sizeof name, "/%020llu.strata-keys", static_cast<unsigned long long>(base_offset));
  return partition_dir + name;
}

namespace {

std::size_t padded_positions_bytes(std::uint64_t events) {
  return (4 * events + 7) / 8 * 8;
}

}  // namespace

std::vector<std::byte> encode_key_file(std::uint64_t base_offset, std::span<const std::uint64_t> prev,
                                       std::span<const std::uint32_t> positions,
                                       std::vector<std::pair<std::uint64_t, std::uint64_t>> keys) {
  std::sort(keys.begin(), keys.end());
  const std::uint64_t next_offset = base_offset + prev.size();
  const auto in_segment = [&](std::uint64_t offset) {
    return offset >= base_offset && offset < next_offset && positions[offset - base_offset] != kGapPosition;
  };
  // Two passes over the offsets, not a walk of each chain (random reads over the whole segment's chains, seconds
  // for a 1 GiB segment on the writer thread): newest first, each event the chain reaches is marked with its
  // key and counted, and its predecessor marked in turn; then oldest first, each marked event lands in its
  // key's run.
  constexpr std::uint32_t kUnmarked = UINT32_MAX;
  STRATA_ASSERT(prev.size() < kUnmarked, "key file: %zu offsets in one segment", prev.size());
  std::vector<KeyFileEntry> entries;
  entries.reserve(keys.size());
  std::vector<std::uint32_t> key_of(prev.size(), kUnmarked);
  for (const auto& [hash, last] : keys) {
    if (!in_segment(last)) continue;
    key_of[last - base_offset] = static_cast<std::uint32_t>(entries.size());
    entries.push_back({hash, last, 0, kNoOffset});
  }
  std::vector<std::uint64_t> next_index(entries.size(), 0);  // first the count of each key's events
  for (std::size_t i = prev.size(); i-- > 0;) {
    const std::uint32_t k = key_of[i];
    if (k == kUnmarked) continue;
    ++next_index[k];
    const std::uint64_t previous = prev[i];
    if (previous == kNoOffset) continue;
    if (in_segment(previous)) {
      key_of[previous - base_offset] = k;
    } else if (previous < base_offset) {
      entries[k].before = previous;
    }  // else: the chain reached an emptied offset, and ends
  }
  std::uint64_t events = 0;
  for (std::size_t k = 0; k < entries.size(); ++k) {
    entries[k].first = events;
    events += std::exchange(next_index[k], events);
  }
  // Written in place: a 1 GiB segment's key file is ~100 MiB, not worth a second copy.
  const std::size_t entries_bytes = entries.size() * sizeof(KeyFileEntry);
  const std::size_t body = entries_bytes + 8 * events + padded_positions_bytes(events);
  std::vector<std::byte> bytes(sizeof(KeyFileHeader) + body);
  std::byte* const out = bytes.data() + sizeof(KeyFileHeader);
  if (entries_bytes != 0) std::memcpy(out, entries.data(), entries_bytes);  // no keys: entries.data() may be null
  std::byte* const offsets = out + entries_bytes;
  std::byte* const run_positions = offsets + 8 * events;
  for (std::size_t i = 0; i < prev.size(); ++i) {
    const std::uint32_t k = key_of[i];
    if (k == kUnmarked) continue;
    const std::uint64_t offset = base_offset + i;
    std::memcpy(offsets + 8 * next_index[k], &offset, 8);
    std::memcpy(run_positions + 4 * next_index[k]++, &positions[i], 4);
  }
  KeyFileHeader header{};
  std::memcpy(header.magic, kKeyFileMagic, sizeof header.magic);
  header.version = kKeyFileVersion;
  header.base_offset = base_offset;
  header.next_offset = next_offset;
  header.key_count = entries.size();
  header.event_count = events;
  header.checksum = format::checksum({bytes.data() + sizeof header, body});
  std::memcpy(bytes.data(), &header, sizeof header);
  return bytes;
}

namespace {

Status write_key_file(const std::string& dir, std::uint64_t base_offset, std::span<const std::uint64_t> prev,
                      std::span<const std::uint32_t> positions,
                      std::vector<std::pair<std::uint64_t, std::uint64_t>> keys) {
  const auto bytes = encode_key_file(base_offset, prev, positions, std::move(keys));
  const std::string path = key_file_path(dir, base_offset);
  return io::replace_file_durably(dir, path.substr(dir.size() + 1), bytes);
}

}  // namespace

Result<SegmentKeyFile> SegmentKeyFile::open(const std::string& partition_dir, std::uint64_t base_offset,
                                            std::uint64_t next_offset, bool verify) {
  const std::string path = key_file_path(partition_dir, base_offset);
  auto file = io::File::open(path, io::OpenMode::kReadOnly);
  if (!file) return file.status();
  auto size = file->size();
  if (!size) return size.status();
  if (*size < sizeof(KeyFileHeader)) return corruption(path + ": shorter than its header");
  SegmentKeyFile keys;
  auto mapping = io::ReadOnlyMapping::map(*file, *size, /*populate=*/false);
  if (!mapping) return mapping.status();
  if (!verify) mapping->advise_random();  // readers follow chains across it
  keys.mapping_ = std::move(mapping.value());
  const auto bytes = keys.mapping_.bytes();
  std::memcpy(&keys.header_, bytes.data(), sizeof keys.header_);
  const KeyFileHeader& header = keys.header_;
  if (next_offset == kNoOffset) next_offset = std::max(header.next_offset, base_offset);
  const std::uint64_t events = next_offset - base_offset;
  if (std::memcmp(header.magic, kKeyFileMagic, sizeof header.magic) != 0 || header.version != kKeyFileVersion ||
      header.base_offset != base_offset || header.next_offset != next_offset || header.event_count > events ||
      header.key_count > header.event_count ||
      *size != sizeof header + sizeof(KeyFileEntry) * header.key_count + 8 * header.event_count +
                   padded_positions_bytes(header.event_count)) {
    return corruption(path + ": its header does not match segment [" + std::to_string(base_offset) + ", " +
                      std::to_string(next_offset) + ") or the file's size (or is of another version)");
  }
  if (verify && format::checksum(bytes.subspan(sizeof header)) != header.checksum) {
    return corruption(path + ": checksum mismatch");
  }
  keys.offsets_at_ = sizeof header + sizeof(KeyFileEntry) * header.key_count;
  keys.positions_at_ = keys.offsets_at_ + 8 * header.event_count;
  return keys;
}

std::uint64_t SegmentKeyFile::load(std::size_t position) const {
  std::uint64_t value = 0;
  std::memcpy(&value, mapping_.bytes().data() + position, sizeof value);
  return value;
}

std::uint32_t SegmentKeyFile::position(std::uint64_t i) const {
  std::uint32_t value = 0;
  std::memcpy(&value, mapping_.bytes().data() + positions_at_ + 4 * i, sizeof value);
  return value;
}

// The hashes are uniform (xxh3): a few interpolation steps land on the entry's page (one read where the file
// is not cached, instead of a binary search's dozen), then a binary search finishes (bounded however the hashes
// fall).
std::uint64_t SegmentKeyFile::search(std::uint64_t hash) const {
  std::uint64_t low = 0;
  std::uint64_t high = header_.key_count;
  std::uint64_t low_hash = 0;
  std::uint64_t high_hash = UINT64_MAX;
  for (int step = 0; step < 4 && low < high; ++step) {
    const double fraction = static_cast<double>(hash - low_hash) / (static_cast<double>(high_hash - low_hash) + 1.0);
    const std::uint64_t guess =
        std::min(high - 1, low + static_cast<std::uint64_t>(fraction * static_cast<double>(high - low)));
    const std::uint64_t found = entry_hash(guess);
    if (found == hash) return guess;
    if (found < hash) {
      low = guess + 1;
      low_hash = found;
    } else {
      high = guess;
      high_hash = found;
    }
  }
  while (low < high) {
    const std::uint64_t middle = low + (high - low) / 2;
    if (entry_hash(middle) < hash) {
      low = middle + 1;
    } else {
      high = middle;
    }
  }
  return low < header_.key_count && entry_hash(low) == hash ? low : header_.key_count;
}

std::uint64_t SegmentKeyFile::last_offset(std::uint64_t hash) const {
  const std::uint64_t i = search(hash);
  return i == header_.key_count ? kNoOffset : load(entry_at(i) + 8);
}

bool SegmentKeyFile::find(std::uint64_t hash, KeyEvents* events) const {
  const std::uint64_t i = search(hash);
  if (i == header_.key_count) return false;
  events->first = load(entry_at(i) + 16);
  events->end = i + 1 < header_.key_count ? load(entry_at(i + 1) + 16) : header_.event_count;
  events->before = load(entry_at(i) + 24);
  return events->first < events->end && events->end <= header_.event_count;
}

std::span<const std::byte> SegmentKeyFile::offsets_bytes(const KeyEvents& events) const {
  return mapping_.bytes().subspan(offsets_at_ + 8 * events.first, 8 * (events.end - events.first));
}

std::span<const std::byte> SegmentKeyFile::positions_bytes(const KeyEvents& events) const {
  return mapping_.bytes().subspan(positions_at_ + 4 * events.first, 4 * (events.end - events.first));
}

// ---- reading a segment's keys -----------------------------------------------------------------------------

Status for_each_segment_key(
    const std::string& partition_dir, std::uint64_t base_offset, std::uint64_t data_end,
    const std::function<void(std::uint64_t, std::span<const std::byte>, std::uint32_t)>& fn) {
  return for_each_key_in_file(segment_path(partition_dir, base_offset), base_offset, data_end, fn);
}

Status for_each_key_in_file(
    const std::string& path, std::uint64_t base_offset, std::uint64_t data_end,
    const std::function<void(std::uint64_t, std::span<const std::byte>, std::uint32_t)>& fn) {
  auto file = io::File::open(path, io::OpenMode::kReadOnly);
  if (!file) return file.status();
  const bool strict = data_end != kNoOffset;
  if (!strict) {
    auto size = file->size();
    if (!size) return size.status();
    data_end = *size;
  }
  if (data_end == 0) return Status::ok();
  // Another process's active segment is read with pread, never mapped (invariant 5).
  std::vector<std::byte> copy;
  io::ReadOnlyMapping mapping;
  std::span<const std::byte> bytes;
  if (strict) {
    auto mapped = io::ReadOnlyMapping::map(*file, data_end, /*populate=*/false);
    if (!mapped) return mapped.status();
    mapping = std::move(mapped.value());
    bytes = mapping.bytes();
  } else {
    copy.resize(data_end);
    auto read = file->read_at(copy, 0);
    if (!read) return read.status();
    bytes = std::span<const std::byte>(copy).first(*read);
  }
  std::vector<std::byte> scratch;
  std::uint64_t next = base_offset;
  for (std::uint64_t position = 0; position < bytes.size();) {
    format::BatchHeader header;
    std::string reason;
    if (format::check_batch(bytes.subspan(position), next, &header, &reason) != format::BatchCheck::kValid) {
      if (!strict) break;
      return corruption(path + " at position " + std::to_string(position) + ": " + reason);
    }
    const auto batch = bytes.subspan(position, header.total_bytes());
    const auto at = static_cast<std::uint32_t>(position);
    STRATA_RETURN_IF_ERROR(format::for_each_record(
        batch, header, &scratch,
        [&](const format::RecordFields& record, std::uint64_t offset, std::int64_t) { fn(offset, record.key, at); }));
    next = header.next_offset();
    position += header.total_bytes();
  }
  return Status::ok();
}

// ---- KeyIndex ---------------------------------------------------------------------------------------------

Result<std::unique_ptr<KeyIndex>> KeyIndex::build(std::string dir, const std::vector<SegmentInfo>& segments,
                                                  std::string* report) {
  std::unique_ptr<KeyIndex> index(new KeyIndex(std::move(dir)));
  // Room for a busy segment's first million events without moving (reserved, touched only as used).
  index->prev_.reserve(1u << 20);
  index->positions_.reserve(1u << 20);
  for (const SegmentInfo& segment : segments) {
    if (segment.sealed) {
      STRATA_RETURN_IF_ERROR(index->add_sealed(segment, report));
    } else {
      STRATA_RETURN_IF_ERROR(index->scan_active(segment));
    }
  }
  if (!segments.empty() && segments.back().sealed) index->active_base_ = segments.back().next_offset;
  return index;
}

Status KeyIndex::add_sealed(const SegmentInfo& segment, std::string* report) {
  auto file = SegmentKeyFile::open(dir_, segment.base_offset, segment.next_offset, /*verify=*/true);
  if (file) {
    file->for_each_key([&](std::uint64_t hash, std::uint64_t offset) { last_.set(hash, offset); });
    return Status::ok();
  }
  // Missing or corrupt: rebuilt from the segment (the chain continues from the earlier segments' keys).
  if (file.status().code() != StatusCode::kNotFound) *report += file.status().message() + "; rebuilt\n";
  STRATA_RETURN_IF_ERROR(scan_active(segment));
  return seal(segment.base_offset, segment.next_offset);
}

Status KeyIndex::scan_active(const SegmentInfo& segment) {
  active_base_ = segment.base_offset;
  prev_.clear();
  positions_.clear();
  prev_.reserve(segment.next_offset - segment.base_offset);
  positions_.reserve(segment.next_offset - segment.base_offset);
  STRATA_RETURN_IF_ERROR(
      for_each_segment_key(dir_, segment.base_offset, segment.data_end,
                           [&](std::uint64_t offset, std::span<const std::byte> key, std::uint32_t position) {
                             fill_gap(offset);
                             record(offset, key.empty() ? 0 : key_hash(key), !key.empty(), position);
                           }));
  if (segment.sealed) fill_gap(segment.next_offset);  // a compacted segment may end in removed offsets
  return Status::ok();
}

void KeyIndex::fill_gap(std::uint64_t offset) {
  while (active_base_ + prev_.size() < offset) {
    prev_.push_back(kNoOffset);
    positions_.push_back(kGapPosition);
  }
}

void KeyIndex::forget(std::uint64_t hash, std::uint64_t offset) {
  std::lock_guard lock(mutex_);
  forgotten_.emplace_back(hash, offset);
  forgotten_pending_.store(true, std::memory_order_release);
}

void KeyIndex::apply_forgotten() {
  std::lock_guard lock(mutex_);
  for (const auto& [hash, offset] : forgotten_) {
    if (last_.find(hash) == offset) last_.erase(hash);
  }
  forgotten_.clear();
  forgotten_pending_.store(false, std::memory_order_release);
}

void KeyIndex::record(std::uint64_t offset, std::uint64_t hash, bool keyed, std::uint32_t position) {
  STRATA_ASSERT(offset == active_base_ + prev_.size(), "key index: offset %llu recorded after %llu",
                static_cast<unsigned long long>(offset),
                static_cast<unsigned long long>(active_base_ + prev_.size()));
  positions_.push_back(position);
  if (!keyed) {
    prev_.push_back(kNoOffset);
    return;
  }
  prev_.push_back(last_.find(hash));
  last_.set(hash, offset);
}

Status KeyIndex::seal(std::uint64_t base_offset, std::uint64_t next_offset) {
  STRATA_ASSERT(base_offset == active_base_ && next_offset == active_base_ + prev_.size(),
                "key index: sealing [%llu, %llu) of an active segment at %llu with %zu events",
                static_cast<unsigned long long>(base_offset), static_cast<unsigned long long>(next_offset),
                static_cast<unsigned long long>(active_base_), prev_.size());
  std::vector<std::pair<std::uint64_t, std::uint64_t>> keys;
  last_.for_each([&](std::uint64_t hash, std::uint64_t offset) {
    if (offset >= base_offset) keys.emplace_back(hash, offset);
  });
  STRATA_RETURN_IF_ERROR(write_key_file(dir_, base_offset, prev_, positions_, std::move(keys)));
  std::lock_guard lock(mutex_);
  active_base_ = next_offset;
  prev_.clear();  // keeping their capacity: the next segment reuses the memory
  positions_.clear();
  return Status::ok();
}

std::uint64_t KeyIndex::active_offsets(std::uint64_t hash, std::uint64_t from,
                                       std::vector<std::pair<std::uint64_t, std::uint32_t>>* out,
                                       std::uint64_t* active_base) {
  std::lock_guard lock(mutex_);
  *active_base = active_base_;
  std::uint64_t offset = last_.find(hash);
  while (offset != kNoOffset && offset >= from && offset >= active_base_) {
    out->emplace_back(offset, positions_[offset - active_base_]);
    offset = prev_[offset - active_base_];
  }
  return offset != kNoOffset && offset >= from ? offset : kNoOffset;
}

std::uint64_t KeyIndex::last_offset_locked(std::uint64_t hash) {
  std::lock_guard lock(mutex_);
  return last_.find(hash);
}

}  // namespace strata::detail
