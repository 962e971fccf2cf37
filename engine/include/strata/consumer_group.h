// Consumer groups: a named, durable position per (group, topic, partition), so that a consumer resumes where
// it stopped. One truth for every kind of consumer: a Kafka client's OffsetCommit, `strata tail --group`, a
// projection and the C++ API all read and write these same checkpoints.
//
// The committed offset is the next offset to process (everything below was processed), as Kafka commits
// it. Stored, as Kafka's __consumer_offsets stores them, in one append-only file per log directory,
// <dir>/strata-groups.strata-log: each commit appends one checksummed record and returns once an fdatasync
// covers it; concurrent commits in a process share fdatasyncs; the file is compacted when it grows (and on
// open). The same file keeps the Kafka coordinator's state of each group, so a restarted server resumes
// its groups. A group id is any non-empty string of at most 32767 bytes (Kafka's rule).
//
// Threads: any. Processes: any number at once (the server, `strata tail --group`, a projection): they
// share the file under an advisory lock and each reads what the others appended.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "strata/status.h"

namespace strata {

struct GroupOffset {
  std::uint64_t offset = 0;  // the next offset to process
  std::string metadata;      // the client's metadata string (Kafka's OffsetCommit), at most 4 KiB
};

struct GroupPartitionOffset {
  std::string topic;
  std::uint32_t partition = 0;
  GroupOffset committed;
};

// Durable on return. kInvalidArgument for an empty or too long group id, a bad topic name or metadata over
// 4 KiB; kNotFound when `dir` does not exist.
Status commit_group_offset(const std::string& dir, std::string_view group, std::string_view topic,
                           std::uint32_t partition, const GroupOffset& committed);
// Several partitions at once: one record, one fdatasync (what a Kafka OffsetCommit request does).
Status commit_group_offsets(const std::string& dir, std::string_view group,
                            std::span<const GroupPartitionOffset> offsets);

// Commits for an event loop that must not block on an fdatasync (the Kafka server's reactors): start() checks
// and writes the commit's record (readers see it at once) and returns a ticket; a background thread makes it
// durable with an fdatasync shared by every commit written before that sync began, then writes once to each
// eventfd armed with watch(). The usual pattern: arm, look with durable(), sleep on the fd.
class GroupLog;
class GroupCommits {
 public:
  static Result<GroupCommits> of_directory(const std::string& dir);

  // The same checks and errors as commit_group_offsets.
  Result<std::uint64_t> start(std::string_view group, std::span<const GroupPartitionOffset> offsets);
  // Whether the commit of `ticket` is durable; the error once an fdatasync failed.
  Result<bool> durable(std::uint64_t ticket) const;
  // kFull when 64 other fds are armed. After unwatch() returns, nothing writes to the fd.
  Status watch(int eventfd);
  void unwatch(int eventfd);

 private:
  explicit GroupCommits(std::shared_ptr<GroupLog> log) : log_(std::move(log)) {}
  std::shared_ptr<GroupLog> log_;
};
// kNotFound when the group never committed for that partition.
Result<GroupOffset> read_group_offset(const std::string& dir, std::string_view group, std::string_view topic,
                                      std::uint32_t partition);

// Every group with a committed offset, by name.
Result<std::vector<std::string>> list_groups(const std::string& dir);
// Every committed offset of `group`, by topic then partition.
Result<std::vector<GroupPartitionOffset>> list_group_offsets(const std::string& dir, std::string_view group);

// The Kafka coordinator's state of a group (generation, members, assignments), in its own encoding, which
// this API keeps durably and does not interpret. An empty state removes it.
Status store_group_coordinator_state(const std::string& dir, std::string_view group, std::string_view state);
// Every group's stored coordinator state: (group, state) by group.
Result<std::vector<std::pair<std::string, std::string>>> read_group_coordinator_states(const std::string& dir);

}  // namespace strata
