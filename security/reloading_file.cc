#include "security/reloading_file.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "strata/durable_file.h"

namespace strata::security {

Result<FileStamp> stamp_file(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) {
    if (errno == ENOENT) return FileStamp{};
    return io_error("stat " + path + ": " + std::strerror(errno));
  }
  return FileStamp{static_cast<std::uint64_t>(info.st_ino), static_cast<std::uint64_t>(info.st_size),
                   static_cast<std::int64_t>(info.st_mtim.tv_sec) * 1'000'000'000 + info.st_mtim.tv_nsec};
}

Result<FileContent> read_file_content(const std::string& path, std::size_t bytes_max) {
  // Stamp, read, stamp again: a rename in between shows as two stamps that differ, and we read again.
  for (int attempt = 0; attempt < 8; ++attempt) {
    auto before = stamp_file(path);
    if (!before) return before.status();
    if (before->inode == 0) return FileContent{};
    auto bytes = read_whole_small_file(path, bytes_max);
    if (!bytes && bytes.status().code() == StatusCode::kNotFound) continue;  // removed meanwhile
    if (!bytes) return bytes.status();
    auto after = stamp_file(path);
    if (!after) return after.status();
    if (*after == *before) return FileContent{std::move(*bytes), *before, true};
  }
  return io_error(path + ": kept changing while being read");
}

}  // namespace strata::security
