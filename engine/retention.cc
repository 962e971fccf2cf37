#include "engine/retention.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "engine/recovery.h"
#include "engine/segment_files.h"
#include "io/file.h"

namespace strata::detail {

Result<std::uint64_t> apply_retention(const std::string& topic_dir, const RetentionPolicy& policy,
                                      std::int64_t now_us) {
  if (policy.retention_bytes == 0 && policy.retention_age.count() == 0) return std::uint64_t{0};
  auto bases = list_segment_bases(topic_dir);
  if (!bases) return bases.status();
  struct Sealed {
    std::uint64_t base;
    std::uint64_t bytes;
    std::int64_t max_timestamp_us;
  };
  std::vector<Sealed> sealed;
  std::uint64_t total_bytes = 0;
  for (const std::uint64_t base : *bases) {
    auto index = read_index(index_path(topic_dir, base), base, nullptr);
    if (index) {
      sealed.push_back({base, index->data_end, index->max_timestamp_us});
      total_bytes += index->data_end;
    } else if (auto file = io::File::open(segment_path(topic_dir, base), io::OpenMode::kReadOnly)) {
      total_bytes += file->size().is_ok() ? file->size().value() : 0;  // the active segment counts, stays
    }
  }
  std::uint64_t deleted = 0;
  for (const Sealed& segment : sealed) {
    const bool too_big = policy.retention_bytes != 0 && total_bytes > policy.retention_bytes;
    const bool too_old =
        policy.retention_age.count() != 0 && segment.max_timestamp_us < now_us - policy.retention_age.count();
    if (!too_big && !too_old) break;  // oldest first: once one stays, the newer ones stay too
    // The segment first: a leftover index without its segment is ignored by recovery and readers.
    for (const std::string& path :
         {segment_path(topic_dir, segment.base), index_path(topic_dir, segment.base)}) {
      if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
        return io_error("deleting " + path + " for retention: " + std::strerror(errno));
      }
    }
    total_bytes -= segment.bytes;
    ++deleted;
  }
  if (deleted > 0) STRATA_RETURN_IF_ERROR(io::sync_directory(topic_dir));
  return deleted;
}

}  // namespace strata::detail
