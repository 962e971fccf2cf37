// libFuzzer entry point: clang++ -fsanitize=fuzzer,address (CMake builds it when the compiler is clang).
//   build/fuzz/tests/segment_fuzzer -max_total_time=60
#include "tests/fuzz/segment_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // The first byte picks whether checksums are repaired, so both the checksum gate and the parsing behind it
  // are explored.
  if (size == 0) return 0;
  strata::fuzz::walk_segment_data(data + 1, size - 1, (data[0] & 1) != 0);
  return 0;
}
