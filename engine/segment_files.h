// Where a topic's files are and what they are called on disk; shared by recovery, readers and inspection.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "strata/status.h"

namespace strata::detail {

// Base offsets of the segment files in `topic_dir`, ascending.
Result<std::vector<std::uint64_t>> list_segment_bases(const std::string& topic_dir);

std::string segment_path(const std::string& topic_dir, std::uint64_t base_offset);
std::string index_path(const std::string& topic_dir, std::uint64_t base_offset);

}  // namespace strata::detail
