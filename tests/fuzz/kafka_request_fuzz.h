// The body of the Kafka request fuzzer, shared by the libFuzzer target and the bounded gtest run: decode
// any bytes as a request frame and, when they decode, encode a response of the same API and version (so the
// encoders see every version the decoder accepts).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "kafka/codec.h"

namespace strata::kafka::fuzz {

inline void decode_one(const std::uint8_t* data, std::size_t size) {
  Request request;
  std::string why;
  const auto frame = std::as_bytes(std::span(data, size));
  const DecodeResult result = decode_request(frame, &request, &why);
  if (result != DecodeResult::kOk) {
    if (why.empty()) __builtin_trap();  // every refusal must say why (it becomes the log line)
    return;
  }
  // Touch what the handler reads, so that a view pointing outside the frame shows under ASan.
  std::size_t sum = 0;
  if (request.header.client_id) sum += request.header.client_id->size();
  if (auto* produce = std::get_if<ProduceRequest>(&request.body)) {
    for (const auto& topic : produce->topics) {
      sum += topic.name.size();
      for (const auto& partition : topic.partitions) {
        if (partition.records && !partition.records->empty())
          sum += std::to_integer<std::size_t>(partition.records->back());
      }
    }
  } else if (auto* join = std::get_if<JoinGroupRequest>(&request.body)) {
    for (const auto& protocol : join->protocols) {
      if (!protocol.metadata.empty()) sum += std::to_integer<std::size_t>(protocol.metadata.back());
      if (!protocol.name.empty()) sum += static_cast<unsigned char>(protocol.name.back());
    }
  }
  asm volatile("" : : "r"(sum));
  // The encoders see every version the decoder accepts: a default response of the same API and version.
  ResponseFrame out;
  Apis::with(static_cast<ApiKey>(request.header.api_key),
             [&]<typename Entry>() { encode(typename Entry::Response{}, request.header.api_version, out); });
}

}  // namespace strata::kafka::fuzz
