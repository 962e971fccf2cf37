#include "engine/group_log_legacy.h"

#include "engine/format.h"
#include "io/file.h"

namespace strata {

namespace {

std::string groups_dir(const std::string& dir) { return dir + "/" + std::string(format::kGroupsDirectory); }

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

bool has_legacy_checkpoints(const std::string& dir) { return io::list_directory(groups_dir(dir)).is_ok(); }

Result<std::map<std::string, std::vector<GroupPartitionOffset>>> read_legacy_checkpoints(const std::string& dir) {
  std::map<std::string, std::vector<GroupPartitionOffset>> groups;
  auto entries = io::list_directory_entries(groups_dir(dir));
  if (!entries) {
    if (entries.status().code() == StatusCode::kNotFound) return groups;
    return entries.status();
  }
  for (const io::DirectoryEntry& group : *entries) {
    if (!group.is_directory) continue;
    const std::string group_dir = groups_dir(dir) + "/" + group.name;
    auto names = io::list_directory(group_dir);
    if (!names) return names.status();
    for (const std::string& name : *names) {
      GroupPartitionOffset entry;
      if (!parse_checkpoint_name(name, &entry.topic, &entry.partition)) continue;
      const std::string path = group_dir + "/" + name;
      auto bytes = io::read_small_file(path, format::kGroupMetadataBytesMax + 64);
      if (!bytes) return bytes.status();
      auto committed = format::decode_group_checkpoint(*bytes, path);
      if (!committed) return committed.status();
      entry.committed = std::move(committed.value());
      groups[group.name].push_back(std::move(entry));
    }
  }
  return groups;
}

Status remove_legacy_checkpoints(const std::string& dir) {
  auto entries = io::list_directory_entries(groups_dir(dir));
  if (!entries) return entries.status().code() == StatusCode::kNotFound ? Status::ok() : entries.status();
  for (const io::DirectoryEntry& group : *entries) {
    const std::string path = groups_dir(dir) + "/" + group.name;
    STRATA_RETURN_IF_ERROR(group.is_directory ? io::remove_directory_files(path) : io::remove_file(path));
  }
  STRATA_RETURN_IF_ERROR(io::remove_directory_files(groups_dir(dir)));
  return io::sync_directory(dir);
}

}  // namespace strata
