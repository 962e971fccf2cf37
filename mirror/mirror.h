// strata mirror: copies topics between a strata log directory and a Kafka-protocol cluster, partition p to
// partition p, exactly once across kill -9 at any point. Built on the engine's public API and librdkafka.
//
// How exactly once holds without transactions: every copied record carries the offset it had at its source
// in the header strata.source-offset (source_offset_header.h). A starting mirror reads the last record of
// each destination partition and resumes after that source offset; within a run the producer is
// idempotent (acks=all, at most 5 requests in flight), so retries neither duplicate nor reorder. It needs one
// mirror per destination partition (nothing else writing there).
//
// With transactions (options.transactional, to a cluster only): records are written in transactions
// (mirror/transaction.h), and a starting mirror reads the destination's ends with isolation.level
// read_committed after fencing its predecessor, so what a killed mirror sent but never committed is neither
// visible nor taken as progress. Each commit also writes a marker that takes an offset in every partition
// the transaction wrote, so destination offsets run ahead of source offsets on a cluster that has markers.
//
// Offsets: strata's offsets are dense, so when a destination partition starts empty and the source still
// holds offset 0, destination offsets equal source offsets. Each partition's summary says whether that held
// for every record copied in this run (checked against the offsets the destination acknowledged).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "strata/status.h"

namespace strata::mirror {

using ClientConfig = std::vector<std::pair<std::string, std::string>>;  // librdkafka KEY=VALUE settings

struct MirrorOptions {
  std::string dir;                  // the local log directory
  std::string bootstrap;            // the cluster's bootstrap servers
  std::vector<std::string> topics;  // empty: every topic of the source
  bool follow = false;              // keep copying new events until *stop
  bool groups = false;              // to a cluster only: also commit the log's consumer-group offsets there
  bool force = false;               // resume a non-empty destination partition without the header at its end
  bool transactional = false;       // to a cluster only: write through a transactional producer
  ClientConfig client_config;       // extra librdkafka settings (producer, or consumer for the reverse)
  const std::atomic<bool>* stop = nullptr;  // may be null; true ends a --follow run cleanly
};

struct PartitionSummary {
  std::string topic;
  std::uint32_t partition = 0;
  std::uint64_t resumed_at = 0;   // the first source offset this run copied (or would have)
  std::uint64_t next_offset = 0;  // one past the last source offset acknowledged by the destination
  std::uint64_t copied = 0;       // records copied in this run
  std::uint64_t lag = 0;          // source events not yet acknowledged by the destination
  bool offsets_equal = true;      // every record copied in this run got its source offset at the destination
};

struct MirrorSummary {
  std::vector<PartitionSummary> partitions;
  std::uint64_t events = 0;
  double seconds = 0;
  std::uint64_t group_offsets_committed = 0;  // --groups: (group, partition) offsets committed this run
  std::uint64_t transactions_committed = 0;   // --transactional: transactions committed this run
  std::vector<std::string> warnings;          // what the user should know (offsets that differ)
};

// Called about once a second while copying (progress on stderr in the command line), and once at the end.
using ProgressCallback = std::function<void(const MirrorSummary&)>;

// From the log in options.dir (read as a directory reader, beside any writer) to the cluster. Returns once
// every partition is caught up with the log's durable end (without follow), or when *stop turns true.
// Errors name the topic and partition: an unreachable cluster, a missing source topic, a destination topic
// with fewer partitions, a destination record without the header (unless force), a refused delivery.
// options.transactional with groups or force is kInvalidArgument (neither can be exact inside a
// transaction here); so is a cluster that refuses transactional producers, named.
Result<MirrorSummary> mirror_to_cluster(const MirrorOptions& options, const ProgressCallback& progress);

// From the cluster into the log in options.dir (opened by this process, so not beside another writer).
// Topics missing locally are created with the cluster's partition count. Returns once every partition
// reached the cluster's high watermark (without follow), or when *stop turns true.
Result<MirrorSummary> mirror_from_cluster(const MirrorOptions& options, const ProgressCallback& progress);

}  // namespace strata::mirror
