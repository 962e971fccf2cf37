// KeyReader: where a key's events are, from the key index (the writer's for the active segment, the sealed
// segments' key files: one lookup per segment), then their batches asked of the kernel at once where they are
// not cached, then each event read from its batch (CRC checked once per batch) and its key compared.
#include "strata/key_reader.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstring>

#include "engine/format.h"
#include "engine/key_index.h"
#include "engine/key_reader_state.h"
#include "engine/log_core.h"
#include "engine/recovery.h"
#include "io/file.h"
#include "strata/topics.h"

namespace strata {

namespace detail {

namespace {

constexpr std::size_t kVerifiedBatchesMax = 1u << 16;
// What a batch of a key-indexed topic spans at most (its writer frames no larger ones), read or asked for at
// once; and how far apart two batches are still asked for as one range.
constexpr std::size_t kBatchReadBytes = kKeyIndexedBatchBytesMax;
constexpr std::size_t kMergeGapBytes = 64u << 10;

bool same_key(std::span<const std::byte> a, std::span<const std::byte> b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size()) == 0);
}

Result<io::File::Identity> identity_of(const std::string& path) {
  auto file = io::File::open(path, io::OpenMode::kReadOnly);
  if (!file) return file.status();
  return file->identity();
}

// The key file of the segment at `base`, or null when it has none (the active segment, or one never indexed,
// or one compaction is replacing right now). Its segment's data is mapped with it; the key file's name still
// naming the same file after the segment was mapped shows that both are of one version (compaction removes
// the old key file before it renames the new segment in, and writes the new key file after).
std::shared_ptr<const SegmentKeyFile> key_file(KeyReaderState& state, std::uint64_t base) {
  if (const auto it = state.files.find(base); it != state.files.end()) return it->second.keys;
  const std::string path = key_file_path(state.partition_dir, base);
  auto before = identity_of(path);
  auto opened = SegmentKeyFile::open(state.partition_dir, base, kNoOffset, /*verify=*/false);
  if (!before || !opened) return nullptr;  // read by a scan instead: never a wrong answer, only a slower one
  auto segment = io::File::open(segment_path(state.partition_dir, base), io::OpenMode::kReadOnly);
  if (!segment) return nullptr;
  auto size = segment->size();
  if (!size || *size == 0) return nullptr;
  auto data = io::ReadOnlyMapping::map(*segment, *size, /*populate=*/false);
  if (data) data->advise_random();  // one batch here and there: no readahead around it
  (void)::posix_fadvise(segment->fd(), 0, 0, POSIX_FADV_RANDOM);  // nor around a pread
  auto after = identity_of(path);
  if (!data || !after || *after != *before) return nullptr;
  auto keys = std::make_shared<const SegmentKeyFile>(std::move(opened.value()));
  state.files.emplace(base, KeyReaderState::SealedSegment{keys, std::move(data.value()), std::move(segment.value()),
                                                         *before});
  return keys;
}

// Forgets the cached segments that are gone (retention) or were rewritten (compaction: a new key file).
void drop_stale_segments(KeyReaderState& state) {
  std::erase_if(state.files, [&](const auto& entry) {
    const std::uint64_t base = entry.first;
    auto identity = identity_of(key_file_path(state.partition_dir, base));
    const bool stale = !std::binary_search(state.bases.begin(), state.bases.end(), base) || !identity ||
                       *identity != entry.second.keys_identity;
    if (stale) {  // its batches' positions mean other batches now
      state.verified.erase(state.verified.lower_bound({base, 0}), state.verified.lower_bound({base + 1, 0}));
    }
    return stale;
  });
}

// The key's events in [begin, end) of the segment at `base`, found by reading it (no key file), newest first.
Status scan_for_key(KeyReaderState& state, std::span<const std::byte> key, std::uint64_t base, std::uint64_t begin,
                    std::uint64_t end, std::vector<KeyEvent>* out) {
  std::vector<KeyEvent> found;
  STRATA_RETURN_IF_ERROR(for_each_segment_key(
      state.partition_dir, base, kNoOffset,
      [&](std::uint64_t offset, std::span<const std::byte> event_key, std::uint32_t position) {
        if (offset >= begin && offset < end && same_key(event_key, key)) found.push_back({offset, base, position});
      }));
  out->insert(out->end(), found.rbegin(), found.rend());
  return Status::ok();
}

// Asks the kernel to read the pages of `bytes` now, without waiting: ranges asked for together are read in
// parallel, where touching them one after another waits for each read in turn.
void prefetch(std::span<const std::byte> bytes) {
  static const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
  const auto begin = reinterpret_cast<std::uintptr_t>(bytes.data()) & ~(page - 1);
  const auto end = reinterpret_cast<std::uintptr_t>(bytes.data() + bytes.size());
  (void)::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_WILLNEED);
}

