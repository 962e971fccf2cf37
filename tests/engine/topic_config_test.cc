// Topic configs (strata/topic_config.h): validation names the key, the metadata round trip (old files without
// configs still open, damaged ones are refused with a message), configs set and altered through the Log, and
// each honoured config observed on disk: retention by size and age on the writer's timer, segment.bytes and
// segment.ms rolls, max.message.bytes, message.timestamp.type=LogAppendTime.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "engine/format.h"
#include "strata/log.h"
#include "strata/topics.h"
#include "tests/engine/kafka_spec.h"
#include "tests/engine/small_options.h"
#include "tests/engine/test_dir.h"

namespace strata {
namespace {

using testing::small_options;
using testing::TestDir;

bool contains(const Status& status, const std::string& text) {
  return status.message().find(text) != std::string::npos;
}

TEST(TopicConfig, ValidValuesAreAcceptedInCanonicalForm) {
  std::string canonical;
  EXPECT_TRUE(validate_topic_config("retention.ms", "-1", &canonical).is_ok());
  EXPECT_EQ(canonical, "-1");
  EXPECT_TRUE(validate_topic_config("segment.bytes", "1048576", &canonical).is_ok());
  EXPECT_TRUE(validate_topic_config("message.timestamp.type", "LogAppendTime", &canonical).is_ok());
  EXPECT_TRUE(validate_topic_config("compression.type", "uncompressed", &canonical).is_ok());
  EXPECT_EQ(canonical, "none");
  EXPECT_TRUE(validate_topic_config("compression.type", "producer").is_ok());
  EXPECT_TRUE(validate_topic_config("cleanup.policy", "delete").is_ok());
  EXPECT_TRUE(validate_topic_config("min.cleanable.dirty.ratio", "0.25").is_ok());
  EXPECT_TRUE(validate_topic_config("delete.retention.ms", "0").is_ok());
}

TEST(TopicConfig, UnknownKeysAndBadValuesAreRefusedNamingThem) {
  Status unknown = validate_topic_config("retention.hours", "1");
  EXPECT_EQ(unknown.code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(contains(unknown, "unknown topic config retention.hours")) << unknown.to_string();
  for (const auto& [key, value] : std::vector<std::pair<std::string, std::string>>{
           {"retention.ms", "soon"}, {"retention.ms", "-2"}, {"retention.bytes", "1.5"},
           {"segment.bytes", "4096"}, {"segment.bytes", "99999999999"}, {"segment.ms", "0"},
           {"max.message.bytes", "0"}, {"message.timestamp.type", "createtime"},
           {"compression.type", "brotli"}, {"cleanup.policy", "keep"}, {"min.cleanable.dirty.ratio", "2"},
           {"delete.retention.ms", ""}}) {
    Status bad = validate_topic_config(key, value);
    EXPECT_EQ(bad.code(), StatusCode::kInvalidArgument) << key << "=" << value;
    EXPECT_TRUE(contains(bad, "config " + key)) << bad.to_string();
    EXPECT_TRUE(contains(bad, "invalid value " + value)) << bad.to_string();
  }
}

TEST(TopicConfig, CompactionConfigsResolve) {
  std::string canonical;
  ASSERT_TRUE(validate_topic_config("cleanup.policy", "delete,compact", &canonical).is_ok());
  EXPECT_EQ(canonical, "compact,delete");
  ASSERT_TRUE(validate_topic_config("min.compaction.lag.ms", "1000").is_ok());
  EXPECT_EQ(validate_topic_config("min.compaction.lag.ms", "-1").code(), StatusCode::kInvalidArgument);
  LogOptions options;
  options.retention_age = std::chrono::hours(1);
  // compact alone keeps every segment whatever retention says; compact,delete applies both.
  const TopicSettings compact = resolve_topic_settings(
      {{"cleanup.policy", "compact"}, {"retention.ms", "1000"}, {"delete.retention.ms", "5"},
       {"min.compaction.lag.ms", "7"}, {"min.cleanable.dirty.ratio", "0.25"}},
      options);
  EXPECT_TRUE(compact.compact);
  EXPECT_EQ(compact.retention_age_us, 0);
  EXPECT_EQ(compact.delete_retention_us, 5000);
  EXPECT_EQ(compact.min_compaction_lag_us, 7000);
  EXPECT_EQ(compact.min_cleanable_dirty_ratio, 0.25);
  const TopicSettings both =
      resolve_topic_settings({{"cleanup.policy", "compact,delete"}, {"retention.ms", "1000"}}, options);
  EXPECT_TRUE(both.compact);
  EXPECT_EQ(both.retention_age_us, 1'000'000);
  const TopicSettings plain = resolve_topic_settings({}, options);
  EXPECT_FALSE(plain.compact);
  EXPECT_EQ(plain.delete_retention_us, 86'400'000'000);
}

TEST(TopicConfig, KeyIndexIsTrueOrFalse) {
  EXPECT_TRUE(validate_topic_config("strata.key-index", "true").is_ok());
  EXPECT_TRUE(validate_topic_config("strata.key-index", "false").is_ok());
  Status bad = validate_topic_config("strata.key-index", "yes");
  EXPECT_EQ(bad.code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(contains(bad, "expected true or false")) << bad.to_string();
  EXPECT_TRUE(resolve_topic_settings({{"strata.key-index", "true"}}, LogOptions{}).key_index);
  EXPECT_FALSE(resolve_topic_settings({}, LogOptions{}).key_index);
}

TEST(TopicConfig, SettingsResolveOverTheLogsDefaults) {
  LogOptions options;
  options.retention_bytes = 5000;
  options.segment_bytes = 2u << 20;
  const TopicSettings defaults = resolve_topic_settings({}, options);
  EXPECT_EQ(defaults.retention_bytes, 5000u);
  EXPECT_EQ(defaults.retention_age_us, 0);
  EXPECT_EQ(defaults.segment_bytes, 2u << 20);
  EXPECT_FALSE(defaults.compression.has_value());
  EXPECT_EQ(topic_config_default("retention.ms", options), "-1");
  EXPECT_EQ(topic_config_default("retention.bytes", options), "5000");
  const TopicSettings set = resolve_topic_settings(
      {{"retention.ms", "1500"}, {"retention.bytes", "-1"}, {"compression.type", "zstd"},
       {"message.timestamp.type", "LogAppendTime"}, {"segment.ms", "250"}},
      options);
  EXPECT_EQ(set.retention_age_us, 1'500'000);
  EXPECT_EQ(set.retention_bytes, 0u) << "-1 is no limit";
  EXPECT_EQ(set.segment_age_us, 250'000);
  EXPECT_EQ(set.compression, Compression::kZstd);
  EXPECT_EQ(set.timestamp_type, TimestampType::kLogAppendTime);
}

TEST(TopicMetadata, ConfigsRoundTripAndEveryDamagedOrTruncatedByteIsRefused) {
  TopicInfo info{"orders", 3, Compression::kLz4, 1234567, "00112233445566778899aabbccddeeff",
                 {{"retention.ms", "60000"}, {"segment.bytes", "1048576"}}};
  const auto bytes = format::encode_topic(info);
  auto decoded = format::decode_topic(bytes, "orders", "p");
  ASSERT_TRUE(decoded) << decoded.status().to_string();
  EXPECT_EQ(decoded->configs, info.configs);
  EXPECT_EQ(decoded->partitions, 3u);
  for (std::size_t at = 0; at < bytes.size(); ++at) {
    auto damaged = bytes;
    damaged[at] ^= std::byte{0x01};
    auto refused = format::decode_topic(damaged, "orders", "p");
    EXPECT_EQ(refused.status().code(), StatusCode::kCorruption) << "flip at " << at;
  }
  for (std::size_t size = 0; size < bytes.size(); ++size) {
    auto refused = format::decode_topic(std::span(bytes).first(size), "orders", "path/orders.strata-topic");
    ASSERT_EQ(refused.status().code(), StatusCode::kCorruption) << "cut to " << size;
    EXPECT_TRUE(contains(refused.status(), "path/orders.strata-topic")) << refused.status().to_string();
  }
}

TEST(TopicMetadata, AFileWrittenBeforeConfigsExistedStillOpens) {
  // The bare 56-byte record of the format before configs (no flag, nothing after it).
  TopicInfo info{"old", 2, Compression::kNone, 99, "ffeeddccbbaa99887766554433221100", {}};
  const auto bytes = format::encode_topic(info);
  ASSERT_EQ(bytes.size(), sizeof(format::TopicRecord));
  TestDir dir;
  {
    auto log = Log::open(small_options(dir.path())).value();
    const TopicId id = log->topic("old", {.partitions = 2}).value();
    auto producer = log->producer();
    ASSERT_TRUE(producer->wait(producer->append(id, "k", "v").value()).is_ok());
  }
  std::ofstream(dir.sub("old.strata-topic"), std::ios::binary | std::ios::trunc)
      .write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  auto log = Log::open(small_options(dir.path()));
  ASSERT_TRUE(log) << log.status().to_string();
  const TopicId id = log.value()->find_topic("old").value();
  EXPECT_TRUE(log.value()->topic_info(id).configs.empty());
  EXPECT_EQ(log.value()->topic_info(id).log_id, info.log_id);
}

TEST(TopicMetadata, ACorruptMetadataFileIsRefusedWithItsName) {
  TestDir dir;
  {
    auto log = Log::open(small_options(dir.path())).value();
    TopicOptions options;
    options.configs = {{"retention.ms", "60000"}};
    ASSERT_TRUE(log->topic("t", options));
  }
  const std::string path = dir.sub("t.strata-topic");
  std::filesystem::resize_file(path, std::filesystem::file_size(path) - 3);
  auto log = Log::open(small_options(dir.path()));
  ASSERT_FALSE(log);
  EXPECT_EQ(log.status().code(), StatusCode::kCorruption);
  EXPECT_TRUE(contains(log.status(), path)) << log.status().to_string();
  EXPECT_EQ(read_topic_info(dir.path(), "t").status().code(), StatusCode::kCorruption);
}

TEST(TopicConfigs, AreStoredAtCreationAlteredDurablyAndCheckedFirst) {
  TestDir dir;
  {
    auto log = Log::open(small_options(dir.path())).value();
    TopicOptions options;
    options.configs = {{"retention.ms", "60000"}, {"compression.type", "zstd"}};
    const TopicId id = log->topic("t", options).value();
    EXPECT_EQ(log->topic_info(id).compression, Compression::kZstd) << "compression.type sets the engine's batches";
    TopicOptions bad;
    bad.configs = {{"segment.bytes", "12"}};
    Status refused = log->topic("u", bad).status();
    EXPECT_EQ(refused.code(), StatusCode::kInvalidArgument);
    EXPECT_TRUE(contains(refused, "segment.bytes")) << refused.to_string();
    EXPECT_FALSE(log->find_topic("u")) << "a refused topic is not created";
    Status unknown = log->set_topic_configs("t", {{"retention.minutes", "5"}});
    EXPECT_TRUE(contains(unknown, "retention.minutes")) << unknown.to_string();
    EXPECT_EQ(log->set_topic_configs("missing", {}).code(), StatusCode::kNotFound);
    ASSERT_TRUE(log->set_topic_configs("t", {{"retention.bytes", "2097152"}}).is_ok());
    EXPECT_EQ(log->topic_info(id).configs, (TopicConfigs{{"retention.bytes", "2097152"}}));
  }
  auto info = read_topic_info(dir.path(), "t");
  ASSERT_TRUE(info) << info.status().to_string();
  EXPECT_EQ(info->configs, (TopicConfigs{{"retention.bytes", "2097152"}}));
  auto log = Log::open(small_options(dir.path())).value();
  EXPECT_EQ(log->topic_info(log->find_topic("t").value()).configs, info->configs);
}

std::size_t segment_files(const std::string& partition_dir) {
  std::size_t count = 0;
  for (const auto& entry : std::filesystem::directory_iterator(partition_dir)) {
    if (entry.path().extension() == ".log") ++count;
  }
  return count;
}

std::uint64_t segment_bytes_on_disk(const std::string& partition_dir) {
  std::uint64_t bytes = 0;
  for (const auto& entry : std::filesystem::directory_iterator(partition_dir)) {
    if (entry.path().extension() == ".log") bytes += entry.file_size();
  }
  return bytes;
}

// Polls `done` every 50 ms for up to `limit` (the writer's upkeep runs once a second).
template <typename Done>
bool eventually(Done done, std::chrono::milliseconds limit = std::chrono::milliseconds(6000)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return done();
}

void append_values(Log& log, TopicId topic, int count, std::size_t value_bytes) {
  auto producer = log.producer();
  const std::string value(value_bytes, 'v');
  for (int i = 0; i < count; ++i) ASSERT_TRUE(producer->append(topic, "", value).is_ok());
  ASSERT_TRUE(producer->wait_all().is_ok());
}

TEST(TopicRetention, ByAgeDeletesSealedSegmentsOfAnIdleTopicOnTheTimer) {
  TestDir dir;
  auto log = Log::open(small_options(dir.path(), Durability::kNone)).value();
  const TopicId topic = log->topic("t").value();
  append_values(*log, topic, 3500, 1000);  // ~3.5 segments of 1 MiB
  const std::string partition = dir.sub("t-0");
  ASSERT_GE(segment_files(partition), 4u);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  // Nothing is appended from here on: only the timer can act.
  ASSERT_TRUE(log->set_topic_configs("t", {{"retention.ms", "200"}}).is_ok());
  // The files go first, then the log start moves: wait for both.
  ASSERT_TRUE(eventually([&] { return segment_files(partition) == 1 && log->offsets(topic, 0).value().log_start > 3000; }))
      << segment_files(partition) << " segment files left, log start " << log->offsets(topic, 0).value().log_start;
}

TEST(TopicRetention, BySizeKeepsAPartitionNearItsLimit) {
  TestDir dir;
  auto log = Log::open(small_options(dir.path(), Durability::kNone)).value();
  TopicOptions options;
  options.configs = {{"retention.bytes", "2097152"}};
  const TopicId topic = log->topic("t", options).value();
  append_values(*log, topic, 6000, 1000);  // ~6 MiB through 1 MiB segments
  const std::string partition = dir.sub("t-0");
  ASSERT_TRUE(eventually([&] {
    return segment_bytes_on_disk(partition) <= (3u << 20) + (1u << 20) && log->offsets(topic, 0).value().log_start > 2000;
  })) << segment_bytes_on_disk(partition) << " bytes of segments on disk";
}

TEST(TopicSegments, SegmentBytesAndSegmentMsRoll) {
  TestDir dir;
  LogOptions log_options = small_options(dir.path(), Durability::kNone);
  log_options.segment_bytes = 64u << 20;
  auto log = Log::open(log_options).value();
  TopicOptions options;
  options.configs = {{"segment.bytes", "1048576"}};
  const TopicId by_size = log->topic("size", options).value();
  append_values(*log, by_size, 2500, 1000);
  EXPECT_GE(segment_files(dir.sub("size-0")), 3u) << "segment.bytes overrides the log's 64 MiB";
  options.configs = {{"segment.ms", "300"}};
  const TopicId by_age = log->topic("age", options).value();
  append_values(*log, by_age, 5, 100);
  ASSERT_EQ(segment_files(dir.sub("age-0")), 1u);
  ASSERT_TRUE(eventually([&] { return segment_files(dir.sub("age-0")) == 2; })) << "the aged segment never rolled";
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_EQ(segment_files(dir.sub("age-0")), 2u) << "an empty segment must not roll";
}

// A segment that fills while acknowledgements of its synced batches are still queued: the writer finished a
// sync in one pass and framed a record that rolls the segment in the next, before it acknowledged (once an
// abort in finish_seal, seen in the python_configs test). Producers on one partition, several appends each
// in flight under sync durability, so records arrive just as syncs complete; every event is acknowledged
// once, at its offset.
TEST(TopicSegments, RollsWhileSyncedAppendsWaitForTheirAcknowledgement) {
  TestDir dir;
  auto log = Log::open(small_options(dir.path(), Durability::kSync)).value();
  const TopicId topic = log->topic("t", {.partitions = 1}).value();
  constexpr int kProducers = 4;
  constexpr int kPerProducer = 3000;
  constexpr std::size_t kWindow = 4;
  std::vector<std::thread> producers;
  std::atomic<int> acknowledged{0};
  for (int p = 0; p < kProducers; ++p) {
    producers.emplace_back([&] {
      auto producer = log->producer();
      const std::string value(1500, 'v');
      std::vector<Ticket> window;
      for (int i = 0; i < kPerProducer; ++i) {
        auto ticket = producer->append(topic, 0, {}, std::as_bytes(std::span(value)));
        ASSERT_TRUE(ticket);
        window.push_back(*ticket);
        if (window.size() == kWindow) {
          for (const auto& waiting : window) ASSERT_TRUE(producer->wait(waiting));
          acknowledged += static_cast<int>(window.size());
          window.clear();
        }
      }
      for (const auto& waiting : window) ASSERT_TRUE(producer->wait(waiting));
      acknowledged += static_cast<int>(window.size());
    });
  }
  for (auto& thread : producers) thread.join();
  ASSERT_EQ(acknowledged.load(), kProducers * kPerProducer);
  EXPECT_GE(segment_files(dir.sub("t-0")), 4u);
  auto reader = log->reader("t", 0).value();
  std::uint64_t next = 0;
  while (true) {
    auto polled = reader->poll(1000, [&](const Event& e) { EXPECT_EQ(e.offset, next++); });
    ASSERT_TRUE(polled);
    if (*polled == 0) break;
  }
  EXPECT_EQ(next, static_cast<std::uint64_t>(kProducers * kPerProducer));
}

std::vector<std::uint8_t> client_batch(std::size_t value_bytes, std::int64_t timestamp_ms) {
  kafka_spec::Batch b;
  b.base_offset = 0;
  b.partition_leader_epoch = -1;
  b.attributes = 0;
  b.last_offset_delta = 0;
  b.base_timestamp = timestamp_ms;
  b.max_timestamp = timestamp_ms;
  b.producer_id = -1;
  b.producer_epoch = -1;
  b.base_sequence = -1;
  kafka_spec::Record record;
  record.timestamp_delta = 0;
  record.offset_delta = 0;
  record.key = "k";
  record.value = std::string(value_bytes, 'x');
  b.records = {record};
  return kafka_spec::encode_batch(b);
}

std::span<const std::byte> as_span(const std::vector<std::uint8_t>& bytes) {
  return std::as_bytes(std::span(bytes.data(), bytes.size()));
}

TEST(TopicLimits, MaxMessageBytesRefusesLargerBatches) {
  TestDir dir;
  auto log = Log::open(small_options(dir.path())).value();
  TopicOptions options;
  options.configs = {{"max.message.bytes", "1000"}};
  const TopicId topic = log->topic("t", options).value();
  auto producer = log->producer();
  auto small = producer->append_batch(topic, 0, as_span(client_batch(100, 1000)));
  ASSERT_TRUE(small) << small.status().to_string();
  EXPECT_TRUE(producer->wait(*small).is_ok());
  auto large = producer->append_batch(topic, 0, as_span(client_batch(2000, 1000)));
  EXPECT_EQ(large.status().code(), StatusCode::kTooLarge);
  EXPECT_TRUE(contains(large.status(), "max.message.bytes")) << large.status().to_string();
}

TEST(TopicLimits, LogAppendTimeStampsClientBatchesWithAValidCrc) {
  TestDir dir;
  auto log = Log::open(small_options(dir.path())).value();
  TopicOptions options;
  options.configs = {{"message.timestamp.type", "LogAppendTime"}};
  const TopicId topic = log->topic("t", options).value();
  auto producer = log->producer();
  const std::int64_t before_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  ASSERT_TRUE(producer->wait(producer->append_batch(topic, 0, as_span(client_batch(10, 1000))).value()).is_ok());
  auto reader = log->reader("t").value();
  std::size_t batches = 0;
  (void)reader->poll_batches(1u << 20, [&](const BatchView& view) {
    const format::BatchHeader header = format::decode_batch_header(view.bytes);
    format::BatchHeader checked;
    EXPECT_TRUE(header.log_append_time());
    EXPECT_GE(header.max_timestamp_ms, before_ms) << "the append time, not the client's 1000";
    EXPECT_TRUE(format::validate_client_batch(view.bytes, 1u << 20, &checked).is_ok()) << "CRC recomputed";
    ++batches;
    return true;
  });
  EXPECT_EQ(batches, 1u);
  ASSERT_TRUE(reader->seek(0).is_ok());
  (void)reader->poll(1, [&](const Event& event) { EXPECT_GE(event.timestamp_us, before_ms * 1000); });
}

// Configs altered while producers append and the writer rolls and applies retention: every event is
// acknowledged at its dense offset and the partition reads back in order from where retention left it.
TEST(TopicConfigs, AlteredWhileProducersAppendLoseNothing) {
  TestDir dir;
  auto log = Log::open(small_options(dir.path(), Durability::kNone)).value();
  const TopicId topic = log->topic("t", {.partitions = 2}).value();
  constexpr int kPerProducer = 4000;
  std::atomic<bool> done{false};
  std::thread alterer([&] {
    const std::vector<TopicConfigs> variants = {{{"segment.bytes", "1048576"}, {"compression.type", "lz4"}},
                                                {{"segment.ms", "5"}, {"retention.bytes", "-1"}},
                                                {{"message.timestamp.type", "LogAppendTime"}}};
    for (int i = 0; !done.load() && i < 400; ++i) {
      ASSERT_TRUE(log->set_topic_configs("t", variants[i % variants.size()]).is_ok());
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  });
  std::vector<std::thread> producers;
  for (std::uint32_t p = 0; p < 2; ++p) {
    producers.emplace_back([&, p] {
      auto producer = log->producer();
      const std::string value(700, static_cast<char>('a' + p));
      for (int i = 0; i < kPerProducer; ++i) {
        auto ticket = producer->append(topic, p, {}, std::as_bytes(std::span(value)));
        ASSERT_TRUE(ticket);
        ASSERT_EQ(producer->wait(*ticket).value(), static_cast<std::uint64_t>(i));
      }
    });
  }
  for (auto& thread : producers) thread.join();
  done = true;
  alterer.join();
  for (std::uint32_t p = 0; p < 2; ++p) {
    auto reader = log->reader("t", p).value();
    std::uint64_t next = 0;
    while (next < kPerProducer) {
      auto polled = reader->poll(1000, [&](const Event& e) {
        EXPECT_EQ(e.offset, next++);
        EXPECT_EQ(e.value.size(), 700u);
      });
      ASSERT_TRUE(polled);
      if (*polled == 0) break;
    }
    EXPECT_EQ(next, static_cast<std::uint64_t>(kPerProducer)) << "partition " << p;
  }
}

}  // namespace
}  // namespace strata
