// Requests and answers the server tests share: ApiVersions, a client's RecordBatch, a Produce's answer.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "kafka/wire.h"
#include "tests/engine/kafka_spec.h"
#include "tests/kafka/request_builder.h"

namespace strata::kafka::testing {

inline std::vector<std::byte> api_versions(std::int16_t version, std::int32_t correlation_id) {
  WireWriter w = testing::header(18, version, correlation_id);
  if (version >= 3) {
    // Request header v2's tagged fields, then client_software_name "test" and _version "1.0" as compact
    // strings (length + 1), and the body's tagged fields.
    w.raw(as_bytes(std::string_view("\x00\x05test\x04"
                                    "1.0\x00",
                                    11)));
  }
  return w.buffer();
}

inline std::vector<std::byte> client_batch(int records, std::int64_t producer_id = -1, std::int32_t sequence = -1) {
  kafka_spec::Batch batch;
  batch.base_timestamp = 1'700'000'000'000;
  batch.max_timestamp = batch.base_timestamp + records - 1;
  batch.last_offset_delta = records - 1;
  batch.producer_id = producer_id;
  batch.producer_epoch = producer_id >= 0 ? 0 : -1;
  batch.base_sequence = sequence;
  for (int i = 0; i < records; ++i) {
    kafka_spec::Record record;
    record.offset_delta = i;
    record.timestamp_delta = i;
    record.value = "value " + std::to_string(i);
    batch.records.push_back(record);
  }
  const std::vector<std::uint8_t> bytes = kafka_spec::encode_batch(batch);
  const auto* data = reinterpret_cast<const std::byte*>(bytes.data());
  return {data, data + bytes.size()};
}

struct ProduceResult {
  std::int16_t error = 0;
  std::int64_t base_offset = -1;
};
inline ProduceResult read_produce(const std::vector<std::byte>& frame) {
  WireReader in(frame);
  (void)in.int32();  // correlation id
  EXPECT_EQ(in.int32(), 1);
  (void)in.string();
  EXPECT_EQ(in.int32(), 1);
  (void)in.int32();
  ProduceResult result;
  result.error = in.int16();
  result.base_offset = in.int64();
  return result;
}

}  // namespace strata::kafka::testing
