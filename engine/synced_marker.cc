#include "engine/synced_marker.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "engine/format.h"
#include "strata/errno_status.h"

namespace strata::detail {

namespace {
std::string marker_path(const std::string& partition_dir) {
  return partition_dir + "/" + std::string(format::kSyncedFile);
}
}  // namespace

Result<SyncedMarker> SyncedMarker::create(const std::string& partition_dir, std::uint64_t offset) {
  // A reader may open the file at any moment: a new one is written aside and renamed into place whole (magic
  // and offset), so no reader sees it empty. An existing one is reused, so that readers which mapped it before
  // this writer started go on seeing what it publishes.
  const std::string path = marker_path(partition_dir);
  struct stat info {};
  const bool exists = ::stat(path.c_str(), &info) == 0;
  const std::string written_at = exists ? path : path + ".new";
  auto mapping = io::SharedMapping::create(written_at, format::kSyncedFileBytes);
  if (!mapping) return mapping.status();
  SyncedMarker marker;
  marker.mapping_ = std::move(mapping.value());
  std::memcpy(marker.mapping_.bytes().data(), format::kSyncedMagic, sizeof format::kSyncedMagic);
  marker.word_ = reinterpret_cast<std::uint64_t*>(marker.mapping_.bytes().data() + format::kSyncedOffsetAt);
  // A new writer starts from what recovery kept (synced before the writer starts): never from a stale value.
  std::atomic_ref<std::uint64_t>(*marker.word_).store(offset, std::memory_order_release);
  marker.last_ = offset;
  if (!exists && ::rename(written_at.c_str(), path.c_str()) != 0) {
    return status_from_errno(errno, "rename " + written_at + " to " + path);
  }
  return marker;
}

Result<SyncedMarker> SyncedMarker::open(const std::string& partition_dir) {
  const std::string path = marker_path(partition_dir);
  auto mapping = io::SharedMapping::open_read_only(path, format::kSyncedFileBytes);
  if (!mapping) return mapping.status();
  if (std::memcmp(mapping->bytes().data(), format::kSyncedMagic, sizeof format::kSyncedMagic) != 0) {
    return corruption(path + ": not a synced-offset file (bad magic)");
  }
  SyncedMarker marker;
  marker.mapping_ = std::move(mapping.value());
  marker.word_ = reinterpret_cast<std::uint64_t*>(marker.mapping_.bytes().data() + format::kSyncedOffsetAt);
  return marker;
}

}  // namespace strata::detail
