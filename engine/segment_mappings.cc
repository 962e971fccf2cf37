#include "engine/segment_mappings.h"

#include <algorithm>
#include <list>
#include <map>
#include <mutex>

namespace strata::detail {
namespace {

// Kept with no reader, most recently used first. Bounded by bytes (address space and page tables, not memory:
// the pages are the page cache's, reclaimable as ever; but a removed file's disk space too, until let go) and
// by count (each holds a file descriptor). A replay of more than this keeps its newest segments only.
constexpr std::uint64_t kKeptBytesMax = 4ull << 30;
constexpr std::size_t kKeptMappingsMax = 256;

bool under(const std::string& path, const std::string& prefix) {
  return path == prefix || (path.size() > prefix.size() && path.compare(0, prefix.size(), prefix) == 0 &&
                            (prefix.back() == '/' || path[prefix.size()] == '/'));
}

// Keyed by the file's identity, not its path: a topic deleted and created again has new files at the same
// paths, while a reader of the old topic may still hold the old mapping.
class MappingCache {
 public:
  Result<std::shared_ptr<const SegmentMapping>> get(const std::string& path, std::uint64_t data_end) {
    auto file = io::File::open(path, io::OpenMode::kReadOnly);
    if (!file) return file.status();
    auto identity = file->identity();
    if (!identity) return identity.status();
    // Never past the file's end: an index read just before compaction renamed a shorter segment in may
    // still name the old one's end (engine/compactor.h).
    auto size = file->size();
    if (!size) return size.status();
    data_end = std::min<std::uint64_t>(data_end, *size);
    std::lock_guard lock(mutex_);
    drop_unlinked();
    if (auto it = mappings_.find(*identity); it != mappings_.end()) {
      if (auto mapping = it->second.lock(); mapping != nullptr && mapping->bytes().size() >= data_end) {
        keep(mapping);
        return std::shared_ptr<const SegmentMapping>(mapping);
      }
    }
    // Populated: readers scan the whole segment, and faulting it in at once is far cheaper than a page fault
    // per 4 KiB (measured: replay went from 24 to ~28 M events/s).
    auto mapped = io::ReadOnlyMapping::map(*file, data_end, /*populate=*/true);
    if (!mapped) return mapped.status();
    auto mapping = std::make_shared<const SegmentMapping>(path, std::move(file.value()), std::move(mapped.value()));
    std::erase_if(mappings_, [](const auto& entry) { return entry.second.expired(); });  // bounded by live ones
    mappings_[*identity] = mapping;
    keep(mapping);
    return std::shared_ptr<const SegmentMapping>(mapping);
  }

  void forget(const std::string& path) {
    std::lock_guard lock(mutex_);
    std::erase_if(kept_, [&](const auto& mapping) { return under(mapping->path(), path); });
  }

  KeptMappings kept(const std::string& path) {
    std::lock_guard lock(mutex_);
    KeptMappings totals;
    for (const auto& mapping : kept_) {
      if (mapping.use_count() == 1 && under(mapping->path(), path)) {
        ++totals.count;
        totals.bytes += mapping->bytes().size();
      }
    }
    return totals;
  }

 private:
  void keep(const std::shared_ptr<const SegmentMapping>& mapping) {
    std::erase(kept_, mapping);
    kept_.push_front(mapping);
    std::uint64_t bytes = 0;
    std::size_t count = 0;
    for (auto it = kept_.begin(); it != kept_.end();) {
      bytes += (*it)->bytes().size();
      ++count;
      it = (count > kKeptMappingsMax || bytes > kKeptBytesMax) ? kept_.erase(it) : std::next(it);
    }
  }

  // Files another process removed (its retention or compaction): their space comes back once let go.
  void drop_unlinked() {
    std::erase_if(kept_, [](const auto& mapping) { return mapping->unlinked(); });
  }

  std::mutex mutex_;
  std::map<io::File::Identity, std::weak_ptr<const SegmentMapping>> mappings_;
  std::list<std::shared_ptr<const SegmentMapping>> kept_;
};

MappingCache& mapping_cache() {
  static MappingCache cache;
  return cache;
}

}  // namespace

bool SegmentMapping::unlinked() const {
  auto links = file_.link_count();
  return links.is_ok() && *links == 0;
}

Result<std::shared_ptr<const SegmentMapping>> map_sealed_segment(const std::string& path, std::uint64_t data_end) {
  return mapping_cache().get(path, data_end);
}

void forget_segment_mappings(const std::string& path) {
  mapping_cache().forget(path);
}

KeptMappings kept_segment_mappings(const std::string& path) {
  return mapping_cache().kept(path);
}

}  // namespace strata::detail
