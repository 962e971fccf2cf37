// --groups: the log's consumer-group positions (strata/consumer_group.h) committed to the cluster, offset for
// offset, so a group that switches its bootstrap servers continues where it was. Only partitions whose
// destination offsets equal their source offsets are carried (others get a warning), and a position is
// never committed past what the destination already acknowledged.
#pragma once

#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "mirror/kafka_client.h"
#include "mirror/mirror.h"

namespace strata::mirror {

class GroupOffsetsCopy {
 public:
  GroupOffsetsCopy(std::string dir, std::string bootstrap, ClientConfig overrides)
      : dir_(std::move(dir)), bootstrap_(std::move(bootstrap)), overrides_(std::move(overrides)) {}

  // Commits every group position of the `mirrored` partitions that changed since the last call; adds a
  // warning per partition it cannot carry.
  Status copy(const std::vector<PartitionSummary>& mirrored, std::vector<std::string>* warnings);
  // (group, partition) positions committed so far.
  std::uint64_t offsets_committed() const { return offsets_committed_; }

 private:
  Result<rd_kafka_t*> group_client(const std::string& group);
  Status commit(const std::string& group, rd_kafka_topic_partition_list_t* offsets);

  std::string dir_, bootstrap_;
  ClientConfig overrides_;
  std::map<std::string, KafkaHandle> clients_;  // one per group (a client commits for its group.id)
  std::map<std::tuple<std::string, std::string, std::uint32_t>, std::uint64_t> committed_;
  std::map<std::pair<std::string, std::uint32_t>, bool> warned_;
  std::uint64_t offsets_committed_ = 0;
};

}  // namespace strata::mirror
