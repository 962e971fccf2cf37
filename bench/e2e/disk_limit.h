// What the disk under a directory can do, measured the way the writer uses it: sequential O_DIRECT writes of
// 1 MiB at queue depth 16 through io_uring, and the latency of a 4 KiB O_DIRECT write followed by fdatasync,
// into fresh (fallocated, unwritten) blocks and into blocks written before.
#pragma once

#include <string>

#include "strata/status.h"

namespace strata::bench {

struct SyncLatency {
  double p50_us = 0;
  double p99_us = 0;
  bool direct_io = true;  // false: the filesystem refused O_DIRECT and the writes went through the page cache
};

struct DiskLimit {
  double sequential_mb_s = 0;
  SyncLatency fresh;    // into fallocated blocks never written: each fdatasync also commits the extent conversion
  SyncLatency written;  // into blocks written (and synced) before: the device's own write + cache flush
};

Result<DiskLimit> measure_disk_limit(const std::string& directory, double seconds);

// The floor of a `sync` acknowledgement on this directory: 4 KiB writes + fdatasync, one after the other, at
// consecutive positions of a scratch file whose blocks were all written and synced before (so no fdatasync
// has an unwritten extent to convert), for `seconds` or 20,000 samples. O_DIRECT, or buffered when the
// filesystem refuses it and `allow_buffered_io`.
Result<SyncLatency> measure_sync_floor(const std::string& directory, double seconds, bool allow_buffered_io);

}  // namespace strata::bench