// Whether the page holding `byte` is in the page cache.
bool resident(const std::byte* byte) {
  static const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
  unsigned char in_core = 0;
  const auto begin = reinterpret_cast<std::uintptr_t>(byte) & ~(page - 1);
  return ::mincore(reinterpret_cast<void*>(begin), page, &in_core) == 0 && (in_core & 1) != 0;
}

// Walks the sealed segments from the newest below `below` down, collecting the key's events >= from, newest
// first. `chain`: the key's newest event below `below` when known (kNoOffset: look the key up in each segment).
Status walk_sealed(KeyReaderState& state, std::span<const std::byte> key, std::uint64_t hash, std::uint64_t from,
                   std::uint64_t below, std::uint64_t chain, std::vector<KeyEvent>* out) {
  for (auto it = state.bases.rbegin(); it != state.bases.rend(); ++it) {
    const std::uint64_t base = *it;
    if (base >= below) continue;
    const std::uint64_t end = below;
    below = base;
    if (end <= from) break;
    const auto file = key_file(state, base);
    if (file == nullptr || file->next_offset() != end) {
      STRATA_RETURN_IF_ERROR(scan_for_key(state, key, base, std::max(base, from), end, out));
      chain = kNoOffset;
      continue;
    }
    if (chain != kNoOffset && chain < base) continue;  // the key's previous event is in an earlier segment
    SegmentKeyFile::KeyEvents events;
    if (!file->find(hash, &events)) {  // none here (the chain led to an event compaction removed): look further
      chain = kNoOffset;
      continue;
    }
    if (!resident(file->positions_bytes(events).data())) prefetch(file->positions_bytes(events));
    for (std::uint64_t i = events.end; i-- > events.first;) {
      const std::uint64_t offset = file->offset(i);
      if (offset < from) return Status::ok();
      out->push_back({offset, base, file->position(i)});
    }
    if (events.before == kNoOffset || events.before < from) break;  // the key's events end, or reach `from`
    chain = events.before;
  }
  return Status::ok();
}

// The key's events at or after `from`, newest first.
Status locate_key(KeyReaderState& state, std::span<const std::byte> key, std::uint64_t from,
                  std::vector<KeyEvent>* newest_first) {
  const std::uint64_t hash = key_hash(key);
  std::uint64_t below = kNoOffset;
  std::uint64_t chain = kNoOffset;
  if (state.live != nullptr) {
    std::vector<std::pair<std::uint64_t, std::uint32_t>> active;
    std::uint64_t active_base = 0;
    chain = state.live->active_offsets(hash, from, &active, &active_base);
    for (const auto& [offset, position] : active) newest_first->push_back({offset, active_base, position});
    if (chain == kNoOffset) return Status::ok();
    // The sealed segment holding `chain` ends where the next one begins.
    const auto next = std::upper_bound(state.bases.begin(), state.bases.end(), chain);
    below = next == state.bases.end() ? kNoOffset : *next;
  } else if (key_file(state, state.bases.back()) == nullptr) {
    // Another process's view: the last segment is active unless it has a key file.
    const std::uint64_t last = state.bases.back();
    STRATA_RETURN_IF_ERROR(scan_for_key(state, key, last, std::max(last, from), kNoOffset, newest_first));
    below = last;
  }
  if (below == kNoOffset) {  // every segment is sealed: the newest ends at its key file's next offset
    const auto file = key_file(state, state.bases.back());
    if (file == nullptr) return Status::ok();
    below = file->next_offset();
  }
  return walk_sealed(state, key, hash, from, below, chain, newest_first);
}

// The file of the segment at `base` that is read with pread (no key file: the active segment), kept open
// for the events of one read (locate() forgets it: a segment compaction swapped is opened anew).
Result<io::File*> unmapped_segment(KeyReaderState& state, std::uint64_t base) {
  if (!state.unmapped || state.unmapped->first != base) {
    auto file = io::File::open(segment_path(state.partition_dir, base), io::OpenMode::kReadOnly);
    if (!file) return file.status();
    state.unmapped.emplace(base, std::move(file.value()));
  }
  return &state.unmapped->second;
}

