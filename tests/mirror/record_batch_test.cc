// strata/record_batch.h: a batch built from records with their own timestamps is taken by append_batch and
// read back as it was built (null keys, headers, timestamps that go back and forth), and its limits hold.
#include "strata/record_batch.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <string>

#include "strata/log.h"

namespace strata {
namespace {

std::span<const std::byte> bytes(const std::string& text) {
  return std::as_bytes(std::span(text.data(), text.size()));
}

TEST(RecordBatch, AppendedBatchReadsBackWithItsTimestampsKeysAndHeaders) {
  char pattern[] = "/var/tmp/strata-record-batch.XXXXXX";
  ASSERT_NE(mkdtemp(pattern), nullptr);
  const std::string dir = pattern;
  {
    auto log = Log::open({.directory = dir});
    ASSERT_TRUE(log.is_ok()) << log.status().to_string();
    const TopicId topic = log.value()->topic("copies").value();
    const std::string key = "k", value_a = "first", value_b = "second", value_c = "", header_value = "web";
    const EventHeader header{"source", bytes(header_value)};
    const BatchRecord records[] = {
        {.timestamp_ms = 1'700'000'000'500, .key = bytes(key), .value = bytes(value_a), .headers = {&header, 1}},
        {.timestamp_ms = 1'700'000'000'100, .key = {}, .value = bytes(value_b), .headers = {}},
        {.timestamp_ms = 1'700'000'009'000, .key = bytes(key), .value = bytes(value_c), .headers = {}},
    };
    auto batch = encode_record_batch(records);
    ASSERT_TRUE(batch.is_ok()) << batch.status().to_string();
    auto producer = log.value()->producer();
    // Twice: the second lands after the first, at offsets 3..5.
    for (int i = 0; i < 2; ++i) {
      auto ticket = producer->append_batch(topic, 0, batch.value());
      ASSERT_TRUE(ticket.is_ok()) << ticket.status().to_string();
      auto offset = producer->wait(ticket.value());
      ASSERT_TRUE(offset.is_ok()) << offset.status().to_string();
      EXPECT_EQ(offset.value(), 3u * static_cast<unsigned>(i));
    }
  }
  auto reader = Reader::open(dir, "copies", 0);
  ASSERT_TRUE(reader.is_ok());
  std::vector<std::string> seen;
  auto polled = reader.value()->poll(10, [&](const Event& event) {
    std::string line = std::to_string(event.offset) + " " + std::to_string(event.timestamp_us / 1000) + " " +
                       std::string(reinterpret_cast<const char*>(event.key.data()), event.key.size()) + "|" +
                       std::string(reinterpret_cast<const char*>(event.value.data()), event.value.size());
    for (const EventHeader& h : event.headers) {
      line += " " + std::string(h.key) + "=" +
              std::string(reinterpret_cast<const char*>(h.value.data()), h.value.size());
    }
    seen.push_back(line);
  });
  ASSERT_TRUE(polled.is_ok());
  EXPECT_EQ(seen, (std::vector<std::string>{"0 1700000000500 k|first source=web", "1 1700000000100 |second",
                                            "2 1700000009000 k|", "3 1700000000500 k|first source=web",
                                            "4 1700000000100 |second", "5 1700000009000 k|"}));
  std::filesystem::remove_all(dir);
}

TEST(RecordBatch, EmptyAndOversizedAreRefused) {
  EXPECT_EQ(encode_record_batch({}).status().code(), StatusCode::kInvalidArgument);
  const std::string huge_key(70'000, 'k');
  const BatchRecord record{.timestamp_ms = 1, .key = bytes(huge_key), .value = {}, .headers = {}};
  auto batch = encode_record_batch({&record, 1});
  EXPECT_EQ(batch.status().code(), StatusCode::kTooLarge);
  EXPECT_NE(batch.status().message().find("record 0 of the batch: key 70000 bytes"), std::string::npos)
      << batch.status().message();
}

}  // namespace
}  // namespace strata
