#include "engine/inspect.h"

#include "strata/topics.h"

namespace strata::detail {

Result<std::vector<TopicDescription>> describe_log(const std::string& dir, const std::string& topic) {
  std::vector<TopicInfo> infos;
  if (topic.empty()) {
    auto listed = list_topics(dir);
    if (!listed) return listed.status();
    infos = std::move(listed.value());
  } else {
    auto info = read_topic_info(dir, topic);
    if (!info) return info.status();
    infos.push_back(std::move(info.value()));
  }
  auto groups = list_groups(dir);
  if (!groups) return groups.status();
  std::vector<TopicDescription> topics;
  for (TopicInfo& info : infos) {
    TopicDescription description;
    for (std::uint32_t p = 0; p < info.partitions; ++p) {
      PartitionDescription partition;
      partition.partition = p;
      partition.dir = dir + "/" + format::partition_directory_name(info.name, p);
      auto segments = describe_segments(partition.dir);
      if (!segments) return segments.status();
      partition.segments = std::move(segments.value());
      if (!partition.segments.empty()) {
        partition.first_offset = partition.segments.front().base_offset;
        partition.next_offset = partition.segments.back().next_offset;
      }
      for (const SegmentInfo& segment : partition.segments) partition.data_bytes += segment.data_end;
      description.partitions.push_back(std::move(partition));
    }
    for (const std::string& group : *groups) {
      auto offsets = list_group_offsets(dir, group);
      if (!offsets) continue;  // a damaged checkpoint shows up in `strata verify`, not here
      GroupDescription entry{group, {}};
      for (GroupPartitionOffset& offset : *offsets) {
        if (offset.topic == info.name) entry.offsets.push_back(std::move(offset));
      }
      if (!entry.offsets.empty()) description.groups.push_back(std::move(entry));
    }
    description.info = std::move(info);
    topics.push_back(std::move(description));
  }
  return topics;
}

}  // namespace strata::detail
