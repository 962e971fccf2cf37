// strata/inspect.h's describe_log: the topics' metadata, the partitions' segments (from recovery.h's one
// reader of indexes and scans) and the consumer groups, read without a lock.
#include "strata/inspect.h"

#include <algorithm>

#include "engine/compactor.h"
#include "engine/format.h"
#include "engine/recovery.h"
#include "io/file.h"
#include "io/read_only_mapping.h"
#include "strata/topics.h"

namespace strata {

namespace {

// Adds the codecs of the batches in the first `data_bytes` of the segment at `path` to *codecs, hopping from
// batch header to batch header (the bytes were checked when the segment was described; none is read here
// beyond the headers).
Status add_stored_compressions(const std::string& path, std::uint64_t data_bytes, std::vector<Compression>* codecs) {
  if (data_bytes < format::kBatchHeaderBytes) return Status::ok();
  auto file = io::File::open(path, io::OpenMode::kReadOnly);
  if (!file) return file.status();
  auto mapping = io::ReadOnlyMapping::map(*file, data_bytes, /*populate=*/false);
  if (!mapping) return mapping.status();
  const auto bytes = mapping->bytes();
  for (std::size_t position = 0; bytes.size() - position >= format::kBatchHeaderBytes;) {
    const format::BatchHeader header = format::decode_batch_header(bytes.subspan(position));
    const std::size_t size = header.total_bytes();
    if (size < format::kBatchHeaderBytes || size > bytes.size() - position) break;
    if (std::find(codecs->begin(), codecs->end(), header.compression()) == codecs->end()) {
      codecs->push_back(header.compression());
    }
    position += size;
  }
  return Status::ok();
}

Result<std::vector<TopicInfo>> topics_to_describe(const std::string& dir, std::string_view topic) {
  if (topic.empty()) return list_topics(dir);
  auto info = read_topic_info(dir, topic);
  if (!info) return info.status();
  return std::vector<TopicInfo>{std::move(info.value())};
}

Result<PartitionDescription> describe_partition(const std::string& dir, const TopicInfo& info,
                                                std::uint32_t p) {
  PartitionDescription partition;
  partition.partition = p;
  partition.dir = dir + "/" + format::partition_directory_name(info.name, p);
  auto segments = detail::describe_segments(partition.dir);
  if (!segments) return segments.status();
  for (const detail::SegmentInfo& segment : *segments) {
    partition.segments.push_back({detail::segment_path(partition.dir, segment.base_offset), segment.base_offset,
                                  segment.next_offset, segment.data_end, segment.sealed, segment.max_timestamp_us});
    partition.data_bytes += segment.data_end;
  }
  if (!partition.segments.empty()) {
    partition.first_offset = partition.segments.front().base_offset;
    partition.next_offset = partition.segments.back().next_offset;
  }
  auto dirty = detail::dirty_ratio(partition.dir);
  if (!dirty) return dirty.status();
  partition.clean_bytes = dirty->clean_bytes;
  partition.dirty_bytes = dirty->dirty_bytes;
  return partition;
}

}  // namespace

Result<std::vector<TopicDescription>> describe_log(const std::string& dir, std::string_view topic) {
  auto infos = topics_to_describe(dir, topic);
  if (!infos) return infos.status();
  auto groups = list_groups(dir);
  if (!groups) return groups.status();
  std::vector<TopicDescription> topics;
  for (TopicInfo& info : *infos) {
    TopicDescription description;
    for (std::uint32_t p = 0; p < info.partitions; ++p) {
      auto partition = describe_partition(dir, info, p);
      if (!partition) return partition.status();
      for (const SegmentDescription& segment : partition->segments) {
        STRATA_RETURN_IF_ERROR(
            add_stored_compressions(segment.path, segment.data_bytes, &description.stored_compressions));
      }
      description.partitions.push_back(std::move(partition.value()));
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

}  // namespace strata
