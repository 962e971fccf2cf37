// strata verify --repair-from: the damaged batches of a log's sealed segments (strata/repair.h) rebuilt
// from the events a mirror of the log holds at the same offsets (strata mirror --to keeps offsets 1:1 and
// marks each copied event with its source offset in strata.source-offset, which is checked here and not
// stored back).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "mirror/mirror.h"
#include "strata/repair.h"

namespace strata::mirror {

struct RepairOptions {
  std::string dir;        // the local log directory (no process may have it open)
  std::string bootstrap;  // the cluster holding the copy
  std::string topic;      // empty: every topic
  ClientConfig client_config;
};

struct RepairResult {
  DamagedBatch batch;
  bool repaired = false;
  bool byte_identical = false;  // see RepairOutcome
  std::string problem;          // why it was not repaired
};

// Repairs every damaged batch it can; each one it cannot is reported with the reason (a copy that lacks the
// offsets, holds other events there, or is unreachable), never skipped. Fails only when the log cannot be
// read or locked. `progress` (may be empty) is called after each batch.
Result<std::vector<RepairResult>> repair_from_cluster(const RepairOptions& options,
                                                      const std::function<void(const RepairResult&)>& progress);

}  // namespace strata::mirror
