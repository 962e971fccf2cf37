// A bounded run of the Kafka request fuzz body in every build: valid requests of every main API and
// version, mutated by bit flips, overwritten integers (lengths and counts become absurd), truncations and
// splices, plus pure noise with a plausible header.
#include "tests/fuzz/kafka_request_fuzz.h"

#include <gtest/gtest.h>

#include <random>

#include "tests/kafka/request_builder.h"
#include "tests/kafka/security_requests.h"

namespace strata::kafka::fuzz {
namespace {

std::vector<std::vector<std::byte>> seeds() {
  std::vector<std::vector<std::byte>> out;
  const std::vector<std::byte> batch(80, std::byte{3});
  for (std::int16_t v = 0; v <= 8; ++v) out.push_back(testing::metadata_request(v, {"a", "bb"}));
  for (std::int16_t v = 0; v <= 7; ++v) out.push_back(testing::produce_request(v, "orders", batch));
  for (std::int16_t v = 4; v <= 11; ++v) out.push_back(testing::fetch_request(v, "orders", 5));
  for (std::int16_t v = 0; v <= 5; ++v) out.push_back(testing::join_group_request(v, "g"));
  for (std::int16_t v = 1; v <= 7; ++v) out.push_back(testing::offset_commit_request(v, "g"));
  for (std::int16_t v = 1; v <= 5; ++v) out.push_back(testing::offset_fetch_request(v, "g", v >= 2));
  for (std::int16_t v = 1; v <= 5; ++v) out.push_back(testing::list_offsets_request(v, -1));
  out.push_back(testing::create_topics_request("t", -1, {{0}, {0}}, {{"retention.ms", "1"}, {"segment.ms", {}}}));
  for (std::int16_t v = 0; v <= 3; ++v) out.push_back(testing::describe_configs_request(v, 2, "t", {"retention.ms"}));
  for (bool incremental : {false, true}) {
    out.push_back(testing::alter_configs_request(incremental, "t", {{"retention.ms", 0, "1"}, {"segment.ms", 1, {}}}));
  }
  for (auto& frame : testing::flexible_requests(batch)) out.push_back(std::move(frame));
  for (std::int16_t v = 0; v <= 1; ++v) out.push_back(testing::sasl_handshake_request(v, "SCRAM-SHA-512"));
  for (std::int16_t v = 0; v <= 2; ++v) out.push_back(testing::sasl_authenticate_request(v, "n,,n=user,r=abc"));
  for (std::int16_t v = 1; v <= 3; ++v) {
    out.push_back(testing::describe_acls_request(v, "User:bob"));
    out.push_back(testing::create_acls_request(v, "orders", "User:bob"));
    out.push_back(testing::delete_acls_request(v, "orders"));
  }
  return out;
}

void mutate(std::vector<std::byte>& frame, std::mt19937_64& rng) {
  if (frame.empty()) return;
  switch (rng() % 5) {
    case 0:  // bit flips
      for (int i = 0; i < 1 + static_cast<int>(rng() % 4); ++i) {
        frame[rng() % frame.size()] ^= static_cast<std::byte>(1u << (rng() % 8));
      }
      break;
    case 1: {  // an absurd int32 (a length or a count) somewhere after the header
      const std::size_t at = 8 + rng() % (frame.size() > 12 ? frame.size() - 12 : 1);
      const std::uint32_t values[] = {0x7fffffffu, 0xffffffffu, 0x80000000u, 0x00100000u, 0xfffffffeu};
      const std::uint32_t value = values[rng() % 5];
      for (int i = 0; i < 4 && at + static_cast<std::size_t>(i) < frame.size(); ++i) {
        frame[at + static_cast<std::size_t>(i)] = static_cast<std::byte>(value >> (24 - 8 * i));
      }
      break;
    }
    case 2:
      frame.resize(rng() % frame.size());
      break;   // truncation
    case 3: {  // a splice of itself
      const std::size_t from = rng() % frame.size();
      const std::size_t to = rng() % frame.size();
      frame.insert(frame.begin() + static_cast<std::ptrdiff_t>(to),
                   frame.begin() + static_cast<std::ptrdiff_t>(from), frame.end());
      break;
    }
    default:  // an int16 length
      frame[8 + rng() % (frame.size() > 8 ? frame.size() - 8 : 1) % frame.size()] = std::byte{0x7f};
      break;
  }
}

TEST(KafkaRequestFuzz, EveryFlexibleSeedDecodes) {
  const std::vector<std::byte> batch(80, std::byte{3});
  const auto frames = testing::flexible_requests(batch);
  EXPECT_EQ(frames.size(), 17u);  // every API but Heartbeat, DescribeGroups, AlterConfigs; Fetch twice
  for (const auto& frame : frames) {
    Request request;
    std::string why;
    EXPECT_EQ(decode_request(frame, &request, &why), DecodeResult::kOk) << why;
  }
}

TEST(KafkaRequestFuzz, MutatedRequestsNeverCrashOrReadOutside) {
  std::mt19937_64 rng(20261108);
  const auto valid = seeds();
  for (const auto& seed : valid) decode_one(reinterpret_cast<const std::uint8_t*>(seed.data()), seed.size());
  for (int round = 0; round < 30'000; ++round) {
    std::vector<std::byte> frame = valid[rng() % valid.size()];
    for (int m = 0; m < 1 + static_cast<int>(rng() % 3); ++m) mutate(frame, rng);
    decode_one(reinterpret_cast<const std::uint8_t*>(frame.data()), frame.size());
  }
}

TEST(KafkaRequestFuzz, NoiseWithAPlausibleHeader) {
  std::mt19937_64 rng(7);
  const auto apis = supported_apis();
  for (int round = 0; round < 20'000; ++round) {
    const ApiRange api = apis[rng() % apis.size()];
    // Any advertised version, flexible ones included (their header v2 with empty tagged fields).
    const auto version = static_cast<std::int16_t>(
        api.min_version + static_cast<std::int16_t>(rng() % static_cast<std::uint64_t>(api.max_version - api.min_version + 1)));
    WireWriter w = api.flexible(version) ? testing::flexible_header(static_cast<std::int16_t>(api.key), version)
                                         : testing::header(static_cast<std::int16_t>(api.key), version);
    const std::size_t size = rng() % 200;
    for (std::size_t i = 0; i < size; ++i)
      w.int8(static_cast<std::int8_t>(rng() % 4 == 0 ? 0xff : rng() % 8));
    decode_one(reinterpret_cast<const std::uint8_t*>(w.buffer().data()), w.size());
  }
}

}  // namespace
}  // namespace strata::kafka::fuzz
