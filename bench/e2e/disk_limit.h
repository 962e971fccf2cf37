// What the disk under a directory can do, measured the way the writer uses it: sequential O_DIRECT writes of
// 1 MiB at queue depth 16 through io_uring, and the latency of a 4 KiB O_DIRECT write followed by fdatasync.
#pragma once

#include <string>

#include "strata/status.h"

namespace strata::bench {

struct DiskLimit {
  double sequential_mb_s = 0;
  double fdatasync_p50_us = 0;
  double fdatasync_p99_us = 0;
};

Result<DiskLimit> measure_disk_limit(const std::string& directory, double seconds);

}  // namespace strata::bench
