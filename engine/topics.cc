// Reading topic metadata without a Log (strata/topics.h).
#include "strata/topics.h"

#include <algorithm>

#include "engine/format.h"
#include "io/file.h"

namespace strata {

Result<TopicInfo> read_topic_info(const std::string& dir, std::string_view topic) {
  STRATA_RETURN_IF_ERROR(validate_topic_name(topic));
  const std::string path = dir + "/" + format::topic_file_name(topic);
  auto bytes = io::read_small_file(path, format::kTopicFileBytesMax);
  if (!bytes) {
    if (bytes.status().code() == StatusCode::kNotFound) {
      return Status(StatusCode::kNotFound, "no topic " + std::string(topic) + " in " + dir);
    }
    return bytes.status();
  }
  return format::decode_topic(*bytes, std::string(topic), path);
}

Result<std::vector<TopicInfo>> list_topics(const std::string& dir) {
  auto names = io::list_directory(dir);
  if (!names) return names.status();
  std::vector<TopicInfo> topics;
  for (const std::string& name : *names) {
    if (name.size() <= format::kTopicFileSuffix.size() || !name.ends_with(format::kTopicFileSuffix)) continue;
    const std::string topic = name.substr(0, name.size() - format::kTopicFileSuffix.size());
    if (!validate_topic_name(topic).is_ok()) continue;
    auto info = read_topic_info(dir, topic);
    if (!info) return info.status();
    topics.push_back(std::move(info.value()));
  }
  std::sort(topics.begin(), topics.end(), [](const TopicInfo& a, const TopicInfo& b) { return a.name < b.name; });
  return topics;
}

}  // namespace strata
