// Consumer groups: a named, durable position per (group, topic, partition), so that a consumer resumes where
// it stopped. One truth for every kind of consumer: a Kafka client's OffsetCommit, `strata tail --group`, a
// projection and the C++ API all read and write these same checkpoints.
//
// The committed offset is the next offset to process (everything below was processed), as Kafka commits
// it. Stored in <dir>/strata-groups/<group>/<topic>-<partition>.strata-offset: written to a temporary file,
// synced, renamed, directory synced. Group names follow the topic-name rules.
//
// Threads: any. Two processes committing the same (group, topic, partition) at once: the last rename wins.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "strata/status.h"

namespace strata {

struct GroupOffset {
  std::uint64_t offset = 0;  // the next offset to process
  std::string metadata;      // the client's metadata string (Kafka's OffsetCommit), at most 4 KiB
};

Status commit_group_offset(const std::string& dir, std::string_view group, std::string_view topic,
                           std::uint32_t partition, const GroupOffset& committed);
// kNotFound when the group never committed for that partition.
Result<GroupOffset> read_group_offset(const std::string& dir, std::string_view group, std::string_view topic,
                                      std::uint32_t partition);

struct GroupPartitionOffset {
  std::string topic;
  std::uint32_t partition = 0;
  GroupOffset committed;
};
// Every group with a checkpoint, by name.
Result<std::vector<std::string>> list_groups(const std::string& dir);
// Every checkpoint of `group`, by topic then partition.
Result<std::vector<GroupPartitionOffset>> list_group_offsets(const std::string& dir, std::string_view group);

}  // namespace strata
