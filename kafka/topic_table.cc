// Topic lookups for the server (see topic_table.h).
#include "kafka/topic_table.h"

#include <mutex>

namespace strata::kafka {

Result<TopicEntry> TopicTable::open_existing(std::string_view name) {
  auto id = log_.topic(name);  // exists: opens it with its own count
  if (!id) return id.status();
  const TopicInfo info = log_.topic_info(*id);
  TopicEntry entry{info.name, *id, info.partitions};
  std::unique_lock lock(mutex_);
  known_.insert_or_assign(entry.name, entry);
  return entry;
}

std::optional<TopicEntry> TopicTable::find(std::string_view name) {
  {
    std::shared_lock lock(mutex_);
    auto it = known_.find(name);
    if (it != known_.end()) return it->second;
  }
  for (const TopicInfo& info : log_.topics()) {
    if (info.name != name) continue;
    auto entry = open_existing(name);
    if (!entry) return std::nullopt;
    return *entry;
  }
  return std::nullopt;
}

Result<TopicEntry> TopicTable::create(std::string_view name, std::uint32_t partitions) {
  STRATA_RETURN_IF_ERROR(validate_topic_name(name));
  auto id = log_.topic(name, TopicOptions{partitions});
  if (!id && id.status().code() != StatusCode::kInvalidArgument) return id.status();
  // kInvalidArgument with a valid name: it exists with another count; open it as it is.
  return open_existing(name);
}

std::vector<TopicEntry> TopicTable::all() {
  std::vector<TopicEntry> out;
  for (const TopicInfo& info : log_.topics()) {
    if (auto entry = find(info.name)) out.push_back(*entry);
  }
  return out;
}

}  // namespace strata::kafka