// The bytes of the batch at `position` of the segment at `base`: from the mapping of a sealed segment (one
// with a key file) when the read found its batches cached, else read with pread into state.buffer (one read
// where the batch is no larger than a key-indexed topic's batches are; measured: uncached pages faulted in
// through the mapping took twice as long as pread's, cached ones through the mapping half as long).
Result<std::span<const std::byte>> batch_bytes(KeyReaderState& state, std::uint64_t base, std::uint32_t position) {
  io::File* file = nullptr;
  if (key_file(state, base) != nullptr) {
    if (!state.batches_uncached) {
      const auto bytes = state.files.at(base).data.bytes();
      return bytes.subspan(std::min<std::size_t>(position, bytes.size()));
    }
    file = &state.files.at(base).file;
  } else {
    auto unmapped = unmapped_segment(state, base);
    if (!unmapped) return unmapped.status();
    file = *unmapped;
  }
  const auto where = [&] { return segment_path(state.partition_dir, base) + " at position " + std::to_string(position); };
  state.buffer.resize(kBatchReadBytes);
  auto read = file->read_at(state.buffer, position);
  if (!read) return read.status();
  if (*read < format::kBatchHeaderBytes) return corruption(where() + ": no batch");
  const std::size_t total = std::min<std::size_t>(format::peek_batch_length(state.buffer.data()), format::kBatchBytesMax) +
                            format::kBatchLengthOverhead;
  if (total <= *read) return std::span<const std::byte>(state.buffer).first(total);
  state.buffer.resize(total);
  read = file->read_at(state.buffer, position);
  if (!read) return read.status();
  return std::span<const std::byte>(state.buffer).first(*read);
}

// The batches of `events` (oldest first), asked of the kernel at once, neighbouring ones as one range; nothing
// is asked when those of the first, middle and last that are in mapped segments are in the page cache (a warm
// read makes no such call).
void prefetch_batches(KeyReaderState& state, std::span<const KeyEvent> events) {
  const auto mapped = [&](const KeyEvent& event) -> std::span<const std::byte> {
    const auto it = state.files.find(event.base);
    if (it == state.files.end()) return {};
    const auto bytes = it->second.data.bytes();
    return bytes.subspan(std::min<std::size_t>(event.position, bytes.size()));
  };
  if (events.empty()) return;
  int sampled = 0;
  for (const KeyEvent& event : std::array{events.front(), events[events.size() / 2], events.back()}) {
    const auto bytes = mapped(event);
    if (bytes.empty()) continue;  // the active segment's: cached or not, it says nothing of the others
    if (!resident(bytes.data())) {
      sampled = -1;
      break;
    }
    ++sampled;
  }
  state.batches_uncached = sampled <= 0;
  if (sampled > 0) return;
  struct Range {
    std::uint64_t base = kNoOffset;
    std::uint64_t begin = 0;
    std::uint64_t end = 0;
  };
  const auto ask = [&](const Range& range) {
    if (range.base == kNoOffset) return;
    if (const auto it = state.files.find(range.base); it != state.files.end()) {
      const auto bytes = it->second.data.bytes();
      const std::uint64_t end = std::min<std::uint64_t>(range.end, bytes.size());
      if (range.begin < end) prefetch(bytes.subspan(range.begin, end - range.begin));
    } else if (auto file = unmapped_segment(state, range.base); file) {
      (void)::posix_fadvise((*file)->fd(), static_cast<off_t>(range.begin), static_cast<off_t>(range.end - range.begin),
                            POSIX_FADV_WILLNEED);
    }
  };
  Range range;
  for (const KeyEvent& event : events) {
    const std::uint64_t end = std::uint64_t{event.position} + kBatchReadBytes;
    if (event.base == range.base && event.position >= range.begin && event.position <= range.end + kMergeGapBytes) {
      range.end = std::max(range.end, end);
      continue;
    }
    ask(range);
    range = {event.base, event.position, end};
  }
  ask(range);
}

