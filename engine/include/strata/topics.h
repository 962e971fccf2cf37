// Reading a log directory's topics without opening the Log (no lock taken): for tools, projections and
// readers that run beside a writer in another process.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "strata/log.h"

namespace strata {

// The topic's metadata; kNotFound when the directory has no such topic.
Result<TopicInfo> read_topic_info(const std::string& dir, std::string_view topic);
// Every topic in the directory, by name.
Result<std::vector<TopicInfo>> list_topics(const std::string& dir);

}  // namespace strata
