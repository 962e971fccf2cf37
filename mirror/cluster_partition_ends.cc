#include "mirror/cluster_partition_ends.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include "mirror/kafka_client.h"
#include "mirror/source_offset_header.h"

namespace strata::mirror {

namespace {

// The last records are read from a little before the end: a transaction's control records (which a
// consumer never sees) may sit after the last data record. Where that window holds no committed record
// (a long aborted transaction, read_committed), it is read again kTailGrowth times as long, back to the start.
constexpr std::int64_t kTailRecords = 16;
constexpr std::int64_t kTailGrowth = 64;

Status query_watermarks(rd_kafka_t* consumer, const std::string& topic, std::uint32_t partition,
                        ClusterPartitionEnd* end) {
  std::int64_t low = 0;
  std::int64_t high = 0;
  const rd_kafka_resp_err_t error = rd_kafka_query_watermark_offsets(
      consumer, topic.c_str(), static_cast<std::int32_t>(partition), &low, &high,
      static_cast<int>(kClusterTimeout.count()));
  if (error != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return kafka_error(error, "reading the end offset of " + partition_name(topic, partition) + " on the cluster");
  }
  end->start_offset = static_cast<std::uint64_t>(low);
  end->end_offset = static_cast<std::uint64_t>(high);
  return Status::ok();
}

std::optional<std::uint64_t> source_offset_of(const rd_kafka_message_t* message) {
  rd_kafka_headers_t* headers = nullptr;
  if (rd_kafka_message_headers(message, &headers) != RD_KAFKA_RESP_ERR_NO_ERROR) return std::nullopt;
  const void* value = nullptr;
  size_t size = 0;
  if (rd_kafka_header_get_last(headers, kSourceOffsetHeader.data(), &value, &size) != RD_KAFKA_RESP_ERR_NO_ERROR ||
      value == nullptr) {
    return std::nullopt;
  }
  return parse_source_offset(std::span(static_cast<const std::byte*>(value), size));
}

// Reads the assigned tails until each partition gave its record before the end or reached the end; a
// partition that gave a (committed) record is marked in *found.
Status read_tails(rd_kafka_t* consumer, const std::string& topic, std::vector<ClusterPartitionEnd>* ends,
                  std::vector<bool>* pending, std::size_t pending_count, std::vector<bool>* found) {
  const auto deadline = std::chrono::steady_clock::now() + kClusterTimeout;
  while (pending_count > 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      return {StatusCode::kTimedOut, "reading the last records of topic " + topic + " on the cluster: no answer"};
    }
    rd_kafka_message_t* message = rd_kafka_consumer_poll(consumer, 100);
    if (message == nullptr) continue;
    const auto partition = static_cast<std::uint32_t>(message->partition);
    const rd_kafka_resp_err_t error = message->err;
    const auto offset = static_cast<std::uint64_t>(message->offset);
    std::optional<std::uint64_t> source_offset;
    if (error == RD_KAFKA_RESP_ERR_NO_ERROR) source_offset = source_offset_of(message);
    rd_kafka_message_destroy(message);
    if (partition >= ends->size() || !(*pending)[partition]) continue;
    ClusterPartitionEnd& end = (*ends)[partition];
    if (error != RD_KAFKA_RESP_ERR_NO_ERROR && error != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      return kafka_error(error, "reading the last record of " + partition_name(topic, partition) + " on the cluster");
    }
    if (error == RD_KAFKA_RESP_ERR_NO_ERROR) {
      end.last_source_offset = source_offset;
      (*found)[partition] = true;
    }
    if (error == RD_KAFKA_RESP_ERR__PARTITION_EOF || offset + 1 >= end.end_offset) {
      (*pending)[partition] = false;
      --pending_count;
    }
  }
  return Status::ok();
}

// Every partition's watermarks, once they held still for kSettle: a Produce request that a killed mirror had
// sent may still be appended (and, with acks=all, become visible only after the broker's fsync) just after
// it died. Reading the end before that would resume too early and copy those records twice. Waiting narrows
// that window to requests delayed longer than kSettle; it does not close it (transactions would).
constexpr std::chrono::milliseconds kSettle{250};
constexpr int kSettleTries = 20;

Result<std::vector<ClusterPartitionEnd>> settled_ends(rd_kafka_t* consumer, const std::string& topic,
                                                      std::uint32_t partitions, LateRequests late) {
  std::vector<ClusterPartitionEnd> ends(partitions);
  for (std::uint32_t p = 0; p < partitions; ++p) STRATA_RETURN_IF_ERROR(query_watermarks(consumer, topic, p, &ends[p]));
  if (late == LateRequests::kImpossible) return ends;
  for (int attempt = 0; attempt < kSettleTries; ++attempt) {
    std::this_thread::sleep_for(kSettle);
    bool moved = false;
    for (std::uint32_t p = 0; p < partitions; ++p) {
      ClusterPartitionEnd again;
      STRATA_RETURN_IF_ERROR(query_watermarks(consumer, topic, p, &again));
      moved = moved || again.end_offset != ends[p].end_offset;
      ends[p] = again;
    }
    if (!moved) return ends;
  }
  return Status(StatusCode::kBusy, "topic " + topic + " keeps growing on the cluster: something else writes there " +
                                       "(a mirror must be the only writer of its destination partitions)");
}

// One pass over the partitions still `pending`: each read from `window` records before its end.
Status read_window(rd_kafka_t* consumer, const std::string& topic, std::int64_t window,
                   std::vector<ClusterPartitionEnd>* ends, std::vector<bool>* pending, std::vector<bool>* found) {
  const auto partitions = static_cast<std::uint32_t>(ends->size());
  std::size_t pending_count = 0;
  PartitionList assignment(rd_kafka_topic_partition_list_new(static_cast<int>(partitions)));
  for (std::uint32_t p = 0; p < partitions; ++p) {
    if (!(*pending)[p]) continue;
    const ClusterPartitionEnd& end = (*ends)[p];
    const std::int64_t from = std::max(static_cast<std::int64_t>(end.start_offset),
                                       static_cast<std::int64_t>(end.end_offset) - window);
    rd_kafka_topic_partition_list_add(assignment.get(), topic.c_str(), static_cast<std::int32_t>(p))->offset = from;
    ++pending_count;
  }
  if (pending_count == 0) return Status::ok();
  rd_kafka_resp_err_t error = rd_kafka_assign(consumer, assignment.get());
  if (error != RD_KAFKA_RESP_ERR_NO_ERROR) return kafka_error(error, "reading topic " + topic + " on the cluster");
  Status read = read_tails(consumer, topic, ends, pending, pending_count, found);
  error = rd_kafka_assign(consumer, nullptr);
  STRATA_RETURN_IF_ERROR(read);
  if (error != RD_KAFKA_RESP_ERR_NO_ERROR) return kafka_error(error, "reading topic " + topic + " on the cluster");
  return Status::ok();
}

}  // namespace