// Finds `event` in its batch (checked), and hands it to fn if its key is `key`. True when it did.
Result<bool> deliver(KeyReaderState& state, const KeyEvent& event, std::span<const std::byte> key,
                     const EventCallback& fn, std::uint32_t partition) {
  auto bytes = batch_bytes(state, event.base, event.position);
  if (!bytes) return bytes.status();
  format::BatchHeader header;
  const auto where = [&] {
    return segment_path(state.partition_dir, event.base) + " at position " + std::to_string(event.position);
  };
  if (state.verified.contains({event.base, event.position})) {
    header = format::decode_batch_header(*bytes);
  } else {
    std::string reason;
    if (format::check_batch(*bytes, format::kAnyOffset, &header, &reason) != format::BatchCheck::kValid) {
      return corruption(where() + ": " + reason);
    }
    if (state.verified.size() >= kVerifiedBatchesMax) state.verified.clear();
    state.verified.emplace(event.base, event.position);
  }
  auto records = format::batch_records(bytes->first(header.total_bytes()), header, &state.decompressed);
  if (!records) return records.status();
  format::RecordReader reader(*records, header);
  format::RecordFields fields;
  std::uint64_t offset = 0;
  std::int64_t timestamp_ms = 0;
  while (reader.next(&fields, &offset, &timestamp_ms)) {
    if (offset != event.offset) continue;
    if (!same_key(fields.key, key)) return false;  // another key with the same hash
    state.headers.clear();
    if (fields.header_count > 0 && !format::decode_headers(fields.headers, fields.header_count, &state.headers)) {
      return corruption(where() + ": the headers of offset " + std::to_string(offset) + " do not decode");
    }
    fn(Event{offset, timestamp_ms * 1000, fields.key, fields.value, state.headers, partition, fields.key_null,
             fields.value_null});
    return true;
  }
  return corruption(where() + ": the key index places offset " + std::to_string(event.offset) +
                    " in this batch, which does not hold it");
}

}  // namespace

}  // namespace detail

KeyReader::KeyReader(std::unique_ptr<detail::KeyReaderState> state) : state_(std::move(state)) {}
KeyReader::~KeyReader() = default;

Result<std::unique_ptr<KeyReader>> KeyReader::open(const std::string& dir, std::string_view topic,
                                                   std::uint32_t partition, ReadLevel level) {
  auto info = read_topic_info(dir, topic);
  if (!info) return info.status();
  const auto key_index = info->configs.find("strata.key-index");
  if (key_index == info->configs.end() || key_index->second != "true") {
    return invalid_argument("topic " + info->name + " has no key index (create it with strata.key-index=true)");
  }
  auto reader = Reader::open(dir, topic, partition, level);
  if (!reader) return reader.status();
  auto state = std::make_unique<detail::KeyReaderState>();
  state->reader = std::move(reader.value());
  state->partition = partition;
  state->partition_dir = dir + "/" + format::partition_directory_name(topic, partition);
  return std::unique_ptr<KeyReader>(new KeyReader(std::move(state)));
}

namespace {

// The key's visible events at or after `from`, oldest first.
Result<std::vector<detail::KeyEvent>> locate(detail::KeyReaderState& state, std::span<const std::byte> key,
                                             std::uint64_t from) {
  if (key.empty()) return invalid_argument("reading one key: the key is empty (events without a key are not indexed)");
  auto bases = detail::list_segment_bases(state.partition_dir);
  if (!bases) return bases.status();
  state.bases = std::move(bases.value());
  detail::drop_stale_segments(state);
  state.unmapped.reset();
  std::vector<detail::KeyEvent> newest_first;
  std::vector<detail::KeyEvent> events;
  if (state.bases.empty()) return events;
  from = std::max(from, state.bases.front());
  STRATA_RETURN_IF_ERROR(detail::locate_key(state, key, from, &newest_first));
  const std::uint64_t visible = state.reader->end_offset();
  for (auto it = newest_first.rbegin(); it != newest_first.rend(); ++it) {
    if (it->offset < visible && it->offset >= from) events.push_back(*it);
  }
  return events;
}

}  // namespace

Result<std::vector<std::uint64_t>> KeyReader::offsets(std::span<const std::byte> key, std::uint64_t from) {
  auto events = locate(*state_, key, from);
  if (!events) return events.status();
  std::vector<std::uint64_t> offsets;
  for (const detail::KeyEvent& event : *events) offsets.push_back(event.offset);
  return offsets;
}

Result<std::size_t> KeyReader::read(std::span<const std::byte> key, std::uint64_t from, std::size_t max,
                                    const EventCallback& fn) {
  auto events = locate(*state_, key, from);
  if (!events) return events.status();
  detail::prefetch_batches(*state_, std::span(*events).first(std::min(max, events->size())));
  std::size_t given = 0;
  for (const detail::KeyEvent& event : *events) {
    if (given == max) break;
    auto delivered = detail::deliver(*state_, event, key, fn, state_->partition);
    if (!delivered) return delivered.status();
    if (*delivered) ++given;
  }
  return given;
}

}  // namespace strata
