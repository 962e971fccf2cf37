#include "engine/idempotence.h"

#include <algorithm>

namespace strata::detail {

namespace {

// Sequences wrap from INT32_MAX to 0, as Kafka's do.
std::int32_t next_sequence(std::int32_t sequence) {
  return sequence == INT32_MAX ? 0 : sequence + 1;
}

std::int32_t last_sequence_of(const format::BatchHeader& header) {
  const std::int64_t last = std::int64_t{header.base_sequence} + header.last_offset_delta;
  return static_cast<std::int32_t>(last > INT32_MAX ? last - INT32_MAX - 1 : last);
}

}  // namespace

SequenceVerdict ProducerSequences::check(const format::BatchHeader& header) const {
  const auto it = producers_.find(header.producer_id);
  if (it == producers_.end()) return {};  // unknown (new or forgotten): accepted, as Kafka does
  const Entry& entry = it->second;
  if (header.producer_epoch < entry.epoch) {
    return {SequenceVerdict::Kind::kFenced, 0,
            "producer " + std::to_string(header.producer_id) + " epoch " + std::to_string(header.producer_epoch) +
                " is older than epoch " + std::to_string(entry.epoch)};
  }
  if (header.producer_epoch > entry.epoch) {
    if (header.base_sequence == 0) return {};
    return {SequenceVerdict::Kind::kOutOfOrder, 0,
            "producer " + std::to_string(header.producer_id) + " starts epoch " +
                std::to_string(header.producer_epoch) + " at sequence " + std::to_string(header.base_sequence) +
                ", expected 0"};
  }
  const std::int32_t last = last_sequence_of(header);
  for (std::size_t i = 0; i < entry.count; ++i) {
    const Batch& batch = entry.recent[i];
    if (batch.first_sequence == header.base_sequence && batch.last_sequence == last) {
      return {SequenceVerdict::Kind::kDuplicate, batch.base_offset, {}};
    }
  }
  const Batch& newest = entry.recent[(entry.next + kBatchesRemembered - 1) % kBatchesRemembered];
  if (entry.count > 0 && header.base_sequence != next_sequence(newest.last_sequence)) {
    return {SequenceVerdict::Kind::kOutOfOrder, 0,
            "producer " + std::to_string(header.producer_id) + " sent sequence " +
                std::to_string(header.base_sequence) + ", expected " +
                std::to_string(next_sequence(newest.last_sequence))};
  }
  return {};
}

void ProducerSequences::record(const format::BatchHeader& header) {
  if (header.producer_id < 0) return;
  auto it = producers_.find(header.producer_id);
  if (it == producers_.end()) {
    if (producers_.size() >= kProducersMax) forget_oldest();  // a linear scan, only past 16384 producers
    it = producers_.emplace(header.producer_id, Entry{}).first;
    it->second.epoch = header.producer_epoch;
  }
  Entry& entry = it->second;
  if (header.producer_epoch != entry.epoch) {
    entry.epoch = header.producer_epoch;
    entry.count = 0;
    entry.next = 0;
  }
  entry.recent[entry.next] = {header.base_sequence, last_sequence_of(header), header.base_offset};
  entry.next = (entry.next + 1) % kBatchesRemembered;
  entry.count = std::min(entry.count + 1, kBatchesRemembered);
  entry.last_written = ++records_;
}

void ProducerSequences::forget_oldest() {
  auto oldest = producers_.begin();
  for (auto it = producers_.begin(); it != producers_.end(); ++it) {
    if (it->second.last_written < oldest->second.last_written) oldest = it;
  }
  producers_.erase(oldest);
}

}  // namespace strata::detail
