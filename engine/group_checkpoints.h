// What the engine itself does to consumer-group checkpoints (strata/consumer_group.h has the public calls).
#pragma once

#include <string>
#include <string_view>

#include "strata/status.h"

namespace strata {

// Removes every group's checkpoints of `topic` (any partition) in the log directory `dir`, durably (each
// group directory touched is fsynced). Log::delete_topic uses it; a missing groups directory is fine.
Status remove_topic_group_offsets(const std::string& dir, std::string_view topic);

}  // namespace strata
