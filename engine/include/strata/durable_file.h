// Small files written whole and durably, for folders built on the public API (security/ keeps its users and
// ACLs this way, as the log keeps its topic metadata). Implemented at the io/ boundary (io/durable_file.cc).
#pragma once

#include <cstddef>
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

// The whole content of a small file: kNotFound when missing, kCorruption when larger than bytes_max.
Result<std::vector<std::byte>> read_whole_small_file(const std::string& path, std::size_t bytes_max);

}  // namespace strata
