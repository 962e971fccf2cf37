// Small files written whole and durably, for folders built on the public API (security/ keeps its users and
// ACLs this way, as the log keeps its topic metadata). Implemented in engine/durable_file.cc
// over io/file.h.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "strata/status.h"

namespace strata {

// Writes `bytes` to dir/name atomically and durably: a temporary file created with `permissions` (so the
// content is never readable more widely), written, fsynced, renamed over the old file, the directory fsynced.
// A crash leaves the old file or the new one, never a mix. REQUIRES: one writer of dir/name at a time (hold a
// FileLock; the temporary file's name is fixed).
Status write_file_durably(const std::string& dir, const std::string& name, std::span<const std::byte> bytes,
                          unsigned permissions = 0644);

// Which version of a file a path names: a file replaced by rename has a new inode. All zero when missing.
struct FileVersion {
  std::uint64_t inode = 0;
  std::uint64_t size = 0;
  std::int64_t modified_ns = 0;
  bool operator==(const FileVersion&) const = default;
};
Result<FileVersion> file_version(const std::string& path);

// The whole content of a small file: kNotFound when missing, kCorruption when larger than bytes_max.
Result<std::vector<std::byte>> read_whole_small_file(const std::string& path, std::size_t bytes_max);

}  // namespace strata
