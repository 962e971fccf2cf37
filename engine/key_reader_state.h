// The state behind a KeyReader (strata/key_reader.h); Log::key_reader attaches it to the writer's index.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/key_index.h"
#include "strata/key_reader.h"
#include "strata/reader.h"

namespace strata::detail {

struct KeyReaderState {
  std::unique_ptr<Reader> reader;  // a Log's reader holds the log's core, and so `live`, alive
  std::string partition_dir;
  KeyIndex* live = nullptr;  // a Log's key reader: the writer's index (the active segment's chain)
  std::map<std::uint64_t, std::shared_ptr<const SegmentKeyFile>> files;  // by base offset
  std::vector<std::uint64_t> bases;  // the partition's segments, listed per read
};

}  // namespace strata::detail
