// Flexible versions (KIP-482) against frames built by hand from Kafka's message schemas, byte by byte: request
// header v2 (client_id keeps its int16 length, then tagged fields), compact strings and arrays (unsigned
// varint of length + 1), tagged fields closing every structure, response header v1 (a tagged-fields byte
// after the correlation id, which the connection writes, so it is the body's first byte here).
#include <gtest/gtest.h>

#include <deque>

#include "kafka/codec.h"

namespace strata::kafka {
namespace {

std::vector<std::byte> bytes_of(std::initializer_list<int> values) {
  std::vector<std::byte> out;
  for (int value : values) out.push_back(static_cast<std::byte>(value));
  return out;
}

void append(std::vector<std::byte>& out, std::initializer_list<int> values) {
  for (int value : values) out.push_back(static_cast<std::byte>(value));
}

void append_zeros(std::vector<std::byte>& out, std::size_t n) {
  out.resize(out.size() + n);
}

// Header v2 of (key, version), correlation id 7, client id "c".
std::vector<std::byte> header_v2(int key, int version) {
  return bytes_of({0, key, 0, version, 0, 0, 0, 7, 0, 1, 'c', 0});
}

DecodeResult decode_frame(const std::vector<std::byte>& frame, Request* request) {
  static std::deque<std::vector<std::byte>> frames;  // requests hold views into their frames
  frames.push_back(frame);
  std::string why;
  const DecodeResult result = decode_request(frames.back(), request, &why);
  EXPECT_EQ(result, DecodeResult::kOk) << why;
  return result;
}

TEST(KafkaFlexible, UnsignedVarintsRoundTripAndRefuseOverlongInput) {
  for (std::uint32_t value : {0u, 1u, 127u, 128u, 300u, 16383u, 16384u, 0xffffffffu}) {
    WireWriter w;
    w.uvarint(value);
    WireReader in(w.buffer());
    EXPECT_EQ(in.uvarint(), value);
    EXPECT_TRUE(in.ok());
    EXPECT_EQ(in.remaining(), 0u);
  }
  WireWriter w;
  w.uvarint(300);
  EXPECT_EQ(w.buffer(), bytes_of({0xac, 0x02}));
  const auto overlong = bytes_of({0xff, 0xff, 0xff, 0xff, 0x1f});
  WireReader in(overlong);
  (void)in.uvarint();
  EXPECT_FALSE(in.ok());
}

TEST(KafkaFlexible, CompactStringsArraysAndTaggedFieldsAreReadAndBounded) {
  // "ab", null, [1 element], null array, one tagged field of 2 bytes (tag 5) skipped.
  const auto data = bytes_of({0x03, 'a', 'b', 0x00, 0x02, 0x00, 0x01, 0x05, 0x02, 0xaa, 0xbb});
  WireReader in(data);
  in.set_flexible(true);
  EXPECT_EQ(in.string(), "ab");
  EXPECT_FALSE(in.nullable_string());
  EXPECT_EQ(in.array_count(1), 1u);
  bool null = false;
  EXPECT_EQ(in.array_count(1, &null), 0u);
  EXPECT_TRUE(null);
  in.tagged_fields();
  EXPECT_TRUE(in.ok());
  EXPECT_EQ(in.remaining(), 0u);

  const auto long_string = bytes_of({0x10, 'a'});  // 15 bytes announced, 1 present
  WireReader bad(long_string);
  bad.set_flexible(true);
  (void)bad.string();
  EXPECT_FALSE(bad.ok());
  const auto long_tag = bytes_of({0x01, 0x00, 0x09, 0x00});  // a tagged field of 9 bytes, 1 present
  WireReader bad_tag(long_tag);
  bad_tag.set_flexible(true);
  bad_tag.tagged_fields();
  EXPECT_FALSE(bad_tag.ok());
}

TEST(KafkaFlexible, MetadataV12RequestAndResponse) {
  std::vector<std::byte> frame = header_v2(3, 12);
  append(frame, {0x03});  // topics: 2
  append_zeros(frame, 16);
  append(frame, {0x07, 'o', 'r', 'd', 'e', 'r', 's', 0x00});  // name, tags
  append_zeros(frame, 16);
  append(frame, {0x00, 0x00});              // null name (by id), tags
  append(frame, {0x00, 0x01, 0x00});        // allow_auto_topic_creation false, include_topic_ops true, tags
  Request request;
  ASSERT_EQ(decode_frame(frame, &request), DecodeResult::kOk);
  EXPECT_EQ(request.header.client_id, "c");
  const auto& body = std::get<MetadataRequest>(request.body);
  ASSERT_EQ(body.topics.size(), 2u);
  EXPECT_EQ(body.topics[0], "orders");
  EXPECT_FALSE(body.topics[1]);
  EXPECT_FALSE(body.allow_auto_topic_creation);

  MetadataResponse response;
  response.brokers.push_back({1, "h", 9092});
  response.cluster_id = "k";
  response.controller_id = 1;
  response.topics.push_back({ErrorCode::kNone, "t", {{ErrorCode::kNone, 0, 1}}, {}});
  ResponseFrame out;
  encode(response, 12, out);
  std::vector<std::byte> expected = bytes_of({0x00,                                    // response header tags
                                              0, 0, 0, 0,                              // throttle
                                              0x02, 0, 0, 0, 1, 0x02, 'h', 0, 0, 0x23, 0x84, 0x00, 0x00,
                                              0x02, 'k',                               // cluster_id
                                              0, 0, 0, 1,                              // controller
                                              0x02, 0, 0, 0x02, 't'});
  append_zeros(expected, 16);  // topic_id
  append(expected, {0x00,      // is_internal
                    0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff,  // error, index, leader, epoch
                    0x02, 0, 0, 0, 1, 0x02, 0, 0, 0, 1, 0x01, 0x00,             // replicas, isr, offline, tags
                    0x80, 0, 0, 0, 0x00,                                        // topic ops, tags
                    0x00});                                                     // tags
  EXPECT_EQ(out.body.buffer(), expected);
}

TEST(KafkaFlexible, ProduceV9RequestAndResponse) {
  std::vector<std::byte> frame = header_v2(0, 9);
  append(frame, {0x00, 0xff, 0xff, 0, 0, 0x27, 0x10,  // null transactional id, acks -1, timeout 10000
                 0x02, 0x02, 't', 0x02, 0, 0, 0, 3,   // [t [partition 3
                 0x04, 0xaa, 0xbb, 0xcc,              //   records: 3 bytes
                 0x00, 0x00, 0x00});                  //   tags] tags] tags
  Request request;
  ASSERT_EQ(decode_frame(frame, &request), DecodeResult::kOk);
  const auto& body = std::get<ProduceRequest>(request.body);
  EXPECT_EQ(body.acks, -1);
  EXPECT_EQ(body.timeout_ms, 10000);
  ASSERT_EQ(body.topics.at(0).partitions.at(0).index, 3);
  EXPECT_EQ(body.topics[0].partitions[0].records->size(), 3u);

  ProduceResponse response;
  response.topics.push_back({"t", {{3, ErrorCode::kNone, 42, 0}}});
  ResponseFrame out;
  encode(response, 9, out);
  EXPECT_EQ(out.body.buffer(), bytes_of({0x00, 0x02, 0x02, 't', 0x02, 0, 0, 0, 3, 0, 0,  // tags [t [3, none
                                         0, 0, 0, 0, 0, 0, 0, 42,                            // base offset
                                         0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,     // log append time
                                         0, 0, 0, 0, 0, 0, 0, 0,                             // log start
                                         0x01, 0x00, 0x00,  // record_errors [], error_message null, tags]
                                         0x00, 0, 0, 0, 0, 0x00}));  // tags], throttle, tags
}

TEST(KafkaFlexible, FetchV12RequestAndResponseWithSplicedRecords) {
  std::vector<std::byte> frame = header_v2(1, 12);
  append(frame, {0xff, 0xff, 0xff, 0xff, 0, 0, 0x01, 0xf4, 0, 0, 0, 1, 0, 0x10, 0, 0,  // replica, wait, min, max
                 0x00, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff,                              // isolation, session
                 0x02, 0x02, 't', 0x02, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff,             // [t [1, leader epoch
                 0, 0, 0, 0, 0, 0, 0, 5, 0xff, 0xff, 0xff, 0xff,                        // offset 5, last epoch
                 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 1, 0, 0,            // log start, max bytes
                 0x00, 0x00,                                                            // tags] tags]
                 0x01, 0x01,                                                            // forgotten [], rack ""
                 0x01, 0x00, 0x02, 'k', 0x00});  // tags: cluster_id (tag 0) "k" in 2 bytes
  Request request;
  ASSERT_EQ(decode_frame(frame, &request), DecodeResult::kOk);
  const auto& body = std::get<FetchRequest>(request.body);
  EXPECT_EQ(body.max_wait_ms, 500);
  ASSERT_EQ(body.topics.at(0).partitions.at(0).fetch_offset, 5);
  EXPECT_EQ(body.topics[0].partitions[0].partition_max_bytes, 65536);

  static const std::byte batch[3] = {std::byte{1}, std::byte{2}, std::byte{3}};
  FetchResponse response;
  FetchResponse::Partition partition;
  partition.index = 1;
  partition.high_watermark = 9;
  partition.log_start_offset = 0;
  partition.batches.push_back(BatchView{});
  partition.batches.back().bytes = batch;
  response.topics.push_back({"t", {}, {partition}});
  ResponseFrame out;
  encode(response, 12, out);
  const std::vector<std::byte> expected = bytes_of({0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,  // tags, throttle, error, session
                                                    0x02, 0x02, 't', 0x02, 0, 0, 0, 1, 0, 0,
                                                    0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 9,
                                                    0, 0, 0, 0, 0, 0, 0, 0,  // hw, lso, log start
                                                    0x00,                    // aborted transactions: null
                                                    0xff, 0xff, 0xff, 0xff,  // preferred read replica
                                                    0x04,                    // compact records: 3 bytes
                                                    0x00, 0x00, 0x00});      // tags] tags] tags
  EXPECT_EQ(out.body.buffer(), expected);
  ASSERT_EQ(out.splices.size(), 1u);
  EXPECT_EQ(out.splices[0].at, expected.size() - 3) << "the records go after their length, before the tags";
  EXPECT_EQ(out.size(), expected.size() + 3);
}

TEST(KafkaFlexible, FetchV13NamesTopicsById) {
  std::vector<std::byte> frame = header_v2(1, 13);
  append(frame, {0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0x10, 0, 0, 0x00, 0, 0, 0, 0, 0xff, 0xff, 0xff,
                 0xff, 0x02});
  append(frame, {0, 0, 0, 0, 0, 0, 0, 0x11, 0, 0, 0, 0, 0, 0, 0, 0x22});  // topic id
  append(frame, {0x02, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 5, 0xff, 0xff, 0xff, 0xff,
                 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 1, 0, 0, 0x00, 0x00,  // [partition 0] tags
                 0x02});                                                                   // forgotten: 1
  append_zeros(frame, 16);                                                                 // its topic id
  append(frame, {0x01, 0x00, 0x01, 0x00});  // no partitions, tags; rack ""; tags
  Request request;
  ASSERT_EQ(decode_frame(frame, &request), DecodeResult::kOk);
  const auto& body = std::get<FetchRequest>(request.body);
  ASSERT_EQ(body.topics.size(), 1u);
  EXPECT_EQ(body.topics[0].id, (Uuid{0x11, 0x22}));
  EXPECT_EQ(body.topics[0].partitions.at(0).fetch_offset, 5);

  FetchResponse response;
  response.topics.push_back({"", Uuid{0x11, 0x22}, {}});
  ResponseFrame out;
  encode(response, 13, out);
  std::vector<std::byte> expected = bytes_of({0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02});
  append(expected, {0, 0, 0, 0, 0, 0, 0, 0x11, 0, 0, 0, 0, 0, 0, 0, 0x22, 0x01, 0x00, 0x00});
  EXPECT_EQ(out.body.buffer(), expected);
}

TEST(KafkaFlexible, HeartbeatV4AndJoinGroupV9) {
  std::vector<std::byte> frame = header_v2(12, 4);
  append(frame, {0x02, 'g', 0, 0, 0, 3, 0x02, 'm', 0x00, 0x00});  // group, generation, member, instance, tags
  Request request;
  ASSERT_EQ(decode_frame(frame, &request), DecodeResult::kOk);
  EXPECT_EQ(std::get<HeartbeatRequest>(request.body).generation_id, 3);
  ResponseFrame heartbeat;
  encode(HeartbeatResponse{ErrorCode::kRebalanceInProgress}, 4, heartbeat);
  EXPECT_EQ(heartbeat.body.buffer(), bytes_of({0x00, 0, 0, 0, 0, 0, 27, 0x00}));

  frame = header_v2(11, 9);
  append(frame, {0x02, 'g', 0, 0, 0x27, 0x10, 0, 0, 0x75, 0x30, 0x01, 0x00,  // group, timeouts, member "", instance
                 0x09, 'c', 'o', 'n', 's', 'u', 'm', 'e', 'r',                 // protocol type
                 0x02, 0x06, 'r', 'a', 'n', 'g', 'e', 0x03, 0xaa, 0xbb, 0x00,  // [range, metadata, tags]
                 0x03, 'b', 'y', 0x00});                                       // reason "by", tags
  ASSERT_EQ(decode_frame(frame, &request), DecodeResult::kOk);
  const auto& join = std::get<JoinGroupRequest>(request.body);
  EXPECT_EQ(join.rebalance_timeout_ms, 30000);
  ASSERT_EQ(join.protocols.size(), 1u);
  EXPECT_EQ(join.protocols[0].name, "range");
  EXPECT_EQ(join.protocols[0].metadata.size(), 2u);

  JoinGroupResponse response;
  response.generation_id = 1;
  response.protocol_type = "consumer";
  response.protocol_name = "range";
  response.leader = "m";
  response.member_id = "m";
  response.members.push_back({"m", std::nullopt, {std::byte{7}}});
  ResponseFrame out;
  encode(response, 9, out);
  EXPECT_EQ(out.body.buffer(),
            bytes_of({0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,                // tags, throttle, error, generation
                      0x09, 'c', 'o', 'n', 's', 'u', 'm', 'e', 'r',       // protocol type
                      0x06, 'r', 'a', 'n', 'g', 'e', 0x02, 'm', 0x00,      // protocol, leader, skip_assignment
                      0x02, 'm', 0x02, 0x02, 'm', 0x00, 0x02, 7, 0x00,     // member id, [m, null, metadata, tags]
                      0x00}));
}

TEST(KafkaFlexible, ListGroupsV4FiltersByStateAndOffsetFetchV7ReadsIntArrays) {
  std::vector<std::byte> frame = header_v2(16, 4);
  append(frame, {0x02, 0x07, 'S', 't', 'a', 'b', 'l', 'e', 0x00});
  Request request;
  ASSERT_EQ(decode_frame(frame, &request), DecodeResult::kOk);
  EXPECT_EQ(std::get<ListGroupsRequest>(request.body).states.at(0), "Stable");

  frame = header_v2(9, 7);
  append(frame, {0x02, 'g', 0x02, 0x02, 't', 0x03, 0, 0, 0, 0, 0, 0, 0, 1, 0x00,  // g [t [0, 1] tags]
                 0x01, 0x00});                                                       // require_stable, tags
  ASSERT_EQ(decode_frame(frame, &request), DecodeResult::kOk);
  const auto& fetch = std::get<OffsetFetchRequest>(request.body);
  ASSERT_EQ(fetch.topics.size(), 1u);
  EXPECT_EQ(fetch.topics[0].partitions, (std::vector<std::int32_t>{0, 1}));
}

// CreatePartitions v3 (flexible, CreatePartitionsRequest.json): topics [name, count, assignments (nullable)
// [broker_ids [int32], tags], tags], timeout_ms, validate_only, tags. v0 the same with int16 strings and
// int32 counts (-1: null).
TEST(KafkaFlexible, CreatePartitionsV3AndV0) {
  std::vector<std::byte> frame = header_v2(37, 3);
  append(frame, {0x03,                                   // 2 topics
                 0x02, 't', 0, 0, 0, 4, 0x00, 0x00,       // t, count 4, assignments null, tags
                 0x02, 'u', 0, 0, 0, 2, 0x02, 0x02, 0, 0, 0, 1, 0x00, 0x00,  // u, 2, [[1] tags], tags
                 0, 0, 0x75, 0x30, 0x01, 0x00});         // timeout 30000, validate_only, tags
  Request request;
  ASSERT_EQ(decode_frame(frame, &request), DecodeResult::kOk);
  const auto& grow = std::get<CreatePartitionsRequest>(request.body);
  ASSERT_EQ(grow.topics.size(), 2u);
  EXPECT_EQ(grow.topics[0].name, "t");
  EXPECT_EQ(grow.topics[0].count, 4);
  EXPECT_FALSE(grow.topics[0].assignments.has_value());
  ASSERT_TRUE(grow.topics[1].assignments.has_value());
  EXPECT_EQ(*grow.topics[1].assignments, (std::vector<std::vector<std::int32_t>>{{1}}));
  EXPECT_EQ(grow.timeout_ms, 30000);
  EXPECT_TRUE(grow.validate_only);

  CreatePartitionsResponse response;
  response.topics.push_back({"t", ErrorCode::kInvalidPartitions, "no"});
  ResponseFrame out;
  encode(response, 3, out);
  EXPECT_EQ(out.body.buffer(), bytes_of({0x00, 0, 0, 0, 0,                          // header tags, throttle
                                         0x02, 0x02, 't', 0, 37, 0x03, 'n', 'o', 0x00,  // [t, 37, "no", tags]
                                         0x00}));

  frame = bytes_of({0, 37, 0, 0, 0, 0, 0, 7, 0, 1, 'c'});  // header v1
  append(frame, {0, 0, 0, 1, 0, 1, 't', 0, 0, 0, 3, 0xff, 0xff, 0xff, 0xff,  // [t, 3, null]
                 0, 0, 0x03, 0xe8, 0x00});                                  // timeout 1000, validate_only
  ASSERT_EQ(decode_frame(frame, &request), DecodeResult::kOk);
  const auto& grow0 = std::get<CreatePartitionsRequest>(request.body);
  ASSERT_EQ(grow0.topics.size(), 1u);
  EXPECT_EQ(grow0.topics[0].count, 3);
  EXPECT_FALSE(grow0.topics[0].assignments.has_value());
  EXPECT_FALSE(grow0.validate_only);
  ResponseFrame out0;
  encode(response, 0, out0);
  EXPECT_EQ(out0.body.buffer(), bytes_of({0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 't', 0, 37, 0, 2, 'n', 'o'}));
}

// Every encoder at every advertised version writes the mode the table says: a flexible response (other than
// ApiVersions) starts with the response header's empty tagged fields and ends with the body's.
TEST(KafkaFlexible, EveryResponseAtEveryVersionFollowsTheTable) {
  for (const ApiRange& range : supported_apis()) {
    for (std::int16_t version = range.min_version; version <= range.max_version; ++version) {
      ResponseFrame out;
      Apis::with(range.key, [&]<typename Entry>() { encode(typename Entry::Response{}, version, out); });
      const auto& body = out.body.buffer();
      ASSERT_FALSE(body.empty());
      EXPECT_EQ(out.body.flexible(), range.flexible(version)) << api_name(static_cast<std::int16_t>(range.key));
      if (range.flexible(version)) {
        EXPECT_EQ(body.back(), std::byte{0}) << api_name(static_cast<std::int16_t>(range.key)) << " v" << version;
      }
    }
  }
}

}  // namespace
}  // namespace strata::kafka
