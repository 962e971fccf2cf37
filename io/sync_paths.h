// Many fsyncs at once (defined in file.cc, beside the single ones and their test hook).
#pragma once

#include <span>
#include <string>

#include "strata/status.h"

namespace strata::io {

// fsync of each file (`directories`: each directory) of `paths`, up to 16 at once: fsyncs issued together
// share the filesystem's journal commits and cache flushes, where one after another each pays for its own
// (creating 10,000 partitions made 20,000 fsyncs, 2 ms each one by one on the 2-core VM). Returns the first
// error, with its path. The test hook (set_file_fault_hook_for_testing) sees every path, in order, before
// any call is made.
Status sync_paths(std::span<const std::string> paths, bool directories);

}  // namespace strata::io
