// Torn tails: damage the end of the active segment the ways a crash can, then open: recovery keeps exactly
// the batches that end before the damage, zeroes the rest, and appending continues at the next offset.
#include "engine/recovery.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <sys/stat.h>

#include <filesystem>
#include <random>

#include "engine/format.h"
#include "strata/log.h"
#include "tests/engine/read_all.h"
#include "tests/engine/small_options.h"
#include "tests/engine/test_dir.h"

namespace strata {
namespace {

using testing::read_all;
using testing::small_options;
using testing::TestDir;

enum class Damage { kTruncate, kGarbage, kZeros };

// Writes `count` events in batches of varied sizes; returns their values.
std::vector<std::string> fill(const std::string& dir, int count, std::mt19937_64& rng) {
  auto log = Log::open(small_options(dir, Durability::kSync)).value();
  const TopicId topic = log->topic("t").value();
  auto producer = log->producer();
  std::vector<std::string> values;
  for (int i = 0; i < count; ++i) {
    values.push_back(std::to_string(i) + ":" + std::string(rng() % 400, 'a' + static_cast<char>(i % 26)));
    auto ticket = producer->append(topic, "k", values.back()).value();
    if (rng() % 4 == 0) {
      EXPECT_TRUE(producer->wait(ticket).is_ok());  // cut batches here and there
    }
  }
  EXPECT_TRUE(producer->wait_all().is_ok());
  EXPECT_TRUE(log->close().is_ok());
  return values;
}

struct BatchSpan {
  std::uint64_t begin;  // file position of the batch
  std::uint64_t end;    // just past it (batches follow each other with no padding)
  std::size_t events;   // events up to and including it
};

// Every batch of the segment, walked with the format's own check.
std::vector<BatchSpan> batch_spans(const std::string& path) {
  auto scan = detail::scan_segment(path, 0);
  EXPECT_TRUE(scan) << scan.status().to_string();
  EXPECT_EQ(scan->problem, "");
  std::vector<BatchSpan> spans;
  auto file = io::File::open(path, io::OpenMode::kReadOnly).value();
  std::vector<std::byte> bytes(scan->valid_end);
  (void)file.read_at(bytes, 0).value();
  std::uint64_t position = 0;
  std::uint64_t offset = 0;
  while (position < scan->valid_end) {
    format::BatchHeader header;
    std::string reason;
    EXPECT_EQ(format::check_batch(std::span(bytes).subspan(position), offset, &header, &reason),
              format::BatchCheck::kValid);
    offset = header.next_offset();
    spans.push_back({position, position + header.total_bytes(), offset});
    position += header.total_bytes();
  }
  EXPECT_EQ(spans.size(), scan->batches);
  return spans;
}

void damage(const std::string& path, std::uint64_t position, Damage how, std::mt19937_64& rng) {
  const int fd = ::open(path.c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  if (how == Damage::kTruncate) {
    ASSERT_EQ(::ftruncate(fd, static_cast<off_t>(position)), 0);
  } else {
    std::vector<unsigned char> bytes(1 + rng() % 3000);
    for (auto& b : bytes) b = how == Damage::kZeros ? 0 : static_cast<unsigned char>(rng());
    ASSERT_EQ(::pwrite(fd, bytes.data(), bytes.size(), static_cast<off_t>(position)),
              static_cast<ssize_t>(bytes.size()));
  }
  ::close(fd);
}

enum class Where { kRandom, kInsideHeader, kInsideRecords };

// Where to damage: anywhere in the data, inside a batch's 61-byte header, or inside its records.
std::uint64_t damage_position(const std::vector<BatchSpan>& spans, Where where, std::mt19937_64& rng) {
  const BatchSpan& batch = spans[spans.size() / 2 + rng() % (spans.size() - spans.size() / 2)];
  switch (where) {
    case Where::kInsideHeader:
      return batch.begin + 1 + rng() % (format::kBatchHeaderBytes - 1);
    case Where::kInsideRecords:
      return batch.begin + format::kBatchHeaderBytes + rng() % (batch.end - batch.begin - format::kBatchHeaderBytes);
    case Where::kRandom:
      break;
  }
  return rng() % spans.back().end;
}

void check_torn_tail(Damage how, std::uint64_t seed, Where where = Where::kRandom) {
  std::mt19937_64 rng(seed);
  TestDir dir;
  const auto values = fill(dir.path(), 300, rng);
  const std::string segment = dir.sub("t-0") + "/" + format::segment_file_name(0);
  const auto spans = batch_spans(segment);
  ASSERT_GE(spans.size(), 2u);
  const std::uint64_t position = damage_position(spans, where, rng);
  damage(segment, position, how, rng);

  // Expected survivors: every batch that ends at or before the damage (zeros over zeros change nothing, and
  // garbage may happen to equal the bytes it replaced at the start: both keep more, never less).
  std::size_t kept_min = 0;
  for (const BatchSpan& span : spans) {
    if (span.end <= position) kept_min = span.events;
  }
  auto log = Log::open(small_options(dir.path()));
  ASSERT_TRUE(log) << log.status().to_string();
  const auto after = read_all(dir.sub("t-0"));
  ASSERT_GE(after.size(), kept_min) << "damage at " << position;
  for (std::size_t i = 0; i < after.size(); ++i) {
    ASSERT_EQ(after[i].offset, i);
    ASSERT_EQ(after[i].value, values[i]);
  }
  if (how == Damage::kTruncate) {
    EXPECT_EQ(after.size(), kept_min);
  }
  // Appending continues densely after what was kept.
  const TopicId topic = log.value()->topic("t").value();
  auto producer = log.value()->producer();
  auto offset = producer->wait(producer->append(topic, "", "next").value());
  ASSERT_TRUE(offset);
  EXPECT_EQ(*offset, after.size());
  ASSERT_TRUE(log.value()->close().is_ok());
  const auto final_events = read_all(dir.sub("t-0"));
  ASSERT_EQ(final_events.size(), after.size() + 1);
  EXPECT_EQ(final_events.back().value, "next");
  // And it survives another reopen: the append went where the next scan looks.
  auto reopened = Log::open(small_options(dir.path()));
  ASSERT_TRUE(reopened) << reopened.status().to_string();
  ASSERT_TRUE(reopened.value()->close().is_ok());
  EXPECT_EQ(read_all(dir.sub("t-0")).size(), after.size() + 1);
}

TEST(Recovery, TruncatedTailKeepsTheValidPrefix) {
  for (std::uint64_t seed = 1; seed <= 8; ++seed) check_torn_tail(Damage::kTruncate, seed);
}

// A file cut inside a batch's 61-byte header keeps the batches before it; the next append lands where the
// next scan looks (no padding: right after the last whole batch).
TEST(Recovery, TailCutInsideABatchHeaderKeepsThePrefixAndLaterAppends) {
  for (std::uint64_t seed = 31; seed <= 36; ++seed) check_torn_tail(Damage::kTruncate, seed, Where::kInsideHeader);
}

TEST(Recovery, TailCutInsideTheRecordsKeepsThePrefixAndLaterAppends) {
  for (std::uint64_t seed = 41; seed <= 46; ++seed) check_torn_tail(Damage::kTruncate, seed, Where::kInsideRecords);
}

TEST(Recovery, GarbageInsideABatchHeaderOrItsRecordsDropsThatBatchOn) {
  for (std::uint64_t seed = 51; seed <= 54; ++seed) check_torn_tail(Damage::kGarbage, seed, Where::kInsideHeader);
  for (std::uint64_t seed = 55; seed <= 58; ++seed) check_torn_tail(Damage::kGarbage, seed, Where::kInsideRecords);
}

TEST(Recovery, GarbageTailKeepsTheValidPrefix) {
  for (std::uint64_t seed = 11; seed <= 18; ++seed) check_torn_tail(Damage::kGarbage, seed);
}

TEST(Recovery, ZeroedTailKeepsTheValidPrefix) {
  for (std::uint64_t seed = 21; seed <= 28; ++seed) check_torn_tail(Damage::kZeros, seed);
}

TEST(Recovery, ReportsWhatItDropped) {
  std::mt19937_64 rng(99);
  TestDir dir;
  fill(dir.path(), 50, rng);
  const std::string segment = dir.sub("t-0") + "/" + format::segment_file_name(0);
  damage(segment, 100, Damage::kGarbage, rng);
  auto log = Log::open(small_options(dir.path())).value();
  const std::string report = log->stats().recovery_report;
  EXPECT_NE(report.find("torn tail"), std::string::npos) << report;
  EXPECT_NE(report.find(segment), std::string::npos) << report;
}

// Garbage at byte 0 of the only segment (there is no file header to protect): nothing of it is kept, and
// the partition starts again at offset 0.
TEST(Recovery, GarbageAtTheStartOfTheActiveSegmentKeepsNothingOfIt) {
  std::mt19937_64 rng(7);
  TestDir dir;
  fill(dir.path(), 10, rng);
  const std::string segment = dir.sub("t-0") + "/" + format::segment_file_name(0);
  damage(segment, 0, Damage::kGarbage, rng);
  auto log = Log::open(small_options(dir.path()));
  ASSERT_TRUE(log) << log.status().to_string();
  EXPECT_TRUE(read_all(dir.sub("t-0")).empty());
  const TopicId topic = log.value()->topic("t").value();
  auto producer = log.value()->producer();
  EXPECT_EQ(producer->wait(producer->append(topic, "", "again").value()).value(), 0u);
}

// A segment followed by another was sealed: when its index is gone and its data damaged, that is not a torn
// tail to drop but corruption, named with the file.
TEST(Recovery, DamagedSealedSegmentWithoutIndexIsCorruptionNamingTheFile) {
  TestDir dir;
  {
    auto log = Log::open(small_options(dir.path(), Durability::kNone)).value();
    const TopicId topic = log->topic("t").value();
    auto producer = log->producer();
    for (int i = 0; i < 4000; ++i) ASSERT_TRUE(producer->append(topic, "", std::string(1000, 'x')).is_ok());
    ASSERT_TRUE(producer->wait_all().is_ok());
  }
  const std::string segment = dir.sub("t-0") + "/" + format::segment_file_name(0);
  const std::string index = dir.sub("t-0") + "/" + format::index_file_name(0);
  ASSERT_TRUE(std::filesystem::exists(index));
  std::filesystem::remove(index);
  ::chmod(segment.c_str(), 0644);
  std::mt19937_64 rng(3);
  damage(segment, 5000, Damage::kGarbage, rng);
  auto log = Log::open(small_options(dir.path()));
  ASSERT_FALSE(log);
  EXPECT_EQ(log.status().code(), StatusCode::kCorruption);
  EXPECT_NE(log.status().message().find(segment), std::string::npos) << log.status().to_string();
}

}  // namespace
}  // namespace strata
