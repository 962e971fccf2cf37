// A client's RecordBatch, built byte by byte from the Kafka protocol guide (tests/engine/kafka_spec.h),
// appended with Producer::append_batch: stored as it came (only baseOffset rewritten), read back as events
// and as batches, and held to Kafka's broker-side rules and idempotence.
#include <gtest/gtest.h>

#include "strata/log.h"
#include "tests/engine/kafka_spec.h"
#include "tests/engine/small_options.h"
#include "tests/engine/test_dir.h"

namespace strata {
namespace {

using testing::small_options;
using testing::TestDir;

constexpr std::int64_t kCreateTimeMs = 1'700'000'000'000;

std::string text(std::span<const std::byte> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

// An idempotent batch of two records with headers, CreateTime.
kafka_spec::Batch idempotent_batch(std::int64_t producer_id, std::int16_t epoch, std::int32_t base_sequence,
                                   const std::string& tag) {
  kafka_spec::Batch b;
  b.base_offset = 0;  // a client sends 0; the broker assigns
  b.partition_leader_epoch = -1;
  b.attributes = 0;  // no compression, CreateTime
  b.last_offset_delta = 1;
  b.base_timestamp = kCreateTimeMs;
  b.max_timestamp = kCreateTimeMs + 5;
  b.producer_id = producer_id;
  b.producer_epoch = epoch;
  b.base_sequence = base_sequence;
  kafka_spec::Record first;
  first.timestamp_delta = 0;
  first.offset_delta = 0;
  first.key = "key-a-" + tag;
  first.value = "value-a-" + tag;
  first.headers = {{"trace", std::string("t1")}, {"null-valued", std::nullopt}};
  kafka_spec::Record second;
  second.timestamp_delta = 5;
  second.offset_delta = 1;
  second.key = "key-b-" + tag;
  second.value = "value-b-" + tag;
  second.headers = {{"trace", std::string("t2")}};
  b.records = {first, second};
  return b;
}

std::span<const std::byte> as_span(const std::vector<std::uint8_t>& bytes) {
  return std::as_bytes(std::span(bytes.data(), bytes.size()));
}

Result<std::uint64_t> append_and_wait(Producer& producer, TopicId topic, const std::vector<std::uint8_t>& bytes) {
  auto ticket = producer.append_batch(topic, 0, as_span(bytes));
  if (!ticket) return ticket.status();
  return producer.wait(*ticket);
}

TEST(KafkaClientBatch, SpecBuiltBatchIsStoredAsItCameAndReadsBackAsEventsAndBytes) {
  TestDir dir;
  auto log = Log::open(small_options(dir.path())).value();
  const TopicId topic = log->topic("c").value();
  auto producer = log->producer();
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(producer->wait(producer->append(topic, "k", "engine").value()).is_ok());
  const std::int64_t producer_id = 7;
  const auto bytes = kafka_spec::encode_batch(idempotent_batch(producer_id, 0, 0, "x"));
  auto offset = append_and_wait(*producer, topic, bytes);
  ASSERT_TRUE(offset) << offset.status().to_string();
  EXPECT_EQ(*offset, 3u);

  auto reader = log->reader("c").value();
  ASSERT_TRUE(reader->seek(3).is_ok());
  struct Seen {
    std::uint64_t offset;
    std::int64_t timestamp_us;
    std::string key, value;
    std::vector<std::pair<std::string, std::string>> headers;
  };
  std::vector<Seen> seen;
  reader->poll(10, [&](const Event& e) {
    Seen s{e.offset, e.timestamp_us, text(e.key), text(e.value), {}};
    for (const EventHeader& h : e.headers) s.headers.emplace_back(std::string(h.key), text(h.value));
    seen.push_back(s);
  }).value();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].offset, 3u);
  EXPECT_EQ(seen[0].key, "key-a-x");
  EXPECT_EQ(seen[0].value, "value-a-x");
  EXPECT_EQ(seen[0].timestamp_us, kCreateTimeMs * 1000) << "CreateTime: baseTimestamp + timestampDelta";
  using Pairs = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(seen[0].headers, (Pairs{{"trace", "t1"}, {"null-valued", ""}}));
  EXPECT_EQ(seen[1].offset, 4u);
  EXPECT_EQ(seen[1].key, "key-b-x");
  EXPECT_EQ(seen[1].value, "value-b-x");
  EXPECT_EQ(seen[1].timestamp_us, (kCreateTimeMs + 5) * 1000);
  EXPECT_EQ(seen[1].headers, (Pairs{{"trace", "t2"}}));

