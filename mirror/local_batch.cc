#include "mirror/local_batch.h"

#include <array>
#include <chrono>

#include "mirror/source_offset_header.h"
#include "strata/record_batch.h"

namespace strata::mirror {

void copy_headers(const rd_kafka_message_t& message, std::vector<EventHeader>* headers) {
  rd_kafka_headers_t* kafka_headers = nullptr;
  if (rd_kafka_message_headers(&message, &kafka_headers) != RD_KAFKA_RESP_ERR_NO_ERROR) return;
  const char* name = nullptr;
  const void* value = nullptr;
  size_t size = 0;
  for (size_t i = 0; rd_kafka_header_get_all(kafka_headers, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR;
       ++i) {
    if (name == kSourceOffsetHeader) continue;
    headers->push_back({name, std::span(static_cast<const std::byte*>(value), value == nullptr ? 0 : size)});
  }
}

std::int64_t timestamp_ms(const rd_kafka_message_t& message) {
  rd_kafka_timestamp_type_t type;
  const std::int64_t timestamp = rd_kafka_message_timestamp(&message, &type);
  if (timestamp >= 0) return timestamp;
  // A record without a timestamp (a pre-0.10 message format): now, as Kafka would stamp it.
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void PendingBatch::add(Message message) {
  bytes_ += message->key_len + message->len;
  messages_.push_back(std::move(message));
}

Result<Ticket> PendingBatch::append(Producer& producer, TopicId topic, std::uint32_t partition) {
  const std::size_t count = messages_.size();
  std::vector<std::vector<EventHeader>> headers(count);
  std::vector<std::array<char, 24>> digits(count);
  std::vector<BatchRecord> records(count);
  for (std::size_t i = 0; i < count; ++i) {
    const rd_kafka_message_t& message = *messages_[i];
    copy_headers(message, &headers[i]);
    headers[i].push_back(
        {kSourceOffsetHeader, encode_source_offset(static_cast<std::uint64_t>(message.offset), digits[i])});
    records[i] = {.timestamp_ms = timestamp_ms(message),
                  .key = std::span(static_cast<const std::byte*>(message.key), message.key_len),
                  .value = std::span(static_cast<const std::byte*>(message.payload), message.len),
                  .headers = headers[i],
                  .key_null = message.key == nullptr,  // librdkafka's null (length -1); empty is non-null
                  .value_null = message.payload == nullptr};
  }
  auto batch = encode_record_batch(records);
  if (!batch) return batch.status();
  auto ticket = producer.append_batch(topic, partition, batch.value());
  messages_.clear();
  bytes_ = 0;
  return ticket;
}

}  // namespace strata::mirror
