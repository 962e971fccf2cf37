#include "strata/durable_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "strata/errno_status.h"
#include "io/file.h"

namespace strata {

Status write_file_durably(const std::string& dir, const std::string& name, std::span<const std::byte> bytes,
                          unsigned permissions) {
  // replace_file_durably reuses an existing temporary file: create it first with the permissions wanted, so
  // that it never holds the content under wider ones.
  const std::string temporary = dir + "/" + name + ".tmp";
  ::unlink(temporary.c_str());  // a leftover of a crash may carry other permissions
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, permissions);
  if (fd < 0) return status_from_errno(errno, "create " + temporary);
  ::close(fd);
  return io::replace_file_durably(dir, name, bytes);
}

Result<FileVersion> file_version(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) {
    if (errno == ENOENT) return FileVersion{};
    return status_from_errno(errno, "stat " + path);
  }
  return FileVersion{static_cast<std::uint64_t>(info.st_ino), static_cast<std::uint64_t>(info.st_size),
                     static_cast<std::int64_t>(info.st_mtim.tv_sec) * 1'000'000'000 + info.st_mtim.tv_nsec};
}

Result<std::vector<std::byte>> read_whole_small_file(const std::string& path, std::size_t bytes_max) {
  return io::read_small_file(path, bytes_max);
}

}  // namespace strata
