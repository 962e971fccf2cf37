#include "engine/key_index.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <new>

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

std::size_t positions_bytes(std::uint64_t events) {
  return (4 * events + 7) / 8 * 8;
}

}  // namespace

std::vector<std::byte> encode_key_file(std::uint64_t base_offset, std::span<const std::uint64_t> prev,
                                       std::span<const std::uint32_t> positions,
                                       std::vector<std::pair<std::uint64_t, std::uint64_t>> keys) {
  std::sort(keys.begin(), keys.end());
  const std::size_t body = prev.size_bytes() + positions_bytes(prev.size()) + keys.size() * 16;
  std::vector<std::byte> bytes(sizeof(KeyFileHeader) + body);
  std::memcpy(bytes.data() + sizeof(KeyFileHeader), prev.data(), prev.size_bytes());
  std::memcpy(bytes.data() + sizeof(KeyFileHeader) + prev.size_bytes(), positions.data(), positions.size_bytes());
  std::byte* out = bytes.data() + sizeof(KeyFileHeader) + prev.size_bytes() + positions_bytes(prev.size());
  for (const auto& [hash, offset] : keys) {
    std::memcpy(out, &hash, 8);
    std::memcpy(out + 8, &offset, 8);
    out += 16;
  }
  KeyFileHeader header{};
  std::memcpy(header.magic, kKeyFileMagic, sizeof header.magic);
  header.version = 1;
  header.base_offset = base_offset;
  header.next_offset = base_offset + prev.size();
  header.key_count = keys.size();
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
  if (std::memcmp(header.magic, kKeyFileMagic, sizeof header.magic) != 0 || header.version != 1 ||
      header.base_offset != base_offset || header.next_offset != next_offset ||
      header.key_count > events ||
      *size != sizeof header + 8 * events + positions_bytes(events) + 16 * header.key_count) {
    return corruption(path + ": its header does not match segment [" + std::to_string(base_offset) + ", " +
                      std::to_string(next_offset) + ") or the file's size");
  }
  if (verify && format::checksum(bytes.subspan(sizeof header)) != header.checksum) {
    return corruption(path + ": checksum mismatch");
  }
  keys.keys_at_ = sizeof header + 8 * events + positions_bytes(events);
  return keys;
}

std::uint64_t SegmentKeyFile::load(std::size_t position) const {
  std::uint64_t value = 0;
  std::memcpy(&value, mapping_.bytes().data() + position, sizeof value);
  return value;
}

std::uint64_t SegmentKeyFile::last_offset(std::uint64_t hash) const {
  std::uint64_t low = 0;
  std::uint64_t high = header_.key_count;
  while (low < high) {
    const std::uint64_t middle = low + (high - low) / 2;
    if (load(keys_at_ + 16 * middle) < hash) {
      low = middle + 1;
    } else {
      high = middle;
    }
  }
  if (low == header_.key_count || load(keys_at_ + 16 * low) != hash) return kNoOffset;
  return load(keys_at_ + 16 * low + 8);
}

std::uint64_t SegmentKeyFile::previous(std::uint64_t offset) const {
  return load(sizeof(KeyFileHeader) + 8 * (offset - header_.base_offset));
}

std::uint32_t SegmentKeyFile::batch_position(std::uint64_t offset) const {
  const std::uint64_t events = header_.next_offset - header_.base_offset;
  std::uint32_t position = 0;
  std::memcpy(&position,
              mapping_.bytes().data() + sizeof(KeyFileHeader) + 8 * events + 4 * (offset - header_.base_offset),
              sizeof position);
  return position;
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
