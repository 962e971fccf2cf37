// libFuzzer target for the SASL conversation and the SCRAM parsers (clang only):
//   build/<preset>/tests/sasl_fuzzer -max_len=2048 -max_total_time=60
#include "tests/fuzz/sasl_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  strata::security::fuzz::sasl_conversation_one(data, size);
  return 0;
}
