// CRC-32C: strata's crc32c() (ISA-L's crc32_iscsi) against the plain loop of SSE4.2 crc32 instructions,
// 8 bytes at a time, that most hand-written CRC-32C code uses. Sizes: a 4 KiB batch and a 1 MiB one.
#include <benchmark/benchmark.h>
#include <nmmintrin.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include "engine/crc32c.h"

namespace {

// One crc32 instruction per 8 bytes: bound by its 3-cycle latency, since each step needs the last.
__attribute__((target("sse4.2"))) std::uint32_t crc32c_sse42_loop(const std::byte* data, std::size_t size) {
  std::uint64_t crc = 0xFFFFFFFFu;
  std::size_t i = 0;
  for (; i + 8 <= size; i += 8) {
    std::uint64_t word = 0;
    std::memcpy(&word, data + i, 8);
    crc = _mm_crc32_u64(crc, word);
  }
  auto crc32 = static_cast<std::uint32_t>(crc);
  for (; i < size; ++i) crc32 = _mm_crc32_u8(crc32, std::to_integer<std::uint8_t>(data[i]));
  return ~crc32;
}

std::vector<std::byte> buffer(std::size_t size) {
  std::vector<std::byte> data(size);
  for (std::size_t i = 0; i < size; ++i) data[i] = static_cast<std::byte>(i * 2654435761u >> 13);
  return data;
}

void BM_Crc32cIsal(benchmark::State& state) {
  const std::vector<std::byte> data = buffer(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(strata::format::crc32c(data));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}

void BM_Crc32cSse42Loop(benchmark::State& state) {
  const std::vector<std::byte> data = buffer(static_cast<std::size_t>(state.range(0)));
  if (crc32c_sse42_loop(data.data(), data.size()) != strata::format::crc32c(data)) {
    state.SkipWithError("the SSE4.2 loop disagrees with ISA-L");
    return;
  }
  for (auto _ : state) benchmark::DoNotOptimize(crc32c_sse42_loop(data.data(), data.size()));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}

BENCHMARK(BM_Crc32cIsal)->Arg(4 << 10)->Arg(1 << 20);
BENCHMARK(BM_Crc32cSse42Loop)->Arg(4 << 10)->Arg(1 << 20);

}  // namespace

BENCHMARK_MAIN();
