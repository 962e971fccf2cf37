// The request decoder and the response encoders: every advertised version of the main APIs decodes what
// Kafka's schemas lay out, the ApiVersions v3 probe and bad input are classified as the server needs.
#include "kafka/codec.h"

#include <gtest/gtest.h>

#include <deque>

#include "tests/kafka/request_builder.h"

namespace strata::kafka {
namespace {

using testing::header;

std::vector<std::byte> bytes_of(std::initializer_list<int> values) {
  std::vector<std::byte> out;
  for (int value : values) out.push_back(static_cast<std::byte>(value));
  return out;
}

// A decoded Request holds views into its frame: keep every frame a test decodes alive for the whole test
// binary (callers pass temporaries; ASan caught the views outliving them).
DecodeResult decode_bytes(const std::vector<std::byte>& frame, Request* request) {
  static std::deque<std::vector<std::byte>> frames;
  frames.push_back(frame);
  std::string why;
  return decode_request(frames.back(), request, &why);
}

TEST(KafkaWire, ReaderRefusesLengthsPastTheFrame) {
  WireWriter w;
  w.int16(50);  // a string of 50 bytes, 3 present
  w.raw(as_bytes("abc"));
  WireReader in(w.buffer());
  EXPECT_TRUE(in.string().empty());
  EXPECT_FALSE(in.ok());
}

TEST(KafkaWire, ArrayCountIsBoundedByTheBytesLeft) {
  WireWriter w;
  w.int32(1'000'000);  // a million elements of at least 4 bytes, in 8 bytes
  w.int64(0);
  WireReader in(w.buffer());
  EXPECT_EQ(in.array_count(4), 0u);
  EXPECT_FALSE(in.ok());
}

TEST(KafkaWire, NullArrayIsReportedWhenAsked) {
  WireWriter w;
  w.null_array();
  WireReader in(w.buffer());
  bool null = false;
  EXPECT_EQ(in.array_count(4, &null), 0u);
  EXPECT_TRUE(null);
  EXPECT_TRUE(in.ok());
}

TEST(KafkaDecoder, ApiVersionsV4ProbeIsAnsweredInTheV0Layout) {
  WireWriter w = header(18, 4);
  w.raw(as_bytes("\x00\x05rdkaf"));  // flexible fields the server does not read
  Request request;
  EXPECT_EQ(decode_bytes(w.buffer(), &request), DecodeResult::kApiVersionsTooNew);
  EXPECT_EQ(request.header.correlation_id, 7);

  ResponseFrame out;
  encode_api_versions_fallback(out);
  // error 35, one entry [18, 0, 3], no throttle field.
  const std::vector<std::byte>& body = out.body.buffer();
  ASSERT_EQ(body.size(), 2u + 4u + 6u);
  WireReader in(body);
  EXPECT_EQ(in.int16(), 35);
  EXPECT_EQ(in.int32(), 1);
  EXPECT_EQ(in.int16(), 18);
  EXPECT_EQ(in.int16(), 0);
  EXPECT_EQ(in.int16(), 3);
}

TEST(KafkaDecoder, ApiVersionsListsEveryRangeTheIssueNames) {
  const std::vector<std::tuple<int, int, int>> expected = {
      {18, 0, 3}, {3, 0, 12}, {0, 0, 9}, {1, 4, 13}, {2, 1, 6},  {22, 0, 4}, {10, 0, 4},
      {11, 0, 9}, {14, 0, 5}, {12, 0, 4}, {13, 0, 5}, {8, 1, 8},  {9, 1, 7},  {19, 0, 7},
      {20, 0, 6}, {16, 0, 4}, {15, 0, 5}, {32, 0, 4}, {33, 0, 2}, {44, 0, 1}};
  for (const auto& [key, min, max] : expected) {
    auto range = supported_range(static_cast<std::int16_t>(key));
    ASSERT_TRUE(range) << key;
    EXPECT_EQ(range->min_version, min) << key;
    EXPECT_EQ(range->max_version, max) << key;
  }
}

TEST(KafkaDecoder, DeleteTopicsEveryVersion) {
  for (std::int16_t v = 0; v <= 3; ++v) {
    WireWriter w = header(20, v);
    w.array_count(2);
    w.string("a");
    w.string("orders");
    w.int32(1000);
    Request request;
    ASSERT_EQ(decode_bytes(w.buffer(), &request), DecodeResult::kOk) << v;
    const auto& body = std::get<DeleteTopicsRequest>(request.body);
    ASSERT_EQ(body.names.size(), 2u);
    EXPECT_EQ(body.names[1], "orders");
    EXPECT_EQ(body.timeout_ms, 1000);
  }
  // v4-5 (flexible): compact names; v6: [name (nullable), topic_id] each with tagged fields.
  const std::vector<std::byte> v4 = bytes_of({0x00, 0x14, 0x00, 0x04, 0x00, 0x00, 0x00, 0x07, 0xff, 0xff, 0x00,
                                              0x03, 0x02, 'a', 0x07, 'o', 'r', 'd', 'e', 'r', 's',
                                              0x00, 0x00, 0x03, 0xe8, 0x00});
  Request request;
  ASSERT_EQ(decode_bytes(v4, &request), DecodeResult::kOk);
  EXPECT_EQ(std::get<DeleteTopicsRequest>(request.body).names.at(1), "orders");
  std::vector<std::byte> v6 = bytes_of({0x00, 0x14, 0x00, 0x06, 0x00, 0x00, 0x00, 0x07, 0xff, 0xff, 0x00, 0x03,
                                        0x00});  // [null name
  v6.resize(v6.size() + 16);                       //  zero topic id
  for (int b : std::initializer_list<int>{0x00, 0x07, 'o', 'r', 'd', 'e', 'r', 's'}) v6.push_back(std::byte(b));
  v6.resize(v6.size() + 16);
  for (int b : {0x00, 0x00, 0x00, 0x03, 0xe8, 0x00}) v6.push_back(std::byte(b));
  ASSERT_EQ(decode_bytes(v6, &request), DecodeResult::kOk);
  const auto& names = std::get<DeleteTopicsRequest>(request.body).names;
  ASSERT_EQ(names.size(), 2u);
  EXPECT_FALSE(names[0]) << "named by id alone";
  EXPECT_EQ(names[1], "orders");
  EXPECT_EQ(std::get<DeleteTopicsRequest>(request.body).timeout_ms, 1000);
}

TEST(KafkaDecoder, UnknownKeyAndVersionOutsideTheRangeAreRefused) {
  Request request;
  EXPECT_EQ(decode_bytes(header(57, 0).buffer(), &request), DecodeResult::kUnknownApi);
  EXPECT_EQ(decode_bytes(header(3, 13).buffer(), &request), DecodeResult::kUnsupportedVersion);
  EXPECT_EQ(decode_bytes(header(0, 10).buffer(), &request), DecodeResult::kUnsupportedVersion);
  EXPECT_EQ(decode_bytes(header(1, 14).buffer(), &request), DecodeResult::kUnsupportedVersion)
      << "Fetch 14+ is not served";
}

TEST(KafkaDecoder, MetadataEveryVersion) {
  for (std::int16_t v = 0; v <= 8; ++v) {
    Request request;
    ASSERT_EQ(decode_bytes(testing::metadata_request(v, {"a", "orders"}), &request), DecodeResult::kOk) << v;
    const auto& body = std::get<MetadataRequest>(request.body);
    ASSERT_EQ(body.topics.size(), 2u);
    EXPECT_EQ(body.topics[1], "orders");
    EXPECT_FALSE(body.all_topics);
  }
  WireWriter w = header(3, 1);
  w.null_array();
  Request request;
  ASSERT_EQ(decode_bytes(w.buffer(), &request), DecodeResult::kOk);
  EXPECT_TRUE(std::get<MetadataRequest>(request.body).all_topics);
  // v0 asks for every topic with an empty list; its list is not nullable.
  ASSERT_EQ(decode_bytes(testing::metadata_request(0, {}), &request), DecodeResult::kOk);
  EXPECT_TRUE(std::get<MetadataRequest>(request.body).all_topics);
  ASSERT_EQ(decode_bytes(testing::metadata_request(1, {}), &request), DecodeResult::kOk);
  EXPECT_FALSE(std::get<MetadataRequest>(request.body).all_topics) << "v1+: an empty list asks for none";
  WireWriter null_v0 = header(3, 0);
  null_v0.null_array();
  EXPECT_EQ(decode_bytes(null_v0.buffer(), &request), DecodeResult::kMalformed);
}

TEST(KafkaDecoder, ProduceEveryVersionKeepsTheBatchBytes) {
  const std::vector<std::byte> batch(70, std::byte{0x5a});
  for (std::int16_t v = 0; v <= 7; ++v) {  // v0-2 decode (no transactional_id); the handler refuses them
    Request request;
    ASSERT_EQ(decode_bytes(testing::produce_request(v, "orders", batch), &request), DecodeResult::kOk) << v;
    const auto& body = std::get<ProduceRequest>(request.body);
    EXPECT_EQ(body.acks, -1);
    ASSERT_EQ(body.topics.size(), 1u);
    ASSERT_TRUE(body.topics[0].partitions[0].records);
    EXPECT_EQ(body.topics[0].partitions[0].records->size(), 70u);
  }
}

TEST(KafkaDecoder, FetchEveryVersion) {
  for (std::int16_t v = 4; v <= 11; ++v) {
    Request request;
    ASSERT_EQ(decode_bytes(testing::fetch_request(v, "orders", 12345), &request), DecodeResult::kOk) << v;
    const auto& body = std::get<FetchRequest>(request.body);
    EXPECT_EQ(body.max_wait_ms, 500);
    ASSERT_EQ(body.topics[0].partitions.size(), 2u);
    EXPECT_EQ(body.topics[0].partitions[1].fetch_offset, 12345);
    EXPECT_EQ(body.topics[0].partitions[1].partition_max_bytes, 1 << 16);
  }
}

TEST(KafkaDecoder, JoinGroupEveryVersion) {
  for (std::int16_t v = 0; v <= 5; ++v) {
    Request request;
    ASSERT_EQ(decode_bytes(testing::join_group_request(v, "g"), &request), DecodeResult::kOk) << v;
    const auto& body = std::get<JoinGroupRequest>(request.body);
    EXPECT_EQ(body.rebalance_timeout_ms, v >= 1 ? 30000 : 10000);
    ASSERT_EQ(body.protocols.size(), 2u);
    EXPECT_EQ(as_text(body.protocols[1].metadata), "rr");
  }
}

TEST(KafkaDecoder, OffsetCommitAndFetchEveryVersion) {
  for (std::int16_t v = 1; v <= 7; ++v) {
    Request request;
    ASSERT_EQ(decode_bytes(testing::offset_commit_request(v, "g"), &request), DecodeResult::kOk) << v;
    const auto& body = std::get<OffsetCommitRequest>(request.body);
    EXPECT_EQ(body.generation_id, 3);
    EXPECT_EQ(body.topics[0].partitions[0].offset, 42);
    EXPECT_EQ(body.topics[0].partitions[0].metadata, "meta");
  }
  for (std::int16_t v = 1; v <= 5; ++v) {
    Request request;
    ASSERT_EQ(decode_bytes(testing::offset_fetch_request(v, "g", false), &request), DecodeResult::kOk) << v;
    EXPECT_EQ(std::get<OffsetFetchRequest>(request.body).topics[0].partitions.size(), 2u);
    if (v >= 2) {
      ASSERT_EQ(decode_bytes(testing::offset_fetch_request(v, "g", true), &request), DecodeResult::kOk) << v;
      EXPECT_TRUE(std::get<OffsetFetchRequest>(request.body).all_topics);
    }
  }
}

TEST(KafkaDecoder, ListOffsetsEveryVersion) {
  for (std::int16_t v = 1; v <= 5; ++v) {
    Request request;
    ASSERT_EQ(decode_bytes(testing::list_offsets_request(v, -2), &request), DecodeResult::kOk) << v;
    EXPECT_EQ(std::get<ListOffsetsRequest>(request.body).topics[0].partitions[0].timestamp, -2);
  }
}

TEST(KafkaDecoder, TrailingBytesAndTruncationAreMalformed) {
  auto frame = testing::metadata_request(4, {"orders"});
  frame.push_back(std::byte{0});
  Request request;
  EXPECT_EQ(decode_bytes(frame, &request), DecodeResult::kMalformed);
  ASSERT_GT(frame.size(), 3u);
  frame.erase(frame.end() - 3, frame.end());  // (resize() here trips GCC 12's stringop-overflow under ASan)
  EXPECT_EQ(decode_bytes(frame, &request), DecodeResult::kMalformed);
}

TEST(KafkaEncoder, FetchResponseSplicesBatchesAfterTheirLength) {
  FetchResponse response;
  auto& partition = response.topics.emplace_back(FetchResponse::Topic{"t", {}, {}}).partitions.emplace_back();
  partition.high_watermark = 10;
  const std::vector<std::byte> stored(100, std::byte{1});
  partition.batches.push_back(BatchView{0, 5, stored, -1, 0, nullptr});
  partition.batches.push_back(BatchView{5, 10, stored, -1, 0, nullptr});
  ResponseFrame out;
  encode(response, 11, out);
  ASSERT_EQ(out.splices.size(), 2u);
  EXPECT_EQ(out.splices[0].at, out.body.size());  // the records are the body's last field
  EXPECT_EQ(out.size(), out.body.size() + 200);
  WireReader in(out.body.buffer());
  in.skip(out.body.size() - 4);
  EXPECT_EQ(in.int32(), 200);  // the records' length counts both batches
}

}  // namespace
}  // namespace strata::kafka
