// Records consumed from one cluster partition, waiting to be appended to the local log as one batch
// (strata/record_batch.h): their keys, values, headers and timestamps (CreateTime) as the cluster gave them,
// and their cluster offset in strata.source-offset. A batch is recovered whole or not at all, so after a
// kill -9 the local log's last record still names the last offset copied.
#pragma once

#include <librdkafka/rdkafka.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "strata/log.h"

namespace strata::mirror {

struct MessageDeleter {
  void operator()(rd_kafka_message_t* message) const { rd_kafka_message_destroy(message); }
};
using Message = std::unique_ptr<rd_kafka_message_t, MessageDeleter>;

// A message's headers, but a strata.source-offset one (the hop's own, or an earlier hop's that this hop
// replaces), pointing into the message.
void copy_headers(const rd_kafka_message_t& message, std::vector<EventHeader>* headers);
// A message's timestamp in milliseconds (now for a record without one, as Kafka would stamp it).
std::int64_t timestamp_ms(const rd_kafka_message_t& message);

class PendingBatch {
 public:
  static constexpr std::size_t kRecordsMax = 1000;
  static constexpr std::size_t kBytesMax = 1u << 20;  // keys and values; the producer's ring must hold it

  // REQUIRES: message holds a record (err is 0).
  void add(Message message);
  bool empty() const { return messages_.empty(); }
  bool full() const { return messages_.size() >= kRecordsMax || bytes_ >= kBytesMax; }
  // The records added, in order.
  const std::vector<Message>& messages() const { return messages_; }

  // Appends the records as one batch to `partition` of `topic` (not waiting for the acknowledgement) and
  // empties the batch. REQUIRES: !empty().
  Result<Ticket> append(Producer& producer, TopicId topic, std::uint32_t partition);

 private:
  std::vector<Message> messages_;
  std::size_t bytes_ = 0;
};

}  // namespace strata::mirror
