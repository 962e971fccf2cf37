#include "engine/compression.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace strata::format {
namespace {

constexpr Compression kCodecs[] = {Compression::kNone, Compression::kGzip, Compression::kSnappy,
                                   Compression::kLz4, Compression::kZstd};
constexpr std::size_t kMiB = 1 << 20;

std::vector<std::byte> bytes_of(std::string_view text) {
  const auto bytes = std::as_bytes(std::span(text));
  return {bytes.begin(), bytes.end()};
}

// Compressible but not trivial: record-like lines with a counter and a pseudo-random field.
std::vector<std::byte> sample(std::size_t size) {
  std::vector<std::byte> out;
  out.reserve(size);
  std::uint32_t state = 12345;
  for (std::uint32_t i = 0; out.size() < size; ++i) {
    state = state * 1664525 + 1013904223;
    const std::string line = "{\"id\":" + std::to_string(i) + ",\"v\":" + std::to_string(state >> 20) + "}\n";
    for (char c : line) {
      if (out.size() == size) break;
      out.push_back(static_cast<std::byte>(c));
    }
  }
  return out;
}

std::vector<std::byte> compressed(Compression codec, std::span<const std::byte> input) {
  std::vector<std::byte> out;
  const Status status = compress(codec, input, &out);
  EXPECT_TRUE(status.is_ok()) << status.to_string();
  return out;
}

// "1\n2\n...n\n", what `seq 1 n` prints.
std::vector<std::byte> seq_text(int n) {
  std::string text;
  for (int i = 1; i <= n; ++i) text += std::to_string(i) + "\n";
  return bytes_of(text);
}

// The standard output of a shell command; nullopt if it fails.
std::optional<std::vector<std::byte>> run_command(const std::string& command) {
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return std::nullopt;
  std::vector<std::byte> out;
  std::byte buffer[4096];
  std::size_t read = 0;
  while ((read = std::fread(buffer, 1, sizeof(buffer), pipe)) > 0)
    out.insert(out.end(), buffer, buffer + read);
  if (::pclose(pipe) != 0) return std::nullopt;
  return out;
}

bool have_tool(const std::string& name) {
  return std::system(("command -v " + name + " >/dev/null 2>&1").c_str()) == 0;
}

// ---- names ----------------------------------------------------------------------------------------------

TEST(Compression, NamesRoundTripAndAreKafkasWireValues) {
  for (Compression codec : kCodecs) {
    Compression parsed = Compression::kNone;
    ASSERT_TRUE(parse_compression(compression_name(codec), &parsed)) << compression_name(codec);
    EXPECT_EQ(parsed, codec);
  }
  EXPECT_EQ(static_cast<int>(Compression::kZstd), 4);
  EXPECT_EQ(compression_name(Compression::kSnappy), "snappy");
  EXPECT_EQ(compression_name(static_cast<Compression>(7)), "unknown");
}

TEST(Compression, ParseRejectsAnythingButTheExactName) {
  Compression parsed = Compression::kLz4;
  for (std::string_view name : {"", "GZIP", "zstd ", "lz4f", "unknown"}) {
    EXPECT_FALSE(parse_compression(name, &parsed)) << name;
  }
  EXPECT_EQ(parsed, Compression::kLz4);
}

// ---- round trips ------------------------------------------------------------------------------------------

TEST(Compression, EveryCodecRoundTripsEmptySmallAndOneMebibyte) {
  for (Compression codec : kCodecs) {
    for (std::size_t size : {std::size_t{0}, std::size_t{1}, std::size_t{100}, kMiB}) {
      SCOPED_TRACE(std::string(compression_name(codec)) + " of " + std::to_string(size) + " bytes");
      const std::vector<std::byte> input = sample(size);
      const std::vector<std::byte> packed = compressed(codec, input);
      if (codec != Compression::kNone && size == kMiB) {
        EXPECT_LT(packed.size(), size / 2);
      }
      std::vector<std::byte> unpacked;
      const Status status = decompress(codec, packed, size, &unpacked);
      ASSERT_TRUE(status.is_ok()) << status.to_string();
      EXPECT_EQ(unpacked, input);
    }
  }
}

TEST(Compression, BothCallsAppendAfterWhatTheOutputHolds) {
  const std::vector<std::byte> input = sample(5000);
  for (Compression codec : kCodecs) {
    SCOPED_TRACE(compression_name(codec));
    std::vector<std::byte> packed = bytes_of("head");
    ASSERT_TRUE(compress(codec, input, &packed).is_ok());
    std::vector<std::byte> unpacked = bytes_of("prefix");
    ASSERT_TRUE(decompress(codec, std::span(packed).subspan(4), input.size(), &unpacked).is_ok());
    ASSERT_EQ(unpacked.size(), 6 + input.size());
    EXPECT_EQ(std::vector(unpacked.begin(), unpacked.begin() + 6), bytes_of("prefix"));
    EXPECT_EQ(std::vector(unpacked.begin() + 6, unpacked.end()), input);
  }
}

TEST(Compression, UnknownCodecIsAnInvalidArgument) {
  std::vector<std::byte> out;
  EXPECT_EQ(compress(static_cast<Compression>(5), bytes_of("x"), &out).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(decompress(static_cast<Compression>(5), bytes_of("x"), 10, &out).code(),
            StatusCode::kInvalidArgument);
  EXPECT_TRUE(out.empty());
}

// ---- what Kafka's clients send
// ------------------------------------------------------------------------------

TEST(Compression, SnappyWritesRawSnappyAsLibrdkafkaDoes) {
  const std::vector<std::byte> packed = compressed(Compression::kSnappy, bytes_of("hello"));
  // A raw snappy block starts with its uncompressed length as a varint; there is no "\x82SNAPPY" framing.
  ASSERT_FALSE(packed.empty());
  EXPECT_EQ(packed[0], std::byte{5});
}

TEST(Compression, SnappyReadsTheJavaClientsXerialFraming) {
  // Hand-built raw blocks: [varint length][literal tag (length - 1) << 2][bytes].
  const std::string framed = std::string("\x82SNAPPY\0", 8) + std::string("\0\0\0\1\0\0\0\1", 8) +
                             std::string("\0\0\0\x08\x06\x14hello ", 12) +
                             std::string("\0\0\0\x07\x05\x10world", 11);
  std::vector<std::byte> out;
  const Status status = decompress(Compression::kSnappy, bytes_of(framed), 100, &out);
  ASSERT_TRUE(status.is_ok()) << status.to_string();
  EXPECT_EQ(out, bytes_of("hello world"));
}

TEST(Compression, SnappyReadsAHandBuiltRawBlock) {
  std::vector<std::byte> out;
  const Status status = decompress(Compression::kSnappy,
                                   bytes_of(std::string("\x03\x08"
                                                        "abc",
                                                        5)),
                                   3, &out);
  ASSERT_TRUE(status.is_ok()) << status.to_string();
  EXPECT_EQ(out, bytes_of("abc"));
}

TEST(Compression, SnappyXerialHeaderWithNoBlocksIsEmpty) {
  std::vector<std::byte> out;
  const std::string framed = std::string("\x82SNAPPY\0\0\0\0\1\0\0\0\1", 16);
  ASSERT_TRUE(decompress(Compression::kSnappy, bytes_of(framed), 100, &out).is_ok());
  EXPECT_TRUE(out.empty());
}

TEST(Compression, Lz4WritesIndependentBlocksAsKafkasJavaReaderRequires) {
  const std::vector<std::byte> packed = compressed(Compression::kLz4, sample(200000));
  ASSERT_GE(packed.size(), 7u);
  EXPECT_EQ(packed[0], std::byte{0x04});  // frame magic 0x184D2204, little-endian
  EXPECT_EQ(packed[3], std::byte{0x18});
  const auto flags = std::to_integer<unsigned>(packed[4]);
  EXPECT_EQ(flags >> 6, 1u) << "frame version";
  EXPECT_EQ((flags >> 5) & 1, 1u) << "block independence";
}

TEST(Compression, Lz4RejectsAWrongHeaderChecksum) {
  // Kafka before 0.10 wrote a header checksum over the magic too; magic 2 batches must have the right one.
  std::vector<std::byte> packed = compressed(Compression::kLz4, bytes_of("some text to compress"));
  packed[6] ^= std::byte{0xFF};  // FLG, BD, then the header checksum byte
  std::vector<std::byte> out;
  EXPECT_EQ(decompress(Compression::kLz4, packed, 100, &out).code(), StatusCode::kCorruption);
}

// The CLI tools are optional: each test needs one and skips, saying so, without it.
struct ToolCase {
  Compression codec;
  const char* tool;
  const char* command;  // reads `seq 1 20000` on stdin
};

TEST(Compression, DecompressesTheOutputOfTheCommandLineTools) {
  const ToolCase cases[] = {
      {Compression::kGzip, "gzip", "gzip -c"},
      {Compression::kGzip, "gzip", "gzip -c -9"},
      {Compression::kLz4, "lz4", "lz4 -c -q"},              // content checksum on, independent blocks
      {Compression::kLz4, "lz4", "lz4 -c -q -BD -BX -B4"},  // linked blocks, block checksums
      {Compression::kZstd, "zstd", "zstd -c -q"},           // from a pipe: no content size in the header
      {Compression::kZstd, "zstd", "zstd -c -q -19 --no-check"},
  };
  const std::vector<std::byte> expected = seq_text(20000);
  int ran = 0;
  for (const ToolCase& c : cases) {
    if (!have_tool(c.tool)) continue;
    SCOPED_TRACE(c.command);
    const auto packed = run_command(std::string("seq 1 20000 | ") + c.command);
    ASSERT_TRUE(packed.has_value());
    std::vector<std::byte> out;
    const Status status = decompress(c.codec, *packed, expected.size(), &out);
    ASSERT_TRUE(status.is_ok()) << status.to_string();
    EXPECT_EQ(out, expected);
    ++ran;
  }
  if (ran == 0) GTEST_SKIP() << "none of gzip, lz4, zstd is installed";
}

TEST(Compression, ZstdFromAPipeHasNoContentSizeAndStillDecodes) {
  if (!have_tool("zstd")) GTEST_SKIP() << "zstd is not installed";
  const auto packed = run_command("seq 1 1000 | zstd -c -q");
  ASSERT_TRUE(packed.has_value());
  ASSERT_GE(packed->size(), 5u);
  const auto descriptor = std::to_integer<unsigned>((*packed)[4]);
  ASSERT_EQ(descriptor >> 6, 0u) << "content size flag";
  ASSERT_EQ((descriptor >> 5) & 1, 0u) << "single segment (would imply a content size)";
  std::vector<std::byte> out;
  ASSERT_TRUE(decompress(Compression::kZstd, *packed, kMiB, &out).is_ok());
  EXPECT_EQ(out, seq_text(1000));
}

TEST(Compression, GzipReadsConcatenatedMembers) {
  if (!have_tool("gzip")) GTEST_SKIP() << "gzip is not installed";
  const auto packed = run_command("(seq 1 10 | gzip -c; seq 11 20 | gzip -c)");
  ASSERT_TRUE(packed.has_value());
  std::vector<std::byte> out;
  ASSERT_TRUE(decompress(Compression::kGzip, *packed, kMiB, &out).is_ok());
  EXPECT_EQ(out, seq_text(20));
}

// ---- malformed input
// ----------------------------------------------------------------------------------------

TEST(Compression, TruncatedInputIsCorruption) {
  const std::vector<std::byte> input = sample(100000);
  for (Compression codec : kCodecs) {
    if (codec == Compression::kNone) continue;
    SCOPED_TRACE(compression_name(codec));
    const std::vector<std::byte> packed = compressed(codec, input);
    for (std::size_t keep : {packed.size() / 2, packed.size() - 1}) {
      std::vector<std::byte> out = bytes_of("kept");
      const Status status = decompress(codec, std::span(packed).first(keep), input.size(), &out);
      EXPECT_EQ(status.code(), StatusCode::kCorruption) << keep << " bytes: " << status.to_string();
      EXPECT_EQ(out, bytes_of("kept")) << "the output is left as it was";
    }
  }
}

TEST(Compression, GarbageAndEmptyInputIsCorruption) {
  const std::vector<std::byte> garbage = bytes_of("this is not compressed data, not in any format at all");
  for (Compression codec : kCodecs) {
    if (codec == Compression::kNone) continue;
    SCOPED_TRACE(compression_name(codec));
    std::vector<std::byte> out;
    Status status = decompress(codec, garbage, kMiB, &out);
    EXPECT_EQ(status.code(), StatusCode::kCorruption) << status.to_string();
    status = decompress(codec, {}, kMiB, &out);
    EXPECT_EQ(status.code(), StatusCode::kCorruption) << status.to_string();
    EXPECT_TRUE(out.empty());
  }
}

TEST(Compression, SnappyXerialBlockRunningPastTheEndIsCorruption) {
  const std::string framed = std::string("\x82SNAPPY\0\0\0\0\1\0\0\0\1", 16) + std::string(
                                                                                   "\0\0\1\0\x03\x08"
                                                                                   "abc",
                                                                                   9);
  std::vector<std::byte> out;
  const Status status = decompress(Compression::kSnappy, bytes_of(framed), 100, &out);
  EXPECT_EQ(status.code(), StatusCode::kCorruption);
  EXPECT_NE(status.message().find("snappy-java block of 256 bytes"), std::string::npos) << status.message();
}

TEST(Compression, SnappyTruncatedXerialHeaderIsCorruption) {
  std::vector<std::byte> out;
  EXPECT_EQ(decompress(Compression::kSnappy, bytes_of(std::string("\x82SNAPPY\0\0\0", 10)), 100, &out).code(),
            StatusCode::kCorruption);
}

// ---- the output bound -------------------------------------------------------------------------------------

TEST(Compression, OutputLargerThanTheBoundFailsWithoutAllocatingIt) {
  // 10 MiB of zeros compress to a few KiB: a small "bomb" for each codec.
  const std::vector<std::byte> zeros(10 * kMiB, std::byte{0});
  for (Compression codec : kCodecs) {
    SCOPED_TRACE(compression_name(codec));
    const std::vector<std::byte> packed = compressed(codec, zeros);
    std::vector<std::byte> out;
    const Status status = decompress(codec, packed, kMiB, &out);
    EXPECT_EQ(status.code(), StatusCode::kCorruption);
    EXPECT_NE(status.message().find("decompressed size exceeds 1048576 bytes"), std::string::npos)
        << status.message();
    EXPECT_TRUE(out.empty());
    EXPECT_LE(out.capacity(), kMiB + 1) << "the vector held more than the bound";
  }
}

TEST(Compression, StreamWithoutContentSizeIsBoundedToo) {
  if (!have_tool("zstd")) GTEST_SKIP() << "zstd is not installed";
  const auto packed = run_command("head -c 10485760 /dev/zero | zstd -c -q");
  ASSERT_TRUE(packed.has_value());
  std::vector<std::byte> out;
  const Status status = decompress(Compression::kZstd, *packed, kMiB, &out);
  EXPECT_EQ(status.code(), StatusCode::kCorruption) << status.to_string();
  EXPECT_NE(status.message().find("exceeds"), std::string::npos) << status.message();
  EXPECT_LE(out.capacity(), kMiB + 1);
}

TEST(Compression, OutputOfExactlyTheBoundIsAccepted) {
  const std::vector<std::byte> input = sample(kMiB);
  for (Compression codec : kCodecs) {
    SCOPED_TRACE(compression_name(codec));
    std::vector<std::byte> out;
    const Status status = decompress(codec, compressed(codec, input), kMiB, &out);
    ASSERT_TRUE(status.is_ok()) << status.to_string();
    EXPECT_EQ(out.size(), kMiB);
    EXPECT_EQ(decompress(codec, compressed(codec, input), kMiB - 1, &out).code(), StatusCode::kCorruption);
    EXPECT_EQ(out.size(), kMiB) << "a failed call leaves the output as it was";
  }
}

}  // namespace
}  // namespace strata::format
