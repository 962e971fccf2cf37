// Topic lookups for the server (see topic_table.h).
#include "kafka/topic_table.h"

#include <mutex>

namespace strata::kafka {

Result<TopicEntry> TopicTable::open_existing(std::string_view name) {
  // Under the lock, and never creating: a remove() cannot slip between the lookup and remembering it.
  std::unique_lock lock(mutex_);
  auto id = log_.find_topic(name);
  if (!id) return id.status();
  const TopicInfo info = log_.topic_info(*id);
  TopicEntry entry{info.name, *id, info.partitions};
  known_.insert_or_assign(entry.name, entry);
  return entry;
}

std::optional<TopicEntry> TopicTable::find(std::string_view name) {
  {
    std::shared_lock lock(mutex_);
    auto it = known_.find(name);
    if (it != known_.end()) return it->second;
  }
  auto entry = open_existing(name);
  if (!entry) return std::nullopt;
  return *entry;
}

Result<TopicEntry> TopicTable::create(std::string_view name, std::uint32_t partitions) {
  TopicOptions options;
  options.partitions = partitions;
  return create(name, options);
}

Result<TopicEntry> TopicTable::create(std::string_view name, const TopicOptions& options) {
  STRATA_RETURN_IF_ERROR(validate_topic_name(name));
  auto id = log_.topic(name, options);
  if (!id && id.status().code() != StatusCode::kInvalidArgument) return id.status();
  // kInvalidArgument with a valid name: it exists with another count; open it as it is.
  return open_existing(name);
}

Status TopicTable::grow(std::string_view name, std::uint32_t partitions) {
  // Held across the change: a find() meanwhile could otherwise remember the old count.
  std::unique_lock lock(mutex_);
  STRATA_RETURN_IF_ERROR(log_.increase_partitions(name, partitions));
  if (auto it = known_.find(name); it != known_.end()) it->second.partitions = partitions;
  return Status::ok();
}

Status TopicTable::remove(std::string_view name) {
  // Held across the deletion: a find() meanwhile could otherwise remember the topic being deleted.
  std::unique_lock lock(mutex_);
  Status deleted = log_.delete_topic(name);
  if (auto it = known_.find(name); it != known_.end()) known_.erase(it);
  return deleted;
}

std::vector<TopicEntry> TopicTable::all() {
  std::vector<TopicEntry> out;
  for (const TopicInfo& info : log_.topics()) {
    if (auto entry = find(info.name)) out.push_back(*entry);
  }
  return out;
}

Uuid topic_uuid(const TopicEntry& topic) {
  std::uint64_t hash = 0xcbf29ce484222325ull;  // FNV-1a 64
  for (char c : topic.name) hash = (hash ^ static_cast<unsigned char>(c)) * 0x100000001b3ull;
  return Uuid{hash, (std::uint64_t{0x73747261} << 32) | topic.id};  // "stra"
}

std::optional<TopicEntry> TopicTable::find(const Uuid& id) {
  for (TopicEntry& topic : all()) {
    if (topic_uuid(topic) == id) return std::move(topic);
  }
  return std::nullopt;
}

}  // namespace strata::kafka
