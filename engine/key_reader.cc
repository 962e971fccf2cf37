// KeyReader: a key's offsets from the key index (the live one for the active segment, the sealed segments'
// key files), then each event read through a Reader and its key compared.
#include "strata/key_reader.h"

#include <algorithm>
#include <cstring>
#include <map>

#include "engine/format.h"
#include "engine/key_index.h"
#include "engine/key_reader_state.h"
#include "engine/recovery.h"
#include "strata/topics.h"

namespace strata {

namespace detail {

namespace {

bool same_key(std::span<const std::byte> a, std::span<const std::byte> b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size()) == 0);
}

// The key file of the segment at `base`, or null when it has none (the active segment, or one never indexed).
std::shared_ptr<const SegmentKeyFile> key_file(KeyReaderState& state, std::uint64_t base) {
  if (const auto it = state.files.find(base); it != state.files.end()) return it->second;
  auto opened = SegmentKeyFile::open(state.partition_dir, base, kNoOffset, /*verify=*/false);
  if (!opened) return nullptr;  // read by a scan instead: never a wrong answer, only a slower one
  auto file = std::make_shared<const SegmentKeyFile>(std::move(opened.value()));
  state.files.emplace(base, file);
  return file;
}

// The key's offsets in [begin, end) of one segment found by reading it (no key file), newest first.
Status scan_for_key(KeyReaderState& state, std::span<const std::byte> key, std::uint64_t begin, std::uint64_t end,
                    std::vector<std::uint64_t>* out) {
  std::vector<std::uint64_t> found;
  STRATA_RETURN_IF_ERROR(state.reader->seek(begin));
  while (state.reader->position() < end) {
    bool past = false;
    auto polled = state.reader->poll(4096, [&](const Event& event) {
      if (event.offset >= end) past = true;
      if (!past && same_key(event.key, key)) found.push_back(event.offset);
    });
    if (!polled) return polled.status();
    if (*polled == 0 || past) break;
  }
  out->insert(out->end(), found.rbegin(), found.rend());
  return Status::ok();
}

// Walks the sealed segments from the newest below `below` down, collecting the key's offsets >= from,
// newest first. `chain`: where the key's chain continues (kNoOffset when unknown: look the key up).
Status walk_sealed(KeyReaderState& state, std::span<const std::byte> key, std::uint64_t hash, std::uint64_t from,
                   std::uint64_t below, std::uint64_t chain, std::vector<std::uint64_t>* out) {
  for (auto it = state.bases.rbegin(); it != state.bases.rend(); ++it) {
    const std::uint64_t base = *it;
    if (base >= below) continue;
    const std::uint64_t end = below;
    below = base;
    if (end <= from) break;
    const auto file = key_file(state, base);
    if (file == nullptr || file->next_offset() != end) {
      STRATA_RETURN_IF_ERROR(scan_for_key(state, key, std::max(base, from), end, out));
      chain = kNoOffset;
      continue;
    }
    std::uint64_t offset = chain != kNoOffset ? chain : file->last_offset(hash);
    if (offset == kNoOffset) continue;  // the key has no event here: look it up in the one before
    while (offset != kNoOffset && offset >= base && offset >= from) {
      out->push_back(offset);
      offset = file->previous(offset);
    }
    if (offset == kNoOffset || offset < from) break;  // the chain ended, or reached `from`
    chain = offset;
  }
  return Status::ok();
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
  state->partition_dir = dir + "/" + format::partition_directory_name(topic, partition);
  return std::unique_ptr<KeyReader>(new KeyReader(std::move(state)));
}

Result<std::vector<std::uint64_t>> KeyReader::offsets(std::span<const std::byte> key, std::uint64_t from) {
  detail::KeyReaderState& state = *state_;
  if (key.empty()) return invalid_argument("reading one key: the key is empty (events without a key are not indexed)");
  auto bases = detail::list_segment_bases(state.partition_dir);
  if (!bases) return bases.status();
  state.bases = std::move(bases.value());
  std::erase_if(state.files, [&](const auto& entry) {
    return !std::binary_search(state.bases.begin(), state.bases.end(), entry.first);
  });
  std::vector<std::uint64_t> newest_first;
  if (state.bases.empty()) return newest_first;
  from = std::max(from, state.bases.front());
  const std::uint64_t hash = detail::key_hash(key);
  std::uint64_t below = detail::kNoOffset;
  std::uint64_t chain = detail::kNoOffset;
  bool chain_ended = false;
  if (state.live != nullptr) {
    chain = state.live->active_offsets(hash, from, &newest_first);
    chain_ended = chain == detail::kNoOffset;
    // The sealed segments are those below the chain's continuation (the index sealed them before moving on).
    below = chain_ended ? 0 : chain + 1;
    // Where the sealed segment holding `chain` ends: the next base above it.
    if (!chain_ended) {
      const auto next = std::upper_bound(state.bases.begin(), state.bases.end(), chain);
      below = next == state.bases.end() ? detail::kNoOffset : *next;
    }
  } else {
    // Another process: the last segment is active unless its key file exists.
    const std::uint64_t last = state.bases.back();
    if (detail::key_file(state, last) == nullptr) {
      STRATA_RETURN_IF_ERROR(detail::scan_for_key(state, key, std::max(last, from), detail::kNoOffset, &newest_first));
      below = last;
    }
  }
  if (!chain_ended) {
    if (below == detail::kNoOffset) {  // every segment is sealed: the newest ends at its key file's next offset
      const auto file = detail::key_file(state, state.bases.back());
      below = file != nullptr ? file->next_offset() : detail::kNoOffset;
    }
    if (below != detail::kNoOffset) {
      STRATA_RETURN_IF_ERROR(detail::walk_sealed(state, key, hash, from, below, chain, &newest_first));
    }
  }
  const std::uint64_t visible = state.reader->end_offset();
  std::vector<std::uint64_t> offsets;
  for (auto it = newest_first.rbegin(); it != newest_first.rend(); ++it) {
    if (*it < visible && *it >= from) offsets.push_back(*it);
  }
  return offsets;
}

Result<std::size_t> KeyReader::read(std::span<const std::byte> key, std::uint64_t from, std::size_t max,
                                    const EventCallback& fn) {
  auto found = offsets(key, from);
  if (!found) return found.status();
  std::size_t given = 0;
  for (const std::uint64_t offset : *found) {
    if (given == max) break;
    STRATA_RETURN_IF_ERROR(state_->reader->seek(offset));
    auto polled = state_->reader->poll(1, [&](const Event& event) {
      if (event.offset == offset && detail::same_key(event.key, key)) {
        fn(event);
        ++given;
      }
    });
    if (!polled) return polled.status();
  }
  return given;
}

}  // namespace strata
