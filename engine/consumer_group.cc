// Consumer-group checkpoints (strata/consumer_group.h): one file per (group, topic, partition), whose
// codec is in engine/format.h.
#include "strata/consumer_group.h"

#include <algorithm>

#include "engine/format.h"
#include "engine/group_checkpoints.h"
#include "io/file.h"
#include "strata/log.h"

namespace strata {

namespace {

Status validate(std::string_view group, std::string_view topic) {
  STRATA_RETURN_IF_ERROR(validate_topic_name(topic));
  Status status = validate_topic_name(group);
  if (!status.is_ok()) return invalid_argument("group name: " + status.message());
  return Status::ok();
}

std::string groups_dir(const std::string& dir) {
  return dir + "/" + std::string(format::kGroupsDirectory);
}

std::string group_dir(const std::string& dir, std::string_view group) {
  return groups_dir(dir) + "/" + std::string(group);
}

std::string checkpoint_name(std::string_view topic, std::uint32_t partition) {
  return format::partition_directory_name(topic, partition) + std::string(format::kGroupFileSuffix);
}

// Parses "<topic>-<partition>.strata-offset"; false for any other name.
bool parse_checkpoint_name(std::string_view name, std::string* topic, std::uint32_t* partition) {
  if (!name.ends_with(format::kGroupFileSuffix)) return false;
  const std::string_view stem = name.substr(0, name.size() - format::kGroupFileSuffix.size());
  const std::size_t dash = stem.rfind('-');
  if (dash == std::string_view::npos || dash == 0 || dash + 1 == stem.size()) return false;
  const std::string_view partition_text = stem.substr(dash + 1);
  if (partition_text.find_first_not_of("0123456789") != std::string_view::npos || partition_text.size() > 9) {
    return false;
  }
  *topic = std::string(stem.substr(0, dash));
  *partition = static_cast<std::uint32_t>(std::stoul(std::string(partition_text)));
  return true;
}

}  // namespace

Status remove_topic_group_offsets(const std::string& dir, std::string_view topic) {
  auto groups = io::list_directory(groups_dir(dir));
  if (!groups) return groups.status().code() == StatusCode::kNotFound ? Status::ok() : groups.status();
  for (const std::string& group : *groups) {
    auto names = io::list_directory(group_dir(dir, group));
    if (!names) continue;  // not a group's directory
    bool removed = false;
    for (const std::string& name : *names) {
      std::string checkpoint_topic;
      std::uint32_t partition = 0;
      if (!parse_checkpoint_name(name, &checkpoint_topic, &partition) || checkpoint_topic != topic) continue;
      STRATA_RETURN_IF_ERROR(io::remove_file(group_dir(dir, group) + "/" + name));
      removed = true;
    }
    if (removed) STRATA_RETURN_IF_ERROR(io::sync_directory(group_dir(dir, group)));
  }
  return Status::ok();
}

Status commit_group_offset(const std::string& dir, std::string_view group, std::string_view topic,
                           std::uint32_t partition, const GroupOffset& committed) {
  STRATA_RETURN_IF_ERROR(validate(group, topic));
  if (committed.metadata.size() > format::kGroupMetadataBytesMax) {
    return invalid_argument("group offset metadata of " + std::to_string(committed.metadata.size()) +
                            " bytes; at most " + std::to_string(format::kGroupMetadataBytesMax));
  }
  STRATA_RETURN_IF_ERROR(io::create_directory(groups_dir(dir)));
  STRATA_RETURN_IF_ERROR(io::create_directory(group_dir(dir, group)));
  return io::replace_file_durably(group_dir(dir, group), checkpoint_name(topic, partition),
                                  format::encode_group_checkpoint(committed));
}

Result<GroupOffset> read_group_offset(const std::string& dir, std::string_view group, std::string_view topic,
                                      std::uint32_t partition) {
  STRATA_RETURN_IF_ERROR(validate(group, topic));
  const std::string path = group_dir(dir, group) + "/" + checkpoint_name(topic, partition);
  auto bytes = io::read_small_file(path, format::kGroupMetadataBytesMax + 64);
  if (!bytes) {
    if (bytes.status().code() == StatusCode::kNotFound) {
      return Status(StatusCode::kNotFound, "group " + std::string(group) + " has no checkpoint for " +
                                               format::partition_directory_name(topic, partition));
    }
    return bytes.status();
  }
  return format::decode_group_checkpoint(*bytes, path);
}

Result<std::vector<std::string>> list_groups(const std::string& dir) {
  auto names = io::list_directory(groups_dir(dir));
  if (!names) {
    if (names.status().code() == StatusCode::kNotFound) return std::vector<std::string>{};
    return names.status();
  }
  std::vector<std::string> groups;
  for (const std::string& name : *names) {
    if (validate_topic_name(name).is_ok()) groups.push_back(name);
  }
  std::sort(groups.begin(), groups.end());
  return groups;
}

Result<std::vector<GroupPartitionOffset>> list_group_offsets(const std::string& dir, std::string_view group) {
  STRATA_RETURN_IF_ERROR(validate(group, "topic"));
  auto names = io::list_directory(group_dir(dir, group));
  if (!names) return names.status();
  std::vector<GroupPartitionOffset> offsets;
  for (const std::string& name : *names) {
    GroupPartitionOffset entry;
    if (!parse_checkpoint_name(name, &entry.topic, &entry.partition)) continue;
    auto committed = read_group_offset(dir, group, entry.topic, entry.partition);
    if (!committed) return committed.status();
    entry.committed = std::move(committed.value());
    offsets.push_back(std::move(entry));
  }
  std::sort(offsets.begin(), offsets.end(), [](const auto& a, const auto& b) {
    return a.topic != b.topic ? a.topic < b.topic : a.partition < b.partition;
  });
  return offsets;
}

}  // namespace strata
