// The state behind a KeyReader (strata/key_reader.h); Log::key_reader attaches it to the writer's index.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <utility>
#include <set>
#include <string>
#include <vector>

#include "engine/key_index.h"
#include "strata/key_reader.h"
#include "strata/reader.h"

namespace strata::detail {

// One event of the key: its offset, and where its batch is (the segment's base offset, the file position).
struct KeyEvent {
  std::uint64_t offset;
  std::uint64_t base;
  std::uint32_t position;
};

struct KeyReaderState {
  // What is visible (its end_offset()); a Log's reader also holds the log's core, and so `live`, alive.
  std::unique_ptr<Reader> reader;
  std::string partition_dir;
  std::uint32_t partition = 0;
  KeyIndex* live = nullptr;  // a Log's key reader: the writer's index (the active segment's chain)
  // A sealed segment's key file and data, opened together (so that both are of one version of a segment
  // that compaction rewrote: see key_file() in key_reader.cc).
  struct SealedSegment {
    std::shared_ptr<const SegmentKeyFile> keys;
    io::ReadOnlyMapping data;
    io::File file;  // the same segment, for pread
    io::File::Identity keys_identity;
  };
  std::map<std::uint64_t, SealedSegment> files;  // by base offset
  std::vector<std::uint64_t> bases;  // the partition's segments, listed per read
  std::set<std::pair<std::uint64_t, std::uint32_t>> verified;  // batches (base, position) whose CRC passed
  std::optional<std::pair<std::uint64_t, io::File>> unmapped;  // (base, file) of the segment read with pread
  bool batches_uncached = false;        // this read's batches were not in the page cache: read with pread
  std::vector<std::byte> buffer;        // a batch read with pread
  std::vector<std::byte> decompressed;  // a compressed batch's records
  std::vector<EventHeader> headers;
};

}  // namespace strata::detail
