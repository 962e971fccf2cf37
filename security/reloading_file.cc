#include "security/reloading_file.h"

#include "strata/durable_file.h"

namespace strata::security {

Result<FileContent> read_file_content(const std::string& path, std::size_t bytes_max) {
  // Stamp, read, stamp again: a rename in between shows as two stamps that differ, and we read again.
  for (int attempt = 0; attempt < 8; ++attempt) {
    auto before = file_version(path);
    if (!before) return before.status();
    if (before->inode == 0) return FileContent{};
    auto bytes = read_whole_small_file(path, bytes_max);
    if (!bytes && bytes.status().code() == StatusCode::kNotFound) continue;  // removed meanwhile
    if (!bytes) return bytes.status();
    auto after = file_version(path);
    if (!after) return after.status();
    if (*after == *before) return FileContent{std::move(*bytes), *before, true};
  }
  return io_error(path + ": kept changing while being read");
}

}  // namespace strata::security
