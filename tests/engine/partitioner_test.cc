#include "engine/partitioner.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <initializer_list>
#include <string_view>
#include <vector>

namespace strata::format {
namespace {

std::span<const std::byte> bytes_of(std::string_view text) {
  return std::as_bytes(std::span(text));
}

std::vector<std::byte> bytes_of(std::initializer_list<int> values) {
  std::vector<std::byte> bytes;
  for (int value : values) bytes.push_back(static_cast<std::byte>(value));
  return bytes;
}

TEST(Partitioner, Murmur2MatchesKafkasUnitTest) {
  // apache/kafka clients/src/test/java/org/apache/kafka/common/utils/UtilsTest.java, testMurmur2
  // (read at commit 1eb7644349cb07139d6a3c1ad1986979647cac99).
  EXPECT_EQ(murmur2(bytes_of("21")), -973932308);
  EXPECT_EQ(murmur2(bytes_of("foobar")), -790332482);
  EXPECT_EQ(murmur2(bytes_of("a-little-bit-long-string")), -985981536);
  EXPECT_EQ(murmur2(bytes_of("a-little-bit-longer-string")), -1486304829);
  EXPECT_EQ(murmur2(bytes_of("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8")), -58897971);
  EXPECT_EQ(murmur2(bytes_of("abc")), 479470107);
}

TEST(Partitioner, Murmur2MatchesLibrdkafkasJavaVectors) {
  // confluentinc/librdkafka src/rdmurmur2.c, unittest_murmur2: "java_murmur2_results", the Java client's
  // values, covering every tail length (read at commit 4c3b017c3de8d9c10de12b9eec0ea688e8d5787d).
  const std::string_view unaligned = "PreAmbleWillBeRemoved,ThePrePartThatIs";
  EXPECT_EQ(static_cast<std::uint32_t>(murmur2(bytes_of("kafka"))), 0xd067cf64u);
  EXPECT_EQ(static_cast<std::uint32_t>(murmur2(bytes_of("giberish123456789"))), 0x8f552b0cu);
  EXPECT_EQ(static_cast<std::uint32_t>(murmur2(bytes_of("1234"))), 0x9fc97b14u);
  EXPECT_EQ(static_cast<std::uint32_t>(murmur2(bytes_of("234"))), 0xe7c009cau);
  EXPECT_EQ(static_cast<std::uint32_t>(murmur2(bytes_of("34"))), 0x873930dau);
  EXPECT_EQ(static_cast<std::uint32_t>(murmur2(bytes_of("4"))), 0x5a4b5ca1u);
  EXPECT_EQ(static_cast<std::uint32_t>(murmur2(bytes_of(unaligned))), 0x78424f1cu);
  EXPECT_EQ(static_cast<std::uint32_t>(murmur2(bytes_of(unaligned.substr(1)))), 0x4a62b377u);
  EXPECT_EQ(static_cast<std::uint32_t>(murmur2(bytes_of(unaligned.substr(2)))), 0xe0e4e09eu);
  EXPECT_EQ(static_cast<std::uint32_t>(murmur2(bytes_of(unaligned.substr(3)))), 0x62b8b43fu);
  EXPECT_EQ(static_cast<std::uint32_t>(murmur2({})), 0x106e08d9u);
}

TEST(Partitioner, Murmur2ReadsHighBytesAsUnsigned) {
  // Neither suite above has a byte >= 0x80. These values come from running Kafka's Utils.murmur2, copied
  // verbatim into a Java class, and run under OpenJDK.
  EXPECT_EQ(murmur2(bytes_of({0x80})), 857690492);
  EXPECT_EQ(murmur2(bytes_of({0xff, 0xfe})), 1717632651);
  EXPECT_EQ(murmur2(bytes_of({0x80, 0x81, 0x82})), -1975640061);
  EXPECT_EQ(murmur2(bytes_of({0xff, 0xff, 0xff, 0xff})), 644171429);
  EXPECT_EQ(murmur2(bytes_of({0xc3, 0xa9, 0x74, 0xe9, 0xfe, 0x00, 0x9c})), -271023943);
}

TEST(Partitioner, PartitionClearsTheSignBitThenTakesTheRemainder) {
  // Same Java run: (murmur2(key) & 0x7fffffff) % partitions.
  EXPECT_EQ(partition_for_key(bytes_of("21"), 3), 0u);       // hash -973932308, negative
  EXPECT_EQ(partition_for_key(bytes_of("foobar"), 10), 6u);  // hash -790332482, negative
  EXPECT_EQ(partition_for_key(bytes_of({0x80, 0x81, 0x82}), 7), 6u);
  EXPECT_EQ(partition_for_key(bytes_of({0x80}), 7), 1u);
  // toPositive is a mask, not abs(): abs(-973932308) % 3 == 2.
  EXPECT_NE(partition_for_key(bytes_of("21"), 3), 973932308u % 3);
}

TEST(Partitioner, OnePartitionTakesEveryKey) {
  EXPECT_EQ(partition_for_key(bytes_of("anything"), 1), 0u);
  EXPECT_EQ(partition_for_key({}, 1), 0u);
}

}  // namespace
}  // namespace strata::format
