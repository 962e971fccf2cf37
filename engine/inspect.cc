#include "engine/inspect.h"

#include <dirent.h>

#include <algorithm>
#include <cstring>

#include "strata/log.h"

namespace strata::detail {

namespace {

Result<std::vector<std::string>> list(const std::string& dir, bool directories) {
  std::vector<std::string> names;
  DIR* listing = ::opendir(dir.c_str());
  if (listing == nullptr) return io_error("opendir " + dir + ": " + std::strerror(errno));
  while (const dirent* entry = ::readdir(listing)) {
    if ((entry->d_type == DT_DIR) == directories) names.emplace_back(entry->d_name);
  }
  ::closedir(listing);
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

Result<std::vector<TopicDescription>> describe_log(const std::string& dir, const std::string& topic) {
  auto names = list(dir, /*directories=*/true);
  if (!names) return names.status();
  std::vector<TopicDescription> topics;
  for (const std::string& name : *names) {
    if (!validate_topic_name(name).is_ok() || (!topic.empty() && name != topic)) continue;
    const std::string topic_dir = dir + "/" + name;
    auto files = list(topic_dir, /*directories=*/false);
    if (!files) return files.status();
    TopicDescription description{name, 0, 0, 0, {}};
    for (const std::string& file : *files) {
      std::uint64_t base = 0;
      if (!format::parse_segment_file_name(file, &base)) continue;
      auto indexed = read_index(topic_dir + "/" + format::index_file_name(base), base, nullptr);
      if (indexed) {
        description.segments.push_back(*indexed);
        continue;
      }
      auto scan = scan_segment(topic_dir + "/" + file, kIndexIntervalBytes);
      if (!scan) return scan.status();
      description.segments.push_back({base, scan->next_offset, scan->valid_end, scan->sealed});
    }
    if (!description.segments.empty()) {
      description.first_offset = description.segments.front().base_offset;
      description.next_offset = description.segments.back().next_offset;
    }
    for (const SegmentInfo& segment : description.segments) description.data_bytes += segment.data_end;
    topics.push_back(std::move(description));
  }
  if (!topic.empty() && topics.empty()) return Status(StatusCode::kNotFound, "no topic " + topic + " in " + dir);
  return topics;
}

}  // namespace strata::detail
