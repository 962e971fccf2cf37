// The array most Kafka requests and responses carry: topics, each a name and an array of partitions. One
// reader and one writer for it; each codec says only how one partition's own fields read or write (the tagged
// fields that end each topic and partition in flexible versions are added here).
#pragma once

#include <cstddef>
#include <vector>

#include "kafka/wire.h"

namespace strata::kafka {

// Reads [name, [partition]] into `topics` (a vector of a struct with `name` and `partitions`).
// `partition_bytes_min` is the smallest encoding of one partition: it bounds the count against the bytes
// left (no allocation larger than the frame allows). read_partition(in, partition) reads one. With `null`,
// a null array is allowed and reported there. With `by_id`, each topic is a topic id (uuid) instead of a name
// (Fetch 13+).
template <typename Topic, typename ReadPartition>
void read_topic_array(WireReader& in, std::size_t partition_bytes_min, std::vector<Topic>* topics,
                      ReadPartition&& read_partition, bool* null = nullptr, bool by_id = false) {
  const std::size_t count = in.array_count(by_id ? 20 : 6, null);  // name(2) or id(16) + partitions count(4)
  topics->reserve(count);
  for (std::size_t t = 0; t < count && in.ok(); ++t) {
    Topic topic;
    if constexpr (requires { topic.id; }) {
      if (by_id) {
        const auto high = static_cast<std::uint64_t>(in.int64());
        topic.id = {high, static_cast<std::uint64_t>(in.int64())};
      } else {
        topic.name = in.string();
      }
    } else {
      topic.name = in.string();
    }
    const std::size_t partitions = in.array_count(partition_bytes_min);
    topic.partitions.reserve(partitions);
    for (std::size_t p = 0; p < partitions && in.ok(); ++p) {
      typename decltype(topic.partitions)::value_type partition{};
      read_partition(in, partition);
      in.tagged_fields();
      topic.partitions.push_back(partition);
    }
    in.tagged_fields();
    topics->push_back(std::move(topic));
  }
}

// Writes [name, [partition]] (or [topic id, [partition]] with `by_id`); write_partition(partition) writes one.
template <typename Topic, typename WritePartition>
void write_topic_array(WireWriter& w, const std::vector<Topic>& topics, WritePartition&& write_partition,
                       bool by_id = false) {
  w.array_count(topics.size());
  for (const Topic& topic : topics) {
    if constexpr (requires { topic.id; }) {
      if (by_id) {
        w.int64(static_cast<std::int64_t>(topic.id.high));
        w.int64(static_cast<std::int64_t>(topic.id.low));
      } else {
        w.string(topic.name);
      }
    } else {
      w.string(topic.name);
    }
    w.array_count(topic.partitions.size());
    for (const auto& partition : topic.partitions) {
      write_partition(partition);
      w.tagged_fields();
    }
    w.tagged_fields();
  }
}

}  // namespace strata::kafka
