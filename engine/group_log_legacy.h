// Format 2's consumer-group checkpoints: one file per (group, topic, partition) under
// strata-groups/<group>/<topic>-<partition>.strata-offset. GroupLog migrates them into the group log the
// first time it opens a directory that has them; nothing writes them any more.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "strata/consumer_group.h"
#include "strata/status.h"

namespace strata {

bool has_legacy_checkpoints(const std::string& dir);
// Every checkpoint, by group; kCorruption naming the file when one does not check out.
Result<std::map<std::string, std::vector<GroupPartitionOffset>>> read_legacy_checkpoints(const std::string& dir);
// Removes strata-groups/ and everything in it, durably.
Status remove_legacy_checkpoints(const std::string& dir);

}  // namespace strata
