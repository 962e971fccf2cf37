// strata::kafka::Server at the edges of what it serves, over a raw socket: Produce v0-2 advertised (so that
// librdkafka compresses) but answered UNSUPPORTED_VERSION in each version's layout, Metadata v0, transactions
// refused with an error clients treat as fatal, an API not served closed at once; and topics auto-created
// over many connections at once while others produce (strata serve aborted on that race).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "kafka/protocol.h"
#include "kafka/wire.h"
#include "strata/log.h"
#include "tests/engine/kafka_spec.h"
#include "tests/kafka/request_builder.h"
#include "tests/kafka/server_fixture.h"

namespace strata::kafka {
namespace {

using namespace std::chrono_literals;
using testing::Client;

// A v2 batch whose records carry `values` (CreateTime 1.7e12 + i).
std::vector<std::byte> batch_of(const std::vector<std::string>& values) {
  kafka_spec::Batch batch;
  batch.base_timestamp = 1'700'000'000'000;
  batch.max_timestamp = batch.base_timestamp + static_cast<std::int64_t>(values.size()) - 1;
  batch.last_offset_delta = static_cast<std::int32_t>(values.size()) - 1;
  for (std::size_t i = 0; i < values.size(); ++i) {
    kafka_spec::Record record;
    record.offset_delta = static_cast<std::int32_t>(i);
    record.timestamp_delta = static_cast<std::int64_t>(i);
    record.value = values[i];
    batch.records.push_back(record);
  }
  const std::vector<std::uint8_t> bytes = kafka_spec::encode_batch(batch);
  const auto* data = reinterpret_cast<const std::byte*>(bytes.data());
  return {data, data + bytes.size()};
}

struct ProduceAnswer {
  std::int16_t error = -2;
  std::int64_t base_offset = -2;
};

// Reads a Produce response of one topic and one partition in `version`'s layout, to its last byte.
ProduceAnswer read_produce_answer(const std::vector<std::byte>& frame, std::int16_t version,
                                  std::int32_t correlation) {
  WireReader in(frame);
  EXPECT_EQ(in.int32(), correlation);
  EXPECT_EQ(in.int32(), 1);
  (void)in.string();
  EXPECT_EQ(in.int32(), 1);
  EXPECT_EQ(in.int32(), 0);  // partition index
  ProduceAnswer answer;
  answer.error = in.int16();
  answer.base_offset = in.int64();
  if (version >= 2) {
    EXPECT_EQ(in.int64(), -1) << "log_append_time_ms";
  }
  if (version >= 5) (void)in.int64();  // log_start_offset
  if (version >= 1) {
    EXPECT_EQ(in.int32(), 0) << "throttle_time_ms";
  }
  EXPECT_TRUE(in.ok());
  EXPECT_EQ(in.remaining(), 0u) << "Produce v" << version << " response layout";
  return answer;
}

std::vector<std::string> values(const std::string& prefix, int count) {
  std::vector<std::string> out;
  for (int i = 0; i < count; ++i) out.push_back(prefix + ":" + std::to_string(i));
  return out;
}

// Every event of partition 0 of `topic`, values in offset order.
std::vector<std::string> stored_values(Log& log, const std::string& topic) {
  std::vector<std::string> out;
  auto reader = log.reader(topic, 0, ReadLevel::kWritten);
  EXPECT_TRUE(reader) << topic << ": " << reader.status().to_string();
  if (!reader) return out;
  for (;;) {
    auto polled = reader.value()->poll(1024, [&](const Event& event) {
      out.emplace_back(reinterpret_cast<const char*>(event.value.data()), event.value.size());
    });
    EXPECT_TRUE(polled) << polled.status().to_string();
    if (!polled || *polled == 0) return out;
  }
}

TEST_F(KafkaServer, ProduceV0ToV2IsAdvertisedButAnsweredUnsupportedVersionInItsLayout) {
  Client client(port());
  for (std::int16_t version = 0; version <= 2; ++version) {
    const std::string topic = "old-" + std::to_string(version);
    client.send_frame(testing::produce_request(version, topic, batch_of({"x"}), -1, 20 + version));
    auto response = client.receive();
    ASSERT_TRUE(response) << version;
    const ProduceAnswer answer = read_produce_answer(*response, version, 20 + version);
    EXPECT_EQ(answer.error, 35) << "UNSUPPORTED_VERSION at v" << version;
    EXPECT_EQ(log_->find_topic(topic).status().code(), StatusCode::kNotFound) << "refused before auto-create";
  }
  client.send_frame(testing::produce_request(3, "new-enough", batch_of({"y"}), -1, 30));
  auto response = client.receive();
  ASSERT_TRUE(response);
  EXPECT_EQ(read_produce_answer(*response, 3, 30).error, 0);
  // acks=0 has no answer to carry the error: the connection closes, as Kafka closes it.
  client.send_frame(testing::produce_request(2, "old-acks0", batch_of({"z"}), 0, 31));
  EXPECT_TRUE(client.closed_by_server(2s));
}

TEST_F(KafkaServer, MetadataV0ListsEveryTopicForAnEmptyListInTheV0Layout) {
  ASSERT_TRUE(log_->topic("two", {.partitions = 2}).is_ok());
  Client client(port());
  client.send_frame(testing::metadata_request(0, {}));  // correlation id 7
  auto response = client.receive();
  ASSERT_TRUE(response);
  WireReader in(*response);
  EXPECT_EQ(in.int32(), 7);
  ASSERT_EQ(in.int32(), 1);  // brokers: node_id, host, port (no rack in v0)
  EXPECT_EQ(in.int32(), 0);
  EXPECT_FALSE(in.string().empty());
  EXPECT_EQ(in.int32(), port());
  ASSERT_EQ(in.int32(), 1);  // topics: no controller id, no cluster id before them in v0
  EXPECT_EQ(in.int16(), 0);
  EXPECT_EQ(in.string(), "two");
  ASSERT_EQ(in.int32(), 2);  // partitions (no is_internal before them in v0)
  for (std::int32_t p = 0; p < 2; ++p) {
    EXPECT_EQ(in.int16(), 0);
    EXPECT_EQ(in.int32(), p);
    EXPECT_EQ(in.int32(), 0);  // leader
    ASSERT_EQ(in.int32(), 1);  // replicas
    EXPECT_EQ(in.int32(), 0);
    ASSERT_EQ(in.int32(), 1);  // isr
    EXPECT_EQ(in.int32(), 0);
  }
  EXPECT_TRUE(in.ok());
  EXPECT_EQ(in.remaining(), 0u) << "Metadata v0 response layout";

  client.send_frame(testing::metadata_request(0, {"made-by-v0"}));  // v0 auto-creates, as Kafka does
  ASSERT_TRUE(client.receive());
  EXPECT_TRUE(log_->find_topic("made-by-v0").is_ok());
}

TEST_F(KafkaServer, FindCoordinatorForATransactionalIdIsRefusedWithAFatalError) {
  Client client(port());
  WireWriter w = testing::header(10, 1, 5);
  w.string("my-transactional-id");
  w.int8(1);  // key_type: transaction
  client.send_frame(w.buffer());
  auto response = client.receive();
  ASSERT_TRUE(response);
  WireReader in(*response);
  EXPECT_EQ(in.int32(), 5);
  EXPECT_EQ(in.int32(), 0);   // throttle_time_ms
  EXPECT_EQ(in.int16(), 53);  // TRANSACTIONAL_ID_AUTHORIZATION_FAILED: fatal, not retried
  const auto message = in.nullable_string();
  ASSERT_TRUE(message);
  EXPECT_NE(message->find("transactions"), std::string_view::npos) << *message;
}

TEST_F(KafkaServer, AnApiNotServedIsAbsentFromApiVersionsAndClosesTheConnectionAtOnce) {
  // AddPartitionsToTxn, AddOffsetsToTxn, EndTxn, TxnOffsetCommit: what a transactional producer would send.
  for (const std::int16_t key : {std::int16_t{24}, std::int16_t{25}, std::int16_t{26}, std::int16_t{28}}) {
    EXPECT_FALSE(supported_range(key)) << key;
    Client client(port());
    const auto started = std::chrono::steady_clock::now();
    client.send_frame(testing::header(key, 0).buffer());
    EXPECT_TRUE(client.closed_by_server(2s)) << key;
    EXPECT_LT(std::chrono::steady_clock::now() - started, 1s) << key;
  }
}

// Creator connections produce to topics nobody created (auto-create), one new topic after another, while
// busy connections produce to one topic all along; every batch is acknowledged and stored once, in order.
// (The engine's race itself is caught more often by TopicCreation.*, which appends without a network between.)
TEST_F(KafkaServer, TopicsAutoCreatedOverManyConnectionsWhileOthersProduce) {
  constexpr int kCreators = 6;
  constexpr int kTopicsPerCreator = 15;
  constexpr int kBusy = 2;
  std::atomic<int> creators_left{kCreators};
  std::vector<int> busy_batches(kBusy, 0);
  std::vector<std::thread> threads;
  for (int b = 0; b < kBusy; ++b) {
    threads.emplace_back([&, b] {
      Client client(port());
      for (int i = 0; creators_left.load() > 0 && i < 5000; ++i) {
        client.send_frame(testing::produce_request(
            7, "busy", batch_of(values(std::to_string(b) + ":" + std::to_string(i), 2)), -1, i));
        auto response = client.receive();
        ASSERT_TRUE(response) << "busy " << b << " batch " << i;
        ASSERT_EQ(read_produce_answer(*response, 7, i).error, 0);
        busy_batches[b] = i + 1;
      }
    });
  }
  for (int c = 0; c < kCreators; ++c) {
    threads.emplace_back([&, c] {
      Client client(port());
      for (int i = 0; i < kTopicsPerCreator; ++i) {
        const std::string topic = "auto-" + std::to_string(c) + "-" + std::to_string(i);
        client.send_frame(testing::produce_request(7, topic, batch_of(values(topic, 3)), -1, i));
        auto response = client.receive();
        ASSERT_TRUE(response) << topic;
        const ProduceAnswer answer = read_produce_answer(*response, 7, i);
        EXPECT_EQ(answer.error, 0) << topic;
        EXPECT_EQ(answer.base_offset, 0) << topic;
      }
      creators_left.fetch_sub(1);
    });
  }
  for (auto& thread : threads) thread.join();
  for (int c = 0; c < kCreators; ++c) {
    for (int i = 0; i < kTopicsPerCreator; ++i) {
      const std::string topic = "auto-" + std::to_string(c) + "-" + std::to_string(i);
      EXPECT_EQ(stored_values(*log_, topic), values(topic, 3));
    }
  }
  std::vector<int> seen(kBusy, 0);  // each busy connection's events: "<b>:<batch>:0", "<b>:<batch>:1", ...
  for (const std::string& value : stored_values(*log_, "busy")) {
    const int b = std::stoi(value.substr(0, value.find(':')));
    ASSERT_TRUE(b >= 0 && b < kBusy) << value;
    EXPECT_EQ(value,
              std::to_string(b) + ":" + std::to_string(seen[b] / 2) + ":" + std::to_string(seen[b] % 2));
    ++seen[b];
  }
  for (int b = 0; b < kBusy; ++b) EXPECT_EQ(seen[b], 2 * busy_batches[b]) << "busy connection " << b;
}

}  // namespace
}  // namespace strata::kafka
