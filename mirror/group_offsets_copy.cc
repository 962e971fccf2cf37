#include "mirror/group_offsets_copy.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "strata/consumer_group.h"

namespace strata::mirror {

Result<rd_kafka_t*> GroupOffsetsCopy::group_client(const std::string& group) {
  if (auto found = clients_.find(group); found != clients_.end()) return found->second.get();
  auto config = make_config(bootstrap_, {{"group.id", group}, {"enable.auto.commit", "false"}}, overrides_);
  if (!config) return config.status();
  auto client = new_handle(RD_KAFKA_CONSUMER, std::move(config.value()));
  if (!client) return client.status();
  rd_kafka_t* handle = client->get();
  clients_.emplace(group, std::move(client.value()));
  return handle;
}

Status GroupOffsetsCopy::commit(const std::string& group, rd_kafka_topic_partition_list_t* offsets) {
  auto client = group_client(group);
  if (!client) return client.status();
  // A commit outside any generation, as a group with no member may take (a synchronous call).
  rd_kafka_resp_err_t error = rd_kafka_commit(client.value(), offsets, 0);
  if (error != RD_KAFKA_RESP_ERR_NO_ERROR) return kafka_error(error, "committing group " + group + " on the cluster");
  for (int i = 0; i < offsets->cnt; ++i) {
    const rd_kafka_topic_partition_t& entry = offsets->elems[i];
    if (entry.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return kafka_error(entry.err, "committing group " + group + " on " +
                                        partition_name(entry.topic, static_cast<std::uint32_t>(entry.partition)));
    }
  }
  return Status::ok();
}

Status GroupOffsetsCopy::copy(const std::vector<PartitionSummary>& mirrored_partitions,
                              std::vector<std::string>* warnings) {
  auto groups = list_groups(dir_);
  if (!groups) return groups.status();
  for (const std::string& group : groups.value()) {
    auto positions = list_group_offsets(dir_, group);
    if (!positions) return positions.status();
    PartitionList offsets(rd_kafka_topic_partition_list_new(4));
    std::vector<std::pair<std::tuple<std::string, std::string, std::uint32_t>, std::uint64_t>> changes;
    for (const GroupPartitionOffset& position : positions.value()) {
      auto mirrored = std::find_if(mirrored_partitions.begin(), mirrored_partitions.end(), [&](const auto& p) {
        return p.topic == position.topic && p.partition == position.partition;
      });
      if (mirrored == mirrored_partitions.end()) continue;
      if (!mirrored->offsets_equal) {
        if (!warned_[{position.topic, position.partition}]) {
          warnings->push_back("group positions of " + partition_name(position.topic, position.partition) +
                              " not carried: its destination offsets differ from the source's");
          warned_[{position.topic, position.partition}] = true;
        }
        continue;
      }
      const std::uint64_t offset = std::min(position.committed.offset, mirrored->next_offset);
      auto key = std::make_tuple(group, position.topic, position.partition);
      if (auto done = committed_.find(key); done != committed_.end() && done->second == offset) continue;
      rd_kafka_topic_partition_t* entry = rd_kafka_topic_partition_list_add(
          offsets.get(), position.topic.c_str(), static_cast<std::int32_t>(position.partition));
      entry->offset = static_cast<std::int64_t>(offset);
      if (!position.committed.metadata.empty()) {
        // The list frees it with free() when destroyed.
        entry->metadata = std::malloc(position.committed.metadata.size());
        if (entry->metadata != nullptr) {
          std::memcpy(entry->metadata, position.committed.metadata.data(), position.committed.metadata.size());
          entry->metadata_size = position.committed.metadata.size();
        }
      }
      changes.emplace_back(std::move(key), offset);
    }
    if (changes.empty()) continue;
    STRATA_RETURN_IF_ERROR(commit(group, offsets.get()));
    for (auto& [key, offset] : changes) committed_[key] = offset;
    offsets_committed_ += changes.size();
  }
  return Status::ok();
}

}  // namespace strata::mirror
