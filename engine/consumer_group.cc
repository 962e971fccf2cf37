// Consumer groups (strata/consumer_group.h) over the directory's GroupLog (engine/group_log.h).
#include "strata/consumer_group.h"

#include <optional>

#include "engine/format.h"
#include "engine/group_checkpoints.h"
#include "engine/group_log.h"
#include "strata/log.h"

namespace strata {

namespace {

Status validate_group(std::string_view group) {
  if (group.empty()) return invalid_argument("group id: empty");
  if (group.size() > format::kGroupIdBytesMax) {
    return invalid_argument("group id of " + std::to_string(group.size()) + " bytes; at most " +
                            std::to_string(format::kGroupIdBytesMax));
  }
  return Status::ok();
}

Status validate_offset(const GroupPartitionOffset& entry) {
  STRATA_RETURN_IF_ERROR(validate_topic_name(entry.topic));
  if (entry.committed.metadata.size() > format::kGroupMetadataBytesMax) {
    return invalid_argument("group offset metadata of " + std::to_string(entry.committed.metadata.size()) +
                            " bytes; at most " + std::to_string(format::kGroupMetadataBytesMax));
  }
  return Status::ok();
}

}  // namespace

Status remove_topic_group_offsets(const std::string& dir, std::string_view topic) {
  auto log = GroupLog::of_directory(dir);
  if (!log) return log.status();
  bool committed = false;
  STRATA_RETURN_IF_ERROR((*log)->read([&](const GroupLog::Groups& groups) {
    for (const auto& [name, group] : groups) {
      for (const auto& [key, offset] : group.offsets) committed = committed || key.first == topic;
    }
  }));
  if (!committed) return Status::ok();
  return (*log)->append({format::GroupLogRecordType::kTopicDeleted, std::string(topic), {}, {}});
}

Status commit_group_offsets(const std::string& dir, std::string_view group,
                            std::span<const GroupPartitionOffset> offsets) {
  STRATA_RETURN_IF_ERROR(validate_group(group));
  for (const GroupPartitionOffset& entry : offsets) STRATA_RETURN_IF_ERROR(validate_offset(entry));
  if (offsets.empty()) return Status::ok();
  auto log = GroupLog::of_directory(dir);
  if (!log) return log.status();
  return (*log)->append({format::GroupLogRecordType::kOffsets, std::string(group),
                         std::vector<GroupPartitionOffset>(offsets.begin(), offsets.end()), {}});
}

Result<GroupCommits> GroupCommits::of_directory(const std::string& dir) {
  auto log = GroupLog::of_directory(dir);
  if (!log) return log.status();
  return GroupCommits(std::move(log.value()));
}

Result<std::uint64_t> GroupCommits::start(std::string_view group, std::span<const GroupPartitionOffset> offsets) {
  STRATA_RETURN_IF_ERROR(validate_group(group));
  for (const GroupPartitionOffset& entry : offsets) STRATA_RETURN_IF_ERROR(validate_offset(entry));
  return log_->append_without_waiting({format::GroupLogRecordType::kOffsets, std::string(group),
                                       std::vector<GroupPartitionOffset>(offsets.begin(), offsets.end()), {}});
}

Result<bool> GroupCommits::durable(std::uint64_t ticket) const {
  return log_->synced(ticket);
}

Status GroupCommits::watch(int eventfd) {
  if (log_->watch_syncs(eventfd)) return Status::ok();
  return Status(StatusCode::kFull, "64 event loops already watch the group log's syncs");
}

void GroupCommits::unwatch(int eventfd) {
  log_->unwatch_syncs(eventfd);
}

Status commit_group_offset(const std::string& dir, std::string_view group, std::string_view topic,
                           std::uint32_t partition, const GroupOffset& committed) {
  const GroupPartitionOffset entry{std::string(topic), partition, committed};
  return commit_group_offsets(dir, group, std::span(&entry, 1));
}

Result<GroupOffset> read_group_offset(const std::string& dir, std::string_view group, std::string_view topic,
                                      std::uint32_t partition) {
  STRATA_RETURN_IF_ERROR(validate_group(group));
  STRATA_RETURN_IF_ERROR(validate_topic_name(topic));
  auto log = GroupLog::of_directory(dir);
  if (!log) return log.status();
  std::optional<GroupOffset> found;
  STRATA_RETURN_IF_ERROR((*log)->read([&](const GroupLog::Groups& groups) {
    auto it = groups.find(group);
    if (it == groups.end()) return;
    auto offset = it->second.offsets.find({std::string(topic), partition});
    if (offset != it->second.offsets.end()) found = offset->second;
  }));
  if (!found) {
    return Status(StatusCode::kNotFound, "group " + std::string(group) + " has no checkpoint for " +
                                             format::partition_directory_name(topic, partition));
  }
  return std::move(*found);
}

Result<std::vector<std::string>> list_groups(const std::string& dir) {
  auto log = GroupLog::of_directory(dir);
  if (!log) return log.status();
  std::vector<std::string> names;
  STRATA_RETURN_IF_ERROR((*log)->read([&](const GroupLog::Groups& groups) {
    for (const auto& [name, group] : groups) {
      if (!group.offsets.empty()) names.push_back(name);
    }
  }));
  return names;
}

Result<std::vector<GroupPartitionOffset>> list_group_offsets(const std::string& dir, std::string_view group) {
  STRATA_RETURN_IF_ERROR(validate_group(group));
  auto log = GroupLog::of_directory(dir);
  if (!log) return log.status();
  std::vector<GroupPartitionOffset> offsets;
  STRATA_RETURN_IF_ERROR((*log)->read([&](const GroupLog::Groups& groups) {
    auto it = groups.find(group);
    if (it == groups.end()) return;
    for (const auto& [key, committed] : it->second.offsets) offsets.push_back({key.first, key.second, committed});
  }));
  return offsets;
}

Status store_group_coordinator_state(const std::string& dir, std::string_view group, std::string_view state) {
  STRATA_RETURN_IF_ERROR(validate_group(group));
  if (state.size() > format::kGroupLogRecordBytesMax / 2) {
    return invalid_argument("coordinator state of " + std::to_string(state.size()) + " bytes for group " +
                            std::string(group));
  }
  auto log = GroupLog::of_directory(dir);
  if (!log) return log.status();
  return (*log)->append({format::GroupLogRecordType::kGroupState, std::string(group), {}, std::string(state)});
}

Result<std::vector<std::pair<std::string, std::string>>> read_group_coordinator_states(const std::string& dir) {
  auto log = GroupLog::of_directory(dir);
  if (!log) return log.status();
  std::vector<std::pair<std::string, std::string>> states;
  STRATA_RETURN_IF_ERROR((*log)->read([&](const GroupLog::Groups& groups) {
    for (const auto& [name, group] : groups) {
      if (!group.state.empty()) states.emplace_back(name, group.state);
    }
  }));
  return states;
}

}  // namespace strata
