#include "engine/crc32c.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string_view>
#include <vector>

namespace strata::format {
namespace {

std::span<const std::byte> bytes_of(std::string_view text) {
  return std::as_bytes(std::span(text));
}

TEST(Crc32c, MatchesTheStandardCheckValue) {
  // The "check" value of CRC-32C in every CRC catalogue (and RFC 3720's iSCSI).
  EXPECT_EQ(crc32c(bytes_of("123456789")), 0xE3069283u);
}

TEST(Crc32c, OfNothingIsZero) {
  EXPECT_EQ(crc32c({}), 0u);
  EXPECT_EQ(crc32c_extend(0xE3069283u, {}), 0xE3069283u);
}

TEST(Crc32c, MatchesRfc3720Vectors) {
  // RFC 3720 appendix B.4: 32 bytes of zeros, of 0xFF, and ascending 0..31.
  std::vector<std::byte> zeros(32, std::byte{0});
  std::vector<std::byte> ones(32, std::byte{0xFF});
  std::vector<std::byte> ascending(32);
  for (std::size_t i = 0; i < ascending.size(); ++i) ascending[i] = static_cast<std::byte>(i);
  EXPECT_EQ(crc32c(zeros), 0x8A9136AAu);
  EXPECT_EQ(crc32c(ones), 0x62A8AB43u);
  EXPECT_EQ(crc32c(ascending), 0x46DD794Eu);
}

TEST(Crc32c, ExtendingByTheRestEqualsTheWhole) {
  std::vector<std::byte> data(10000);
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<std::byte>(i * 131 + 7);
  const std::uint32_t whole = crc32c(data);
  for (std::size_t split : {std::size_t{0}, std::size_t{1}, std::size_t{7}, std::size_t{4096}, data.size()}) {
    const std::span<const std::byte> all(data);
    EXPECT_EQ(crc32c_extend(crc32c(all.first(split)), all.subspan(split)), whole) << "split at " << split;
  }
}

TEST(Crc32c, ChangesWithAnyFlippedBit) {
  std::vector<std::byte> data(64, std::byte{0x5A});
  const std::uint32_t before = crc32c(data);
  data[33] ^= std::byte{0x10};
  EXPECT_NE(crc32c(data), before);
}

}  // namespace
}  // namespace strata::format
