// A compacted topic "t" (one partition, 1 MiB segments) for the compaction tests: keyed events whose value
// names their offset's append, tombstones and idempotent client batches, and the whole partition read back.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "engine/crc32c.h"
#include "engine/format.h"
#include "strata/inspect.h"
#include "strata/key_reader.h"
#include "strata/log.h"
#include "strata/record_batch.h"
#include "tests/engine/small_options.h"

namespace strata::testing {

inline std::span<const std::byte> bytes_of(std::string_view value) {
  return std::as_bytes(std::span(value.data(), value.size()));
}
inline std::string text(std::span<const std::byte> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

struct StoredEvent {
  std::string key;
  std::string value;
  bool operator==(const StoredEvent&) const = default;
};
using Partition = std::map<std::uint64_t, StoredEvent>;  // offset -> event

// Every event of t-0 in `log`, read with a Reader (each batch's CRC checked), keyed by offset.
inline Partition read_partition(Reader& reader) {
  Partition events;
  std::uint64_t last = 0;
  bool first = true;
  while (true) {
    auto polled = reader.poll(4096, [&](const Event& event) {
      EXPECT_TRUE(first || event.offset > last) << "offset " << event.offset << " after " << last;
      first = false;
      last = event.offset;
      events[event.offset] = {text(event.key), text(event.value)};
    });
    EXPECT_TRUE(polled.is_ok()) << polled.status().to_string();
    if (!polled || *polled == 0) break;
  }
  return events;
}

class CompactedTopic {
 public:
  CompactedTopic(const std::string& dir, bool key_index, TopicConfigs extra = {},
                 std::chrono::milliseconds cleaner_interval = std::chrono::milliseconds(0)) {
    LogOptions options = small_options(dir);
    options.compaction_interval = cleaner_interval;
    log_ = Log::open(options).value();
    TopicConfigs configs = {{"cleanup.policy", "compact"}};
    if (key_index) configs["strata.key-index"] = "true";
    for (auto& [key, value] : extra) configs[key] = value;
    topic_ = log_->topic("t", {.partitions = 1, .configs = configs}).value();
    producer_ = log_->producer();
  }

  Log& log() { return *log_; }

  // `count` events over `keys` keys ("key-<n>"), values of ~200 bytes naming their append; waits for them.
  void append_events(std::size_t count, std::size_t keys, const std::set<std::string>& skip_keys = {}) {
    std::vector<Ticket> tickets;
    for (std::size_t i = 0; i < count; ++i, ++appended_) {
      const std::string key = "key-" + std::to_string(appended_ % keys);
      if (skip_keys.contains(key)) continue;
      const std::string value = "value-" + std::to_string(appended_) + "-" + std::string(180, 'x');
      auto ticket = producer_->append(topic_, 0, bytes_of(key), bytes_of(value));
      ASSERT_TRUE(ticket.is_ok()) << ticket.status().to_string();
      tickets.push_back(*ticket);
      if (tickets.size() == 512) wait_all(&tickets);
    }
    wait_all(&tickets);
  }

  // One event of `key`.
  void append_one(const std::string& key) {
    auto ticket = producer_->append(topic_, 0, bytes_of(key), bytes_of("value-" + std::to_string(appended_++)));
    ASSERT_TRUE(ticket.is_ok()) << ticket.status().to_string();
    ASSERT_TRUE(producer_->wait(*ticket).is_ok());
  }

  // A tombstone (null value) for `key`, stamped `timestamp_ms` (CreateTime), through append_batch.
  std::uint64_t append_tombstone(const std::string& key, std::int64_t timestamp_ms) {
    const BatchRecord record{timestamp_ms, bytes_of(key), {}, {}};
    std::vector<std::byte> batch = encode_record_batch(std::span(&record, 1)).value();
    // The record's value length: after its length, attributes, timestamp and offset deltas (0), key length
    // and key. 0 (empty) and -1 (null) are both one zig-zag byte.
    const std::size_t at = format::kBatchHeaderBytes + 1 + 1 + 1 + 1 + format::varint_bytes(key.size()) + key.size();
    EXPECT_EQ(static_cast<int>(batch[at]), 0);
    batch[at] = std::byte{1};
    refresh_crc(batch);
    return append_client_batch(batch);
  }

  // A one-record batch of an idempotent producer.
  std::vector<std::byte> idempotent_batch(const ProducerIdentity& identity, std::int32_t sequence,
                                          const std::string& key, const std::string& value) {
    const BatchRecord record{0, bytes_of(key), bytes_of(value), {}};
    std::vector<std::byte> batch = encode_record_batch(std::span(&record, 1)).value();
    format::store_be<std::int64_t>(batch.data() + format::kProducerIdAt, identity.producer_id);
    format::store_be<std::int16_t>(batch.data() + format::kProducerEpochAt, identity.epoch);
    format::store_be<std::int32_t>(batch.data() + format::kBaseSequenceAt, sequence);
    refresh_crc(batch);
    return batch;
  }

  // Appends a client batch; its base offset (a duplicate's original one).
  std::uint64_t append_client_batch(std::span<const std::byte> batch) {
    auto ticket = producer_->append_batch(topic_, 0, batch);
    EXPECT_TRUE(ticket.is_ok()) << ticket.status().to_string();
    auto offset = producer_->wait(*ticket);
    EXPECT_TRUE(offset.is_ok()) << offset.status().to_string();
    return offset.is_ok() ? *offset : UINT64_MAX;
  }

  // Appends events until `offset` lies in a sealed segment.
  void append_until_sealed(std::uint64_t offset, std::size_t keys) {
    while (active_base() <= offset) append_events(500, keys);
  }

  std::uint64_t active_base() {
    const auto topics = describe_log(log_->options().directory, "t").value();
    return topics[0].partitions[0].segments.back().base_offset;
  }

  std::uint64_t latest_sealed_offset_of(const std::string& key) {
    const std::uint64_t active = active_base();
    std::uint64_t latest = UINT64_MAX;
    for (const auto& [offset, event] : read_all()) {
      if (offset < active && event.key == key) latest = offset;
    }
    return latest;
  }

  Partition read_all() {
    auto reader = log_->reader("t", 0).value();
    return read_partition(*reader);
  }

  // What a reader on the directory (no Log open) reads.
  static Partition read_directory(const std::string& dir) {
    auto reader = Reader::open(dir, "t", 0).value();
    return read_partition(*reader);
  }

 private:
  static void refresh_crc(std::vector<std::byte>& batch) {
    format::store_be<std::uint32_t>(batch.data() + format::kCrcAt,
                                    format::crc32c(std::span(batch).subspan(format::kAttributesAt)));
  }
  void wait_all(std::vector<Ticket>* tickets) {
    for (const Ticket& ticket : *tickets) ASSERT_TRUE(producer_->wait(ticket).is_ok());
    tickets->clear();
  }

  std::unique_ptr<Log> log_;
  TopicId topic_ = 0;
  std::unique_ptr<Producer> producer_;
  std::size_t appended_ = 0;
};

// Each key's latest offset below `active_base`, and every offset from it on.
inline std::set<std::uint64_t> compacted_offsets(const Partition& before, std::uint64_t active_base) {
  std::map<std::string, std::uint64_t> latest;
  std::set<std::uint64_t> offsets;
  for (const auto& [offset, event] : before) {
    if (offset < active_base) {
      latest[event.key] = offset;
    } else {
      offsets.insert(offset);
    }
  }
  for (const auto& [key, offset] : latest) offsets.insert(offset);
  return offsets;
}

inline void expect_consistent(CompactedTopic& log, const Partition& before, const std::set<std::uint64_t>& required,
                       const std::string& where) {
  const Partition now = log.read_all();
  for (const auto& [offset, event] : now) {
    ASSERT_TRUE(before.contains(offset)) << where << ": offset " << offset << " was never appended";
    EXPECT_EQ(event, before.at(offset)) << where << ": offset " << offset;
  }
  for (const std::uint64_t offset : required) EXPECT_TRUE(now.contains(offset)) << where << ": lost " << offset;
  auto keys = log.log().key_reader("t", 0, ReadLevel::kDurable).value();
  for (const std::string key : {"key-0", "key-42", "key-99"}) {
    std::vector<std::uint64_t> expected;
    for (const auto& [offset, event] : now) {
      if (event.key == key) expected.push_back(offset);
    }
    auto offsets = keys->offsets(bytes_of(key), 0);
    ASSERT_TRUE(offsets.is_ok()) << where << ": " << offsets.status().to_string();
    EXPECT_EQ(*offsets, expected) << where << ": " << key;
  }
}

}  // namespace strata::testing
