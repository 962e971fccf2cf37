// Kafka's idempotent-producer rules for one partition: per producer id, the epoch and the last 5 batches'
// sequence ranges, so that a client's retry is stored once (its original offset is answered) and a gap or a
// stale epoch is refused with the Kafka error. Rebuilt from stored batch headers on recovery.
// Sources: Kafka's ProducerStateEntry and ProducerAppendInfo.checkSequence; ../shared/research/kafka-protocol.md.
//
// Writer thread only.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <unordered_map>

#include "engine/format.h"

namespace strata::detail {

struct SequenceVerdict {
  enum class Kind : std::uint8_t { kAppend, kDuplicate, kOutOfOrder, kFenced };
  Kind kind = Kind::kAppend;
  std::uint64_t duplicate_of = 0;  // kDuplicate: the original batch's base offset
  std::string reason;              // kOutOfOrder, kFenced
};

class ProducerSequences {
 public:
  static constexpr std::size_t kBatchesRemembered = 5;
  // Producers remembered per partition; past it the least recently written one is forgotten (and its next
  // batch, like an unknown producer's, is accepted).
  static constexpr std::size_t kProducersMax = 16384;

  // What to do with a client batch. REQUIRES: header.producer_id >= 0.
  SequenceVerdict check(const format::BatchHeader& header) const;
  // Remembers a stored batch (its base_offset the assigned one). Batches without a producer id are ignored.
  void record(const format::BatchHeader& header);
  std::size_t producers() const { return producers_.size(); }

 private:
  struct Batch {
    std::int32_t first_sequence;
    std::int32_t last_sequence;
    std::uint64_t base_offset;
  };
  struct Entry {
    std::int16_t epoch = 0;
    std::array<Batch, kBatchesRemembered> recent{};  // a circular buffer, newest at (next - 1)
    std::size_t count = 0;
    std::size_t next = 0;
    std::uint64_t last_written = 0;  // the order of record() calls, for forgetting
  };
  void forget_oldest();

  std::unordered_map<std::int64_t, Entry> producers_;
  std::uint64_t records_ = 0;
};

}  // namespace strata::detail
