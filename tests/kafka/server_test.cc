// strata::kafka::Server over a raw socket: the pitfalls real clients hit (the ApiVersions v3 probe,
// pipelining, acks=0), hostile input (absurd sizes, unknown keys, truncated bodies, the connection limit),
// and the per-partition answers of Produce, Fetch, ListOffsets, OffsetFetch, CreateTopics and DeleteTopics.
#include "kafka/server.h"
#include "strata/consumer_group.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <thread>
#include <tuple>

#include "kafka/protocol.h"
#include "kafka/wire.h"
#include "strata/log.h"
#include "tests/engine/kafka_spec.h"
#include "tests/kafka/request_builder.h"
#include "tests/kafka/server_requests.h"
#include "tests/kafka/server_fixture.h"

namespace strata::kafka {
namespace {

using namespace std::chrono_literals;
using testing::Client;

using testing::api_versions;
using testing::client_batch;
using testing::ProduceResult;
using testing::read_produce;

std::vector<std::byte> produce(std::int16_t acks, std::int32_t correlation_id, const std::string& topic,
                               const std::vector<std::byte>& batch, std::int16_t version = 7) {
  return testing::produce_request(version, topic, batch, acks, correlation_id, 10'000);
}

std::int32_t correlation(const std::vector<std::byte>& frame) {
  WireReader in(frame);
  return in.int32();
}

TEST_F(KafkaServer, ApiVersionsV3IsServedFlexibleWithAResponseHeaderV0) {
  Client client(port());
  client.send_frame(api_versions(3, 9));
  auto answer = client.receive();
  ASSERT_TRUE(answer);
  WireReader in(*answer);
  EXPECT_EQ(in.int32(), 9);  // correlation id, then no tagged fields: ApiVersions' response header is v0
  EXPECT_EQ(in.int16(), 0);
  const auto table = supported_apis();
  ASSERT_EQ(in.int8(), static_cast<std::int8_t>(table.size() + 1));  // compact array: count + 1
  for (const ApiRange& range : table) {
    EXPECT_EQ(in.int16(), static_cast<std::int16_t>(range.key));
    EXPECT_EQ(in.int16(), range.min_version);
    EXPECT_EQ(in.int16(), range.max_version);
    EXPECT_EQ(in.int8(), 0) << "no tagged fields";
  }
  EXPECT_EQ(in.int32(), 0);  // throttle_time_ms
  EXPECT_EQ(in.int8(), 0);   // no tagged fields (features)
  EXPECT_TRUE(in.ok());
  EXPECT_EQ(in.remaining(), 0u);
}

TEST_F(KafkaServer, ApiVersionsV4ProbeGetsErrorInTheV0LayoutThenV2Works) {
  Client client(port());
  client.send_frame(api_versions(4, 1));
  auto probe = client.receive();
  ASSERT_TRUE(probe);
  WireReader in(*probe);
  EXPECT_EQ(in.int32(), 1);
  EXPECT_EQ(in.int16(), 35);
  ASSERT_EQ(in.int32(), 1);
  EXPECT_EQ(in.int16(), 18);
  EXPECT_EQ(in.int16(), 0);
  EXPECT_EQ(in.int16(), 3);
  EXPECT_EQ(in.remaining(), 0u) << "no throttle field in the v0 layout";

  client.send_frame(api_versions(2, 2));
  auto full = client.receive();
  ASSERT_TRUE(full);
  WireReader list(*full);
  EXPECT_EQ(list.int32(), 2);
  EXPECT_EQ(list.int16(), 0);
  // Every API of the table with its range, the config APIs among them.
  const auto table = supported_apis();
  ASSERT_EQ(list.int32(), static_cast<std::int32_t>(table.size()));
  std::vector<std::int16_t> keys;
  for (const ApiRange& range : table) {
    keys.push_back(list.int16());
    EXPECT_EQ(keys.back(), static_cast<std::int16_t>(range.key));
    EXPECT_EQ(list.int16(), range.min_version);
    EXPECT_EQ(list.int16(), range.max_version);
  }
  for (ApiKey config_api : {ApiKey::kDescribeConfigs, ApiKey::kAlterConfigs, ApiKey::kIncrementalAlterConfigs}) {
    EXPECT_NE(std::find(keys.begin(), keys.end(), static_cast<std::int16_t>(config_api)), keys.end()) << api_name(static_cast<std::int16_t>(config_api));
  }
}

TEST_F(KafkaServer, PipelinedRequestsAreAnsweredInOrderAndAcksZeroGetsNoResponse) {
  Client client(port());
  client.send_frame(produce(-1, 10, "pipe", client_batch(3)));
  client.send_frame(produce(0, 11, "pipe", client_batch(2)));  // no response
  client.send_frame(testing::metadata_request(8, {"pipe"}));   // correlation id 7
  client.send_frame(produce(1, 12, "pipe", client_batch(1)));
  auto first = client.receive();
  auto second = client.receive();
  auto third = client.receive();
  ASSERT_TRUE(first && second && third);
  EXPECT_EQ(correlation(*first), 10);
  EXPECT_EQ(correlation(*second), 7);
  EXPECT_EQ(correlation(*third), 12);
  EXPECT_EQ(read_produce(*first).base_offset, 0);
  EXPECT_EQ(read_produce(*third).base_offset, 5) << "the acks=0 batch took offsets 3 and 4";
}

TEST_F(KafkaServer, ProduceErrorsArePerPartitionKafkaCodes) {
  Client client(port());
  auto corrupt = client_batch(2);
  corrupt.back() ^= std::byte{1};  // the CRC no longer matches
  client.send_frame(produce(-1, 1, "errors", corrupt));
  auto response = client.receive();
  ASSERT_TRUE(response);
  EXPECT_EQ(read_produce(*response).error, 2) << "CORRUPT_MESSAGE";

  auto two_batches = client_batch(1);
  const auto second = client_batch(1);
  two_batches.insert(two_batches.end(), second.begin(), second.end());
  client.send_frame(produce(-1, 2, "errors", two_batches));
  response = client.receive();
  ASSERT_TRUE(response);
  EXPECT_EQ(read_produce(*response).error, 87) << "INVALID_RECORD: one batch per partition";

  client.send_frame(produce(2, 3, "errors", client_batch(1)));
  response = client.receive();
  ASSERT_TRUE(response);
  EXPECT_EQ(read_produce(*response).error, 21) << "INVALID_REQUIRED_ACKS";

  client.send_frame(produce(-1, 4, "bad/name", client_batch(1)));
  response = client.receive();
  ASSERT_TRUE(response);
  EXPECT_EQ(read_produce(*response).error, 17) << "INVALID_TOPIC_EXCEPTION";
}

TEST_F(KafkaServer, IdempotentRetryIsStoredOnceAndAGapIsOutOfOrder) {
  auto identity = log_->allocate_producer_id();
  ASSERT_TRUE(identity.is_ok());
  Client client(port());
  const auto batch = client_batch(3, identity->producer_id, 0);
  client.send_frame(produce(-1, 1, "idem", batch));
  client.send_frame(produce(-1, 2, "idem", batch));  // the same batch again: a retry
  client.send_frame(produce(-1, 3, "idem", client_batch(1, identity->producer_id, 7)));
  auto first = client.receive();
  auto retry = client.receive();
  auto gap = client.receive();
  ASSERT_TRUE(first && retry && gap);
  EXPECT_EQ(read_produce(*first).base_offset, 0);
  EXPECT_EQ(read_produce(*retry).error, 0);
  EXPECT_EQ(read_produce(*retry).base_offset, 0) << "a retry answers the original offset";
  EXPECT_EQ(read_produce(*gap).error, 45) << "OUT_OF_ORDER_SEQUENCE_NUMBER";
  auto offsets = log_->offsets(log_->topic("idem").value(), 0);
  EXPECT_EQ(offsets->durable, 3u);
}

std::vector<std::byte> fetch_one(std::int32_t correlation_id, const std::string& topic, std::int64_t offset,
                                 std::int32_t max_wait_ms, std::int32_t partition_max_bytes = 1 << 20) {
  WireWriter w = testing::header(1, 11, correlation_id);
  w.int32(-1);
  w.int32(max_wait_ms);
  w.int32(1);
  w.int32(1 << 20);
  w.int8(0);
  w.int32(0);
  w.int32(-1);
  w.array_count(1);
  w.string(topic);
  w.array_count(1);
  w.int32(0);
  w.int32(-1);
  w.int64(offset);
  w.int64(-1);
  w.int32(partition_max_bytes);
  w.array_count(0);
  w.string("");
  return w.buffer();
}

struct FetchResult {
  std::int16_t error = 0;
  std::int64_t high_watermark = -1;
  std::size_t records_bytes = 0;
};
FetchResult read_fetch(const std::vector<std::byte>& frame) {
  WireReader in(frame);
  (void)in.int32();  // correlation
  (void)in.int32();  // throttle
  EXPECT_EQ(in.int16(), 0);
  (void)in.int32();  // session
  EXPECT_EQ(in.int32(), 1);
  (void)in.string();
  EXPECT_EQ(in.int32(), 1);
  (void)in.int32();
  FetchResult result;
  result.error = in.int16();
  result.high_watermark = in.int64();
  (void)in.int64();  // last stable
  (void)in.int64();  // log start
  (void)in.int32();  // aborted: null
  (void)in.int32();  // preferred read replica
  result.records_bytes = in.bytes().size();
  EXPECT_TRUE(in.ok());
  EXPECT_EQ(in.remaining(), 0u);
  return result;
}

TEST_F(KafkaServer, FetchLongPollsUntilDataOrMaxWaitAndReturnsWholeBatches) {
  Client producer(port());
  producer.send_frame(produce(-1, 1, "poll", client_batch(5)));
  ASSERT_TRUE(producer.receive());

  Client consumer(port());
  // At the end: waits max_wait_ms, then answers with no records.
  auto begin = std::chrono::steady_clock::now();
  consumer.send_frame(fetch_one(2, "poll", 5, 300));
  auto empty = consumer.receive();
  ASSERT_TRUE(empty);
  EXPECT_GE(std::chrono::steady_clock::now() - begin, 290ms);
  EXPECT_EQ(read_fetch(*empty).records_bytes, 0u);
  EXPECT_EQ(read_fetch(*empty).high_watermark, 5);

  // A waiting Fetch is woken by a produce, long before its max_wait_ms.
  begin = std::chrono::steady_clock::now();
  consumer.send_frame(fetch_one(3, "poll", 5, 10'000));
  std::this_thread::sleep_for(100ms);
  producer.send_frame(produce(-1, 4, "poll", client_batch(2)));
  ASSERT_TRUE(producer.receive());
  auto woken = consumer.receive();
  ASSERT_TRUE(woken);
  EXPECT_LT(std::chrono::steady_clock::now() - begin, 5s);
  EXPECT_GT(read_fetch(*woken).records_bytes, 61u);
  EXPECT_EQ(read_fetch(*woken).high_watermark, 7);

  // From the middle of a batch: the whole batch, even over partition_max_bytes (KIP-74).
  consumer.send_frame(fetch_one(5, "poll", 2, 0, /*partition_max_bytes=*/10));
  auto whole = consumer.receive();
  ASSERT_TRUE(whole);
  EXPECT_EQ(read_fetch(*whole).records_bytes, client_batch(5).size());

  // Beyond the high watermark: OFFSET_OUT_OF_RANGE.
  consumer.send_frame(fetch_one(6, "poll", 99, 0));
  auto out_of_range = consumer.receive();
  ASSERT_TRUE(out_of_range);
  EXPECT_EQ(read_fetch(*out_of_range).error, 1);
}

TEST_F(KafkaServer, OffsetFetchOfAnUncommittedPartitionIsMinusOneWithoutError) {
  Client client(port());
  client.send_frame(testing::offset_fetch_request(5, "fresh-group", false));
  auto response = client.receive();
  ASSERT_TRUE(response);
  WireReader in(*response);
  (void)in.int32();
  (void)in.int32();  // throttle
  ASSERT_EQ(in.int32(), 1);
  EXPECT_EQ(in.string(), "orders");
  ASSERT_EQ(in.int32(), 2);
  EXPECT_EQ(in.int32(), 0);
  EXPECT_EQ(in.int64(), -1);
  (void)in.int32();  // leader epoch
  (void)in.nullable_string();
  EXPECT_EQ(in.int16(), 0);
}

// Kafka answers a commit per partition: the partitions that exist commit, the others are
// UNKNOWN_TOPIC_OR_PARTITION (3), and nothing is stored for them.
TEST_F(KafkaServer, OffsetCommitAnswersUnknownTopicOrPartitionForEachPartitionThatDoesNotExist) {
  ASSERT_TRUE(log_->topic("orders", {.partitions = 2}).is_ok());
  WireWriter w = testing::header(8, 2);
  w.string("a group/with ✓ odd characters");
  w.int32(-1);  // a simple commit: no generation, no member
  w.string("");
  w.int64(-1);  // retention
  w.array_count(2);
  w.string("orders");
  w.array_count(2);
  for (std::int32_t partition : {1, 2}) {
    w.int32(partition);
    w.int64(10);
    w.nullable_string("meta");
  }
  w.string("missing");
  w.array_count(1);
  w.int32(0);
  w.int64(10);
  w.nullable_string("meta");
  Client client(port());
  client.send_frame(w.buffer());
  auto response = client.receive();
  ASSERT_TRUE(response);
  WireReader in(*response);
  (void)in.int32();  // correlation id (v2 has no throttle time)
  ASSERT_EQ(in.int32(), 2);
  EXPECT_EQ(in.string(), "orders");
  ASSERT_EQ(in.int32(), 2);
  EXPECT_EQ(in.int32(), 1);
  EXPECT_EQ(in.int16(), 0);
  EXPECT_EQ(in.int32(), 2);
  EXPECT_EQ(in.int16(), 3);
  EXPECT_EQ(in.string(), "missing");
  ASSERT_EQ(in.int32(), 1);
  EXPECT_EQ(in.int32(), 0);
  EXPECT_EQ(in.int16(), 3);
  EXPECT_EQ(read_group_offset(dir_.path(), "a group/with ✓ odd characters", "orders", 1).value().offset, 10u);
  EXPECT_EQ(read_group_offset(dir_.path(), "a group/with ✓ odd characters", "orders", 2).status().code(),
            StatusCode::kNotFound);
}

// A JoinGroup parked for the group's initial rebalance delay (3 s by default) holds no one else up: a new
// connection's ApiVersions is answered meanwhile.
TEST_F(KafkaServer, ANewConnectionIsAnsweredWhileAGroupWaitsForItsRebalance) {
  Client member(port());
  member.send_frame(testing::join_group_request(5, "rebalancing"));
  Client newcomer(port());
  const auto start = std::chrono::steady_clock::now();
  newcomer.send_frame(api_versions(2, 1));
  ASSERT_TRUE(newcomer.receive(2s));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
  auto joined = member.receive(10s);
  ASSERT_TRUE(joined) << "the join is answered once the delay passed";
  WireReader in(*joined);
  (void)in.int32();  // correlation id
  (void)in.int32();  // throttle
  EXPECT_EQ(in.int16(), 0);
  EXPECT_EQ(in.int32(), 1) << "generation";
}

TEST_F(KafkaServer, HostileFramesCloseTheConnectionAndTheServerGoesOn) {
  {
    Client client(port());
    const std::uint8_t huge[] = {0x7f, 0xff, 0xff, 0xff};  // 2 GiB request: over max_request_bytes
    client.send_raw(huge, sizeof huge);
    EXPECT_TRUE(client.closed_by_server());
  }
  {
    Client client(port());
    const std::uint8_t negative[] = {0xff, 0xff, 0xff, 0xf0};
    client.send_raw(negative, sizeof negative);
    EXPECT_TRUE(client.closed_by_server());
  }
  {
    Client client(port());
    client.send_frame(testing::header(57, 0).buffer());  // an API key strata does not serve
    EXPECT_TRUE(client.closed_by_server());
  }
  {
    Client client(port());
    auto frame = testing::fetch_request(11, "t", 0);
    ASSERT_GT(frame.size(), 9u);
    frame.erase(frame.end() - 9, frame.end());  // the body ends inside a partition
    client.send_frame(frame);
    EXPECT_TRUE(client.closed_by_server());
  }
  {
    Client client(port());
    WireWriter w = testing::header(3, 8);
    w.int32(0x10000000);  // 268 million topics in a few bytes
    w.int64(0);
    client.send_frame(w.buffer());
    EXPECT_TRUE(client.closed_by_server());
  }
  {
    Client client(port());
    const std::uint8_t http[] = "GET / HTTP/1.1\r\n\r\n";  // "GET " read as a size is 1.2 GB
    client.send_raw(http, sizeof http - 1);
    EXPECT_TRUE(client.closed_by_server());
  }
  Client healthy(port());
  healthy.send_frame(api_versions(0, 9));
  auto response = healthy.receive();
  ASSERT_TRUE(response);
  EXPECT_EQ(correlation(*response), 9);
}

TEST_F(KafkaServer, ConnectionsOverTheLimitAreClosed) {
  ServerOptions options;
  options.connections_max = 1;
  start(options);
  Client first(port());
  first.send_frame(api_versions(0, 1));
  ASSERT_TRUE(first.receive());
  Client second(port());
  EXPECT_TRUE(second.closed_by_server());
  first.send_frame(api_versions(0, 2));
  EXPECT_TRUE(first.receive()) << "the connection within the limit goes on";
}

TEST_F(KafkaServer, IdleConnectionsAreClosed) {
  ServerOptions options;
  options.idle_timeout = 300ms;
  start(options);
  Client client(port());
  EXPECT_TRUE(client.closed_by_server(3s));
}

TEST_F(KafkaServer, ListOffsetsEarliestLatestAndByTime) {
  Client client(port());
  client.send_frame(produce(-1, 1, "orders", client_batch(4)));  // timestamps 1.7e12 + 0..3
  ASSERT_TRUE(client.receive());
  for (auto [timestamp, expected] : {std::pair<std::int64_t, std::int64_t>{-2, 0},
                                     {-1, 4},
                                     {1'700'000'000'002, 2},
                                     {1'800'000'000'000, -1}}) {
    client.send_frame(testing::list_offsets_request(5, timestamp));
    auto response = client.receive();
    ASSERT_TRUE(response);
    WireReader in(*response);
    (void)in.int32();
    (void)in.int32();
    (void)in.int32();
    (void)in.string();
    (void)in.int32();
    (void)in.int32();
    EXPECT_EQ(in.int16(), 0);
    (void)in.int64();
    EXPECT_EQ(in.int64(), expected) << "timestamp " << timestamp;
  }
}

std::vector<std::byte> delete_topics(std::int16_t version, std::int32_t correlation_id,
                                     const std::vector<std::string>& names) {
  WireWriter w = testing::header(20, version, correlation_id);
  w.array_count(names.size());
  for (const std::string& name : names) w.string(name);
  w.int32(5'000);  // timeout_ms
  return w.buffer();
}

TEST_F(KafkaServer, DeleteTopicsEveryVersionDeletesAndAnUnknownNameIsErrorThree) {
  Client client(port());
  for (std::int16_t version = 0; version <= 3; ++version) {
    const std::string topic = "doomed" + std::to_string(version);
    client.send_frame(produce(-1, 1, topic, client_batch(3)));
    ASSERT_TRUE(client.receive());
    client.send_frame(delete_topics(version, 2, {topic, "never-was", "bad/name"}));
    auto response = client.receive();
    ASSERT_TRUE(response) << version;
    WireReader in(*response);
    EXPECT_EQ(in.int32(), 2);  // correlation id
    if (version >= 1) {
      EXPECT_EQ(in.int32(), 0);  // throttle_time_ms
    }
    ASSERT_EQ(in.int32(), 3);
    EXPECT_EQ(in.string(), topic);
    EXPECT_EQ(in.int16(), 0) << version;
    EXPECT_EQ(in.string(), "never-was");
    EXPECT_EQ(in.int16(), 3) << version;  // UNKNOWN_TOPIC_OR_PARTITION
    EXPECT_EQ(in.string(), "bad/name");
    EXPECT_EQ(in.int16(), 3) << version;  // as Kafka: an invalid name is a topic it does not know
    EXPECT_EQ(in.remaining(), 0u);
    EXPECT_EQ(log_->find_topic(topic).status().code(), StatusCode::kNotFound) << version;

    // Produced to again: auto-created afresh, from offset 0.
    client.send_frame(produce(-1, 3, topic, client_batch(2)));
    auto again = client.receive();
    ASSERT_TRUE(again);
    EXPECT_EQ(read_produce(*again).error, 0);
    EXPECT_EQ(read_produce(*again).base_offset, 0);
  }
}

TEST_F(KafkaServer, FetchOverSeveralPartitionsIsWokenByAnAppendOfTheEmbeddingProcess) {
  const TopicId topic = log_->topic("multi", {.partitions = 2}).value();
  Client consumer(port());
  WireWriter w = testing::header(1, 11, 9);
  w.int32(-1);
  w.int32(10'000);  // max_wait_ms
  w.int32(1);       // min_bytes
  w.int32(1 << 20);
  w.int8(0);
  w.int32(0);
  w.int32(-1);
  w.array_count(1);
  w.string("multi");
  w.array_count(2);
  for (std::int32_t partition = 0; partition < 2; ++partition) {
    w.int32(partition);
    w.int32(-1);
    w.int64(0);
    w.int64(-1);
    w.int32(1 << 20);
  }
  w.array_count(0);
  w.string("");
  consumer.send_frame(w.buffer());
  std::this_thread::sleep_for(100ms);  // let the Fetch wait: the test also passes if it has not yet
  auto producer = log_->producer();
  ASSERT_TRUE(producer->append(topic, 1, {}, as_bytes(std::string_view("in-process"))).is_ok());
  ASSERT_TRUE(producer->wait_all().is_ok());
  auto response = consumer.receive(15s);
  ASSERT_TRUE(response);
  WireReader in(*response);
  EXPECT_EQ(in.int32(), 9);
  (void)in.int32();  // throttle
  EXPECT_EQ(in.int16(), 0);
  (void)in.int32();  // session
  ASSERT_EQ(in.int32(), 1);
  EXPECT_EQ(in.string(), "multi");
  ASSERT_EQ(in.int32(), 2);
  std::size_t records_bytes[2] = {};
  for (int p = 0; p < 2; ++p) {
    EXPECT_EQ(in.int32(), p);
    EXPECT_EQ(in.int16(), 0);
    (void)in.int64();  // high watermark
    (void)in.int64();  // last stable
    (void)in.int64();  // log start
    (void)in.int32();  // aborted: null
    (void)in.int32();  // preferred read replica
    records_bytes[p] = in.bytes().size();
  }
  EXPECT_TRUE(in.ok());
  EXPECT_EQ(records_bytes[0], 0u);
  EXPECT_GT(records_bytes[1], 61u);  // the batch the embedding process appended
}

// ---- topic configs: CreateTopics with configs and assignments, DescribeConfigs 0-3, AlterConfigs,
// IncrementalAlterConfigs (librdkafka 2.0.2 has no IncrementalAlterConfigs, so it is checked here) ----

namespace configs {

using testing::ConfigOperation;

// (error, message) of CreateTopics v4's one topic.
std::pair<std::int16_t, std::string> read_create(const std::vector<std::byte>& frame) {
  WireReader in(frame);
  (void)in.int32();  // correlation id
  (void)in.int32();  // throttle
  EXPECT_EQ(in.int32(), 1);
  (void)in.string();
  const std::int16_t error = in.int16();
  const auto message = in.nullable_string();
  return {error, std::string(message.value_or(""))};
}

struct Described {
  std::string value;
  bool read_only = false;
  std::int8_t source = -1;  // v0: 1 when is_default, else 0
  std::int8_t type = -1;
  std::string documentation;
};

// error, and the configs by name, of a DescribeConfigs response of one resource.
std::pair<std::int16_t, std::map<std::string, Described>> read_describe(const std::vector<std::byte>& frame,
                                                                       std::int16_t version) {
  WireReader in(frame);
  (void)in.int32();
  EXPECT_EQ(in.int32(), 0);  // throttle
  EXPECT_EQ(in.int32(), 1);
  const std::int16_t error = in.int16();
  (void)in.nullable_string();
  (void)in.int8();
  (void)in.string();
  std::map<std::string, Described> out;
  const std::int32_t count = in.int32();
  for (std::int32_t i = 0; i < count && in.ok(); ++i) {
    const std::string name(in.string());
    Described d;
    d.value = std::string(in.nullable_string().value_or("(null)"));
    d.read_only = in.boolean();
    d.source = version == 0 ? static_cast<std::int8_t>(in.boolean()) : in.int8();
    EXPECT_FALSE(in.boolean());  // is_sensitive
    if (version >= 1) {
      EXPECT_EQ(in.int32(), 0);  // synonyms
    }
    if (version >= 3) {
      d.type = in.int8();
      d.documentation = std::string(in.nullable_string().value_or(""));
    }
    out[name] = d;
  }
  EXPECT_TRUE(in.ok());
  EXPECT_EQ(in.remaining(), 0u);
  return {error, out};
}

std::pair<std::int16_t, std::string> read_alter(const std::vector<std::byte>& frame) {
  WireReader in(frame);
  (void)in.int32();
  EXPECT_EQ(in.int32(), 0);
  EXPECT_EQ(in.int32(), 1);
  const std::int16_t error = in.int16();
  const auto message = in.nullable_string();
  EXPECT_EQ(in.int8(), 2);
  (void)in.string();
  EXPECT_EQ(in.remaining(), 0u);
  return {error, std::string(message.value_or(""))};
}

}  // namespace configs

TEST_F(KafkaServer, CreateTopicsStoresConfigsAndAcceptsAssignmentsToThisNode) {
  Client client(port());
  client.send_frame(testing::create_topics_request("c1", -1, {{0}, {0}}, {{"retention.ms", "60000"}, {"segment.ms", std::nullopt}}));
  auto created = configs::read_create(*client.receive());
  EXPECT_EQ(created.first, 0) << created.second;
  const TopicInfo info = log_->topic_info(log_->find_topic("c1").value());
  EXPECT_EQ(info.partitions, 2u) << "the partition count of the assignments";
  EXPECT_EQ(info.configs, (TopicConfigs{{"retention.ms", "60000"}}));

  client.send_frame(testing::create_topics_request("c2", 1, {{1}}, {}));
  EXPECT_EQ(configs::read_create(*client.receive()).first, 39);  // INVALID_REPLICA_ASSIGNMENT
  for (const auto& [key, value, text] : std::vector<std::tuple<std::string, std::string, std::string>>{
           {"retention.hours", "1", "unknown topic config retention.hours"},
           {"segment.bytes", "10", "config segment.bytes"},
           {"cleanup.policy", "shred", "expected delete, compact or compact,delete"}}) {
    client.send_frame(testing::create_topics_request("c3", 1, {}, {{key, value}}));
    auto refused = configs::read_create(*client.receive());
    EXPECT_EQ(refused.first, 40) << key;  // INVALID_CONFIG
    EXPECT_NE(refused.second.find(text), std::string::npos) << refused.second;
  }
  EXPECT_FALSE(log_->find_topic("c2"));
  EXPECT_FALSE(log_->find_topic("c3"));
}

TEST_F(KafkaServer, DescribeConfigsEveryVersionMarksDefaultsAndSources) {
  Client client(port());
  client.send_frame(testing::create_topics_request("d", 1, {}, {{"retention.ms", "60000"}}));
  ASSERT_EQ(configs::read_create(*client.receive()).first, 0);
  for (std::int16_t version = 0; version <= 3; ++version) {
    client.send_frame(testing::describe_configs_request(version, 2, "d", {"retention.ms", "cleanup.policy"}));
    auto [error, described] = configs::read_describe(*client.receive(), version);
    EXPECT_EQ(error, 0);
    ASSERT_EQ(described.size(), 2u) << "only the keys asked for";
    EXPECT_EQ(described["retention.ms"].value, "60000");
    EXPECT_EQ(described["cleanup.policy"].value, "delete");
    EXPECT_FALSE(described["retention.ms"].read_only);
    if (version == 0) {
      EXPECT_EQ(described["retention.ms"].source, 0) << "is_default false";
      EXPECT_EQ(described["cleanup.policy"].source, 1) << "is_default true";
    } else {
      EXPECT_EQ(described["retention.ms"].source, 1);    // TOPIC_CONFIG
      EXPECT_EQ(described["cleanup.policy"].source, 5);  // DEFAULT_CONFIG
    }
    if (version >= 3) {
      EXPECT_EQ(described["retention.ms"].type, 5);    // LONG
      EXPECT_EQ(described["cleanup.policy"].type, 7);  // LIST
      EXPECT_FALSE(described["retention.ms"].documentation.empty());
    }
  }
  client.send_frame(testing::describe_configs_request(1, 2, "d", {}));
  EXPECT_EQ(configs::read_describe(*client.receive(), 1).second.size(), topic_config_definitions().size())
      << "an empty key list is every config";
  client.send_frame(testing::describe_configs_request(1, 4, "0", {}));
  auto broker = configs::read_describe(*client.receive(), 1);
  EXPECT_EQ(broker.first, 0);
  EXPECT_EQ(broker.second["log.retention.ms"].value, "-1");
  EXPECT_TRUE(broker.second["log.retention.ms"].read_only);
  client.send_frame(testing::describe_configs_request(1, 2, "never-was", {}));
  EXPECT_EQ(configs::read_describe(*client.receive(), 1).first, 3);
  client.send_frame(testing::describe_configs_request(1, 99, "x", {}));
  EXPECT_EQ(configs::read_describe(*client.receive(), 1).first, 42);
}

TEST_F(KafkaServer, AlterConfigsReplacesAndIncrementalAlterConfigsEditsKeyByKey) {
  Client client(port());
  client.send_frame(testing::create_topics_request("a", 1, {}, {{"retention.ms", "60000"}, {"segment.ms", "1000"}}));
  ASSERT_EQ(configs::read_create(*client.receive()).first, 0);
  const TopicId id = log_->find_topic("a").value();

  client.send_frame(testing::alter_configs_request(true, "a", {{"retention.bytes", 0, "1048576"}, {"segment.ms", 1, std::nullopt}}));
  EXPECT_EQ(configs::read_alter(*client.receive()).first, 0);
  EXPECT_EQ(log_->topic_info(id).configs, (TopicConfigs{{"retention.bytes", "1048576"}, {"retention.ms", "60000"}}));

  client.send_frame(testing::alter_configs_request(true, "a", {{"retention.ms", 0, "1"}}, /*validate_only=*/true));
  EXPECT_EQ(configs::read_alter(*client.receive()).first, 0);
  EXPECT_EQ(log_->topic_info(id).configs.at("retention.ms"), "60000") << "validate_only changed the topic";

  client.send_frame(testing::alter_configs_request(true, "a", {{"cleanup.policy", 2, "compact"}}));
  EXPECT_EQ(configs::read_alter(*client.receive()).first, 40);
  client.send_frame(testing::alter_configs_request(true, "a", {{"max.message.bytes", 0, "big"}}));
  auto bad = configs::read_alter(*client.receive());
  EXPECT_EQ(bad.first, 40);
  EXPECT_NE(bad.second.find("max.message.bytes"), std::string::npos) << bad.second;

  client.send_frame(testing::alter_configs_request(false, "a", {{"segment.bytes", 0, "2097152"}}));
  EXPECT_EQ(configs::read_alter(*client.receive()).first, 0);
  EXPECT_EQ(log_->topic_info(id).configs, (TopicConfigs{{"segment.bytes", "2097152"}})) << "AlterConfigs replaces";
  client.send_frame(testing::alter_configs_request(false, "never-was", {{"segment.bytes", 0, "2097152"}}));
  EXPECT_EQ(configs::read_alter(*client.receive()).first, 3);
}

}  // namespace
}  // namespace strata::kafka
