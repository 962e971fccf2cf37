// A bounded run of the fuzz body in every build: valid Kafka batches (records with keys, values and
// headers) mutated by bit flips, overwrites, truncations and splices, plus pure noise.
#include "tests/fuzz/segment_fuzz.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

namespace strata::fuzz {
namespace {

std::vector<std::uint8_t> valid_segment_data(std::mt19937_64& rng) {
  std::vector<std::uint8_t> out(16384, 0);
  std::size_t position = 0;
  std::uint64_t offset = 0;
  const std::string header_value(rng() % 40, 'h');
  while (position + 6000 < out.size()) {
    auto* batch = reinterpret_cast<std::byte*>(out.data() + position);
    std::size_t end = format::kBatchHeaderBytes;
    const auto count = 1 + static_cast<std::int32_t>(rng() % 20);
    const std::string value(rng() % 100, 'v');
    for (std::int32_t i = 0; i < count; ++i) {
      std::vector<EventHeader> headers;
      for (std::uint64_t h = rng() % 3; h > 0; --h) {
        headers.push_back({std::string_view("key").substr(0, h), std::as_bytes(std::span(header_value))});
      }
      std::vector<std::byte> encoded(format::encoded_headers_bytes(headers));
      format::encode_headers(encoded.data(), headers);
      end += format::put_record(batch + end, i, std::as_bytes(std::span(value.data(), value.size() % 9)),
                                std::as_bytes(std::span(value.data(), value.size())), encoded);
    }
    position += format::finish_batch(batch, end - format::kBatchHeaderBytes,
                                     {offset, count, 1'700'000'000'000, Compression::kNone});
    offset += static_cast<std::uint64_t>(count);
  }
  return out;
}

// The generator itself yields batches the walk accepts whole (so mutations start from valid input).
TEST(SegmentFuzz, UnmutatedBatchesWalkWhole) {
  std::mt19937_64 rng(7);
  const auto data = valid_segment_data(rng);
  const std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data.data()), data.size());
  std::size_t position = 0;
  std::uint64_t expected = 0;
  std::vector<std::byte> scratch;
  std::int64_t with_headers = 0;
  while (true) {
    format::BatchHeader header;
    std::string reason;
    const auto check = format::check_batch(bytes.subspan(position), expected, &header, &reason);
    if (check == format::BatchCheck::kEndOfData) break;
    ASSERT_EQ(check, format::BatchCheck::kValid) << reason;
    ASSERT_TRUE(format::for_each_record(bytes.subspan(position, header.total_bytes()), header, &scratch,
                                        [&](const format::RecordFields& r, std::uint64_t, std::int64_t) {
                                          with_headers += r.header_count > 0;
                                        })
                    .is_ok());
    expected = header.next_offset();
    position += header.total_bytes();
  }
  EXPECT_GT(expected, 0u);
  EXPECT_GT(with_headers, 0);
  walk_segment_data(data.data(), data.size(), false);
}

TEST(SegmentFuzz, MutatedBatchesNeverCrashOrOverrun) {
  const char* iterations_text = std::getenv("STRATA_FUZZ_ITERATIONS");
  const int iterations = iterations_text != nullptr ? std::atoi(iterations_text) : 20000;
  std::mt19937_64 rng(2026);
  for (int i = 0; i < iterations; ++i) {
    std::vector<std::uint8_t> data = valid_segment_data(rng);
    switch (rng() % 5) {
      case 0:  // flip bits
        for (int flips = 1 + static_cast<int>(rng() % 4); flips > 0; --flips) {
          data[rng() % data.size()] ^= static_cast<std::uint8_t>(1u << (rng() % 8));
        }
        break;
      case 1:  // overwrite a run with noise
        for (std::size_t at = rng() % data.size(), n = rng() % 64; n > 0 && at < data.size(); --n, ++at) {
          data[at] = static_cast<std::uint8_t>(rng());
        }
        break;
      case 2:  // truncate
        data.resize(rng() % data.size());
        break;
      case 3:  // splice a copy of one region over another
        for (std::size_t from = rng() % data.size(), to = rng() % data.size(), n = rng() % 200;
             n > 0 && from < data.size() && to < data.size(); --n) {
          data[to++] = data[from++];
        }
        break;
      default:  // noise
        for (auto& byte : data) byte = static_cast<std::uint8_t>(rng());
        break;
    }
    walk_segment_data(data.data(), data.size(), /*fix_checksums=*/i % 4 != 0);
  }
}

}  // namespace
}  // namespace strata::fuzz
