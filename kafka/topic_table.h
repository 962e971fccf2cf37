// TopicTable: name -> (TopicId, partition count) for the server, without creating topics by looking.
// Lookups go through Log::find_topic() (Log::topic() would create a topic it does not find) and remember
// what they found; remove() deletes a topic and forgets it under the table's lock, so no entry goes stale.
//
// Threads: any.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "kafka/messages.h"
#include "strata/log.h"

namespace strata::kafka {

struct TopicEntry {
  std::string name;
  TopicId id = 0;
  std::uint32_t partitions = 0;
};

// The topic's Kafka topic id: strata's TopicId in the low half (with a marker, so it is never zero), a hash of
// the name in the high half (a topic deleted and created again under the same name gets another TopicId, and
// so another id). Stable across restarts, as both halves are.
Uuid topic_uuid(const TopicEntry& topic);

class TopicTable {
 public:
  explicit TopicTable(Log& log) : log_(log) {}

  // The topic, or nullopt when the log has none of that name.
  std::optional<TopicEntry> find(std::string_view name);
  // Creates the topic with `partitions` (or opens it when it exists, whatever its count).
  Result<TopicEntry> create(std::string_view name, std::uint32_t partitions);
  // The same with the topic's options (configs). REQUIRES: options.configs were validated (an invalid one
  // would read as "exists with another count").
  Result<TopicEntry> create(std::string_view name, const TopicOptions& options);
  // Every topic of the log, by name.
  std::vector<TopicEntry> all();
  // The topic whose topic_uuid() is `id`, or nullopt.
  std::optional<TopicEntry> find(const Uuid& id);
  // Log::increase_partitions, and the table remembers the new count.
  Status grow(std::string_view name, std::uint32_t partitions);
  // Log::delete_topic, and the table forgets the topic. kNotFound when there is none.
  Status remove(std::string_view name);

 private:
  Result<TopicEntry> open_existing(std::string_view name);

  Log& log_;
  std::shared_mutex mutex_;
  std::map<std::string, TopicEntry, std::less<>> known_;
};

}  // namespace strata::kafka
