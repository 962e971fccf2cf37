// A bounded run of the fuzz body in every build: valid batches mutated by bit flips, overwrites, truncations
// and splices, plus pure noise.
#include "tests/fuzz/segment_fuzz.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

namespace strata::fuzz {
namespace {

std::vector<std::uint8_t> valid_segment_data(std::mt19937_64& rng) {
  std::vector<std::uint8_t> out(8 + 16384, 0);  // 8 bytes: the expected first offset (0)
  std::size_t position = 8;
  std::uint64_t offset = 0;
  while (position + 4096 < out.size()) {
    auto* batch = reinterpret_cast<std::byte*>(out.data() + position);
    std::size_t end = format::kBatchHeaderBytes;
    const std::uint32_t count = 1 + static_cast<std::uint32_t>(rng() % 20);
    const std::string value(rng() % 100, 'v');
    for (std::uint32_t i = 0; i < count; ++i) {
      end += format::put_record(batch + end, static_cast<std::int64_t>(rng() % 1000) - 500,
                                std::as_bytes(std::span(value.data(), value.size() % 9)),
                                std::as_bytes(std::span(value.data(), value.size())));
    }
    position += format::seal_batch_header(batch, end, format::BatchKind::kRecords, count, offset, 1000);
    offset += count;
  }
  return out;
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
    walk_segment_data(data.data(), data.size(), /*fix_checksums=*/i % 2 == 0);
  }
}

}  // namespace
}  // namespace strata::fuzz
