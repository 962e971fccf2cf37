#include "engine/segment_swap.h"

#include <cstdio>
#include <map>
#include <memory>

#include "engine/compactor.h"
#include "engine/key_index.h"
#include "engine/segment_mappings.h"
#include "io/file.h"

namespace strata::detail {

std::mutex& segment_files_mutex(const std::string& dir) {
  static std::mutex registry_mutex;
  static std::map<std::string, std::unique_ptr<std::mutex>, std::less<>> registry;  // one per partition seen
  std::lock_guard lock(registry_mutex);
  auto& entry = registry[dir];
  if (entry == nullptr) entry = std::make_unique<std::mutex>();
  return *entry;
}

namespace {

std::string file_name(const std::string& path) {
  return path.substr(path.rfind('/') + 1);
}

bool exists(const std::string& path) {
  return static_cast<bool>(io::File::open(path, io::OpenMode::kReadOnly));
}

}  // namespace

Result<bool> swap_in_compacted(const std::string& dir, const CompactedSegment& compacted,
                               const std::function<void(std::string_view)>& step) {
  const auto at = [&](std::string_view name) {
    if (step) step(name);
  };
  const std::uint64_t base = compacted.info.base_offset;
  const std::string segment = segment_path(dir, base);
  std::lock_guard lock(segment_files_mutex(dir));
  if (!exists(segment)) {
    STRATA_RETURN_IF_ERROR(io::remove_file(compacted.aside_path));
    return false;
  }
  at("written");
  // The old index and key file go first: from here a crash leaves a sealed segment without an index, which
  // recovery rebuilds from whichever file is then named <base>.log.
  STRATA_RETURN_IF_ERROR(io::remove_file(key_file_path(dir, base)));
  STRATA_RETURN_IF_ERROR(io::remove_file(index_path(dir, base)));
  STRATA_RETURN_IF_ERROR(io::sync_directory(dir));
  at("old-index-removed");
  forget_segment_mappings(segment);
  STRATA_RETURN_IF_ERROR(io::rename_durably(dir, file_name(compacted.aside_path), file_name(segment)));
  at("renamed");
  STRATA_RETURN_IF_ERROR(write_index(dir, compacted.info, compacted.index));
  at("index-written");
  if (compacted.keys) {
    STRATA_RETURN_IF_ERROR(io::replace_file_durably(dir, file_name(key_file_path(dir, base)), *compacted.keys));
  }
  at("done");
  return true;
}

}  // namespace strata::detail