Result<std::vector<ClusterPartitionEnd>> read_cluster_partition_ends(rd_kafka_t* consumer, const std::string& topic,
                                                                     std::uint32_t partitions, LateRequests late) {
  auto settled = settled_ends(consumer, topic, partitions, late);
  if (!settled) return settled.status();
  std::vector<ClusterPartitionEnd> ends = std::move(settled.value());
  std::vector<bool> found(partitions, false);
  std::vector<bool> pending(partitions, false);
  for (std::uint32_t p = 0; p < partitions; ++p) pending[p] = ends[p].end_offset != ends[p].start_offset;
  for (std::int64_t window = kTailRecords;;
       window = window > INT64_MAX / kTailGrowth ? INT64_MAX : window * kTailGrowth) {
    STRATA_RETURN_IF_ERROR(read_window(consumer, topic, window, &ends, &pending, &found));
    bool again = false;
    for (std::uint32_t p = 0; p < partitions; ++p) {
      // Read from the start already, or a record found: this partition's end is known.
      const bool whole = static_cast<std::int64_t>(ends[p].end_offset - ends[p].start_offset) <= window;
      pending[p] = ends[p].end_offset != ends[p].start_offset && !found[p] && !whole;
      again = again || pending[p];
    }
    if (!again) return ends;
  }
}

}  // namespace strata::mirror
