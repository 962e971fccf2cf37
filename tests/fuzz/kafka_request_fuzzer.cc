// libFuzzer target for the Kafka request decoder (clang only):
//   build/<preset>/tests/kafka_request_fuzzer -max_len=4096 -max_total_time=60
#include "tests/fuzz/kafka_request_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  strata::kafka::fuzz::decode_one(data, size);
  return 0;
}