  // Every stored batch from the start (seeking into the middle is Reader.PollBatchesAfterSeek...): the
  // client's is the one at base offset 3.
  auto batches = log->reader("c").value();
  std::vector<std::uint8_t> stored;
  std::size_t client_batches = 0;
  EXPECT_EQ(batches->poll_batches(1u << 20, [&](const BatchView& view) {
    if (view.base_offset == 3) {
      ++client_batches;
      stored.assign(reinterpret_cast<const std::uint8_t*>(view.bytes.data()),
                    reinterpret_cast<const std::uint8_t*>(view.bytes.data()) + view.bytes.size());
      EXPECT_EQ(view.next_offset, 5u);
    }
    return true;
  }).value(), 4u) << "three engine batches (each append waited for) and the client's";
  EXPECT_EQ(client_batches, 1u);
  ASSERT_EQ(stored.size(), bytes.size());
  for (std::size_t i = 0; i < 8; ++i) EXPECT_EQ(stored[i], i == 7 ? 3 : 0) << "baseOffset byte " << i;
  EXPECT_TRUE(std::equal(stored.begin() + 8, stored.end(), bytes.begin() + 8)) << "bytes after baseOffset changed";
}

TEST(Idempotence, RetriesGapsEpochsAndUnknownProducersFollowKafka) {
  TestDir dir;
  auto log = Log::open(small_options(dir.path())).value();
  const TopicId topic = log->topic("c").value();
  auto producer = log->producer();
  const auto first = kafka_spec::encode_batch(idempotent_batch(7, 0, 0, "0"));
  ASSERT_EQ(append_and_wait(*producer, topic, first).value(), 0u);
  // An exact retry answers the original offset and is not stored again.
  ASSERT_EQ(append_and_wait(*producer, topic, first).value(), 0u);
  ASSERT_TRUE(log->flush().is_ok());
  EXPECT_EQ(log->offsets(topic, 0).value().written, 2u);
  // The next sequence is accepted.
  ASSERT_EQ(append_and_wait(*producer, topic, kafka_spec::encode_batch(idempotent_batch(7, 0, 2, "2"))).value(), 2u);
  // A gap is kOutOfOrderSequence.
  auto gap = append_and_wait(*producer, topic, kafka_spec::encode_batch(idempotent_batch(7, 0, 10, "gap")));
  ASSERT_FALSE(gap);
  EXPECT_EQ(gap.status().code(), StatusCode::kOutOfOrderSequence) << gap.status().to_string();
  // A new epoch starts at sequence 0; the older epoch is then fenced.
  ASSERT_EQ(append_and_wait(*producer, topic, kafka_spec::encode_batch(idempotent_batch(7, 1, 0, "e1"))).value(), 4u);
  auto fenced = append_and_wait(*producer, topic, kafka_spec::encode_batch(idempotent_batch(7, 0, 4, "old")));
  ASSERT_FALSE(fenced);
  EXPECT_EQ(fenced.status().code(), StatusCode::kProducerFenced) << fenced.status().to_string();
  // An unknown producer id is accepted at any sequence.
  ASSERT_EQ(append_and_wait(*producer, topic, kafka_spec::encode_batch(idempotent_batch(99, 3, 42, "u"))).value(), 6u);
  ASSERT_TRUE(log->flush().is_ok());
  EXPECT_EQ(log->offsets(topic, 0).value().written, 8u);
}

TEST(Idempotence, RetryAfterReopenIsStillADuplicate) {
  TestDir dir;
  const auto batch = kafka_spec::encode_batch(idempotent_batch(7, 0, 0, "r"));
  {
    auto log = Log::open(small_options(dir.path())).value();
    const TopicId topic = log->topic("c").value();
    auto producer = log->producer();
    ASSERT_TRUE(producer->wait(producer->append(topic, "k", "before").value()).is_ok());
    ASSERT_EQ(append_and_wait(*producer, topic, batch).value(), 1u);
    ASSERT_TRUE(producer->wait(producer->append(topic, "k", "after").value()).is_ok());
  }
  auto log = Log::open(small_options(dir.path())).value();
  const TopicId topic = log->topic("c").value();
  auto producer = log->producer();
  auto retry = append_and_wait(*producer, topic, batch);
  ASSERT_TRUE(retry) << retry.status().to_string();
  EXPECT_EQ(*retry, 1u) << "the retry was stored again instead of answering the original offset";
  ASSERT_TRUE(log->flush().is_ok());
  EXPECT_EQ(log->offsets(topic, 0).value().written, 4u);
  // And the sequence goes on from the recovered state.
  auto gap = append_and_wait(*producer, topic, kafka_spec::encode_batch(idempotent_batch(7, 0, 5, "g")));
  ASSERT_FALSE(gap);
  EXPECT_EQ(gap.status().code(), StatusCode::kOutOfOrderSequence);
  EXPECT_EQ(append_and_wait(*producer, topic, kafka_spec::encode_batch(idempotent_batch(7, 0, 2, "n"))).value(), 4u);
}

TEST(KafkaClientBatch, BadBatchesAreRefusedAtOnce) {
  TestDir dir;
  auto log = Log::open(small_options(dir.path())).value();
  const TopicId topic = log->topic("c").value();
  auto producer = log->producer();
  auto refused = [&](const std::vector<std::uint8_t>& bytes) {
    auto ticket = producer->append_batch(topic, 0, as_span(bytes));
    return ticket ? Status::ok() : ticket.status();
  };
  {
    auto bytes = kafka_spec::encode_batch(idempotent_batch(7, 0, 0, "crc"));
    bytes.back() ^= 1;
    const Status status = refused(bytes);
    EXPECT_EQ(status.code(), StatusCode::kCorruption) << status.to_string();
  }
  for (const std::int16_t flag : {std::int16_t{0x20}, std::int16_t{0x10}}) {  // control, transactional
    auto b = idempotent_batch(7, 0, 0, "flag");
    b.attributes = flag;
    const Status status = refused(kafka_spec::encode_batch(b));
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << flag << ": " << status.to_string();
  }
  {
    auto b = idempotent_batch(7, 0, 0, "magic");
    b.magic = 1;
    const Status status = refused(kafka_spec::encode_batch(b));
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << status.to_string();
  }
  {
    auto b = idempotent_batch(7, 0, 0, "count");
    b.records_count_override = 3;  // lastOffsetDelta says 2 records
    const Status status = refused(kafka_spec::encode_batch(b));
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << status.to_string();
  }
  {
    const Status status = [&] {
      auto ticket = producer->append_batch(topic, 1, as_span(kafka_spec::encode_batch(idempotent_batch(7, 0, 0, "p"))));
      return ticket ? Status::ok() : ticket.status();
    }();
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << "partition 1 of a 1-partition topic: " << status.to_string();
  }
  ASSERT_TRUE(log->flush().is_ok());
  EXPECT_EQ(log->offsets(topic, 0).value().written, 0u) << "a refused batch was stored";
  // After the Log is gone, append_batch answers kClosed.
  const auto valid = kafka_spec::encode_batch(idempotent_batch(7, 0, 0, "late"));
  log.reset();
  auto late = producer->append_batch(topic, 0, as_span(valid));
  ASSERT_FALSE(late);
  EXPECT_EQ(late.status().code(), StatusCode::kClosed) << late.status().to_string();
}

// poll_batches() starts at the batch holding position(), also after a seek into a segment read from its start.
TEST(Reader, PollBatchesAfterSeekStartsAtTheBatchHoldingThePosition) {
  TestDir dir;
  auto log = Log::open(small_options(dir.path())).value();
  const TopicId topic = log->topic("c").value();
  auto producer = log->producer();
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(producer->wait(producer->append(topic, "k", "v").value()).is_ok());
  auto reader = log->reader("c").value();
  ASSERT_TRUE(reader->seek(3).is_ok());
  std::vector<std::uint64_t> bases;
  (void)reader->poll_batches(1u << 20, [&](const BatchView& view) {
    bases.push_back(view.base_offset);
    return true;
  });
  EXPECT_EQ(bases, (std::vector<std::uint64_t>{3, 4}));
  EXPECT_EQ(reader->position(), 5u);
}

}  // namespace
}  // namespace strata
