#include "engine/inspect.h"

#include <dirent.h>

#include <algorithm>
#include <cstring>

#include "engine/segment_files.h"
#include "strata/log.h"
#include "strata/reader.h"

namespace strata::detail {

namespace {

Result<std::vector<std::string>> list_directories(const std::string& dir) {
  std::vector<std::string> names;
  DIR* listing = ::opendir(dir.c_str());
  if (listing == nullptr) return io_error("opendir " + dir + ": " + std::strerror(errno));
  while (const dirent* entry = ::readdir(listing)) {
    if (entry->d_type == DT_DIR) names.emplace_back(entry->d_name);
  }
  ::closedir(listing);
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<std::string> list_group_names(const std::string& groups_dir) {
  std::vector<std::string> names;
  DIR* listing = ::opendir(groups_dir.c_str());
  if (listing == nullptr) return names;  // no group ever committed
  while (const dirent* entry = ::readdir(listing)) {
    if (entry->d_type == DT_REG && validate_topic_name(entry->d_name).is_ok())
      names.emplace_back(entry->d_name);
  }
  ::closedir(listing);
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

Result<std::vector<TopicDescription>> describe_log(const std::string& dir, const std::string& topic) {
  auto names = list_directories(dir);
  if (!names) return names.status();
  std::vector<TopicDescription> topics;
  for (const std::string& name : *names) {
    if (!validate_topic_name(name).is_ok() || (!topic.empty() && name != topic)) continue;
    const std::string topic_dir = dir + "/" + name;
    auto bases = list_segment_bases(topic_dir);
    if (!bases) return bases.status();
    TopicDescription description{name, {}, 0, 0, 0, {}};
    auto groups = list_group_names(topic_dir + "/groups");
    for (const std::string& group : groups) {
      auto committed = read_group_offset(dir, name, group);
      if (committed) description.groups.push_back({group, *committed});
    }
    for (const std::uint64_t base : *bases) {
      auto indexed = read_index(index_path(topic_dir, base), base, nullptr);
      if (indexed) {
        description.segments.push_back(*indexed);
        continue;
      }
      auto scan = scan_segment(segment_path(topic_dir, base), kIndexIntervalBytes);
      if (!scan) return scan.status();
      description.segments.push_back({base, scan->next_offset, scan->valid_end, scan->sealed, INT64_MAX});
    }
    if (!description.segments.empty()) {
      description.first_offset = description.segments.front().base_offset;
      description.next_offset = description.segments.back().next_offset;
    }
    for (const SegmentInfo& segment : description.segments) description.data_bytes += segment.data_end;
    topics.push_back(std::move(description));
  }
  if (!topic.empty() && topics.empty())
    return Status(StatusCode::kNotFound, "no topic " + topic + " in " + dir);
  return topics;
}

}  // namespace strata::detail
