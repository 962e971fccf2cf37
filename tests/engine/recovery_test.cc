// Torn tails: damage the end of the active segment the ways a crash can, then open: recovery keeps exactly
// the batches that end before the damage, zeroes the rest, and appending continues at the next offset.
#include "engine/recovery.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

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

// File positions where each batch's bytes end (before its padding), with the number of events up to it.
std::vector<std::pair<std::uint64_t, std::size_t>> batch_ends(const std::string& path) {
  auto scan = detail::scan_segment(path, 1);
  std::vector<std::pair<std::uint64_t, std::size_t>> ends;
  auto file = io::File::open(path, io::OpenMode::kReadOnly).value();
  std::vector<std::byte> bytes(scan->valid_end);
  (void)file.read_at(bytes, 0).value();
  std::uint64_t position = format::kSegmentHeaderBytes;
  std::uint64_t offset = 0;
  while (position < scan->valid_end) {
    format::BatchInfo info{};
    std::string reason;
    EXPECT_EQ(format::check_batch(std::span(bytes).subspan(position), offset, &info, &reason),
              format::BatchCheck::kValid);
    offset += info.header.record_count;
    ends.emplace_back(position + info.header.batch_bytes, offset);
    position += info.padded_bytes;
  }
  return ends;
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

enum class Where { kRandom, kInsidePadding };

// Where to damage: anywhere in the data, or right after a batch's bytes, inside its padding to 8.
std::uint64_t damage_position(const std::vector<std::pair<std::uint64_t, std::size_t>>& ends, Where where,
                              std::mt19937_64& rng) {
  if (where == Where::kInsidePadding) {
    for (const auto& [end, events] : ends) {
      if (end % format::kBatchAlignment != 0) return end;
    }
    ADD_FAILURE() << "no batch with padding";
  }
  const std::uint64_t data_end = format::padded_batch_bytes(ends.back().first);
  return format::kSegmentHeaderBytes + rng() % (data_end - format::kSegmentHeaderBytes);
}

void check_torn_tail(Damage how, std::uint64_t seed, Where where = Where::kRandom) {
  std::mt19937_64 rng(seed);
  TestDir dir;
  const auto values = fill(dir.path(), 300, rng);
  const std::string segment = dir.sub("t") + "/" + format::segment_file_name(0);
  const auto ends = batch_ends(segment);
  ASSERT_FALSE(ends.empty());
  const std::uint64_t position = damage_position(ends, where, rng);
  damage(segment, position, how, rng);

  // Expected survivors: every batch that ends at or before the damage (zeros over zeros change nothing, and
  // garbage may happen to equal the bytes it replaced at the start: both keep more, never less).
  std::size_t kept_min = 0;
  for (const auto& [end, events] : ends) {
    if (end <= position) kept_min = events;
  }
  auto log = Log::open(small_options(dir.path()));
  ASSERT_TRUE(log) << log.status().to_string();
  const auto after = read_all(dir.sub("t"));
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
  const auto final_events = read_all(dir.sub("t"));
  ASSERT_EQ(final_events.size(), after.size() + 1);
  EXPECT_EQ(final_events.back().value, "next");
}

TEST(Recovery, TruncatedTailKeepsTheValidPrefix) {
  for (std::uint64_t seed = 1; seed <= 8; ++seed) check_torn_tail(Damage::kTruncate, seed);
}

// Regression: a file cut inside a batch's padding kept the batch but resumed appending at the unaligned
// cut, where no later scan looked, so the next acknowledged event vanished on reopen.
TEST(Recovery, TailCutInsidePaddingKeepsTheBatchAndLaterAppends) {
  for (std::uint64_t seed = 31; seed <= 34; ++seed) {
    check_torn_tail(Damage::kTruncate, seed, Where::kInsidePadding);
  }
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
  const std::string segment = dir.sub("t") + "/" + format::segment_file_name(0);
  damage(segment, format::kSegmentHeaderBytes + 100, Damage::kGarbage, rng);
  auto log = Log::open(small_options(dir.path())).value();
  const std::string report = log->stats().recovery_report;
  EXPECT_NE(report.find("torn tail"), std::string::npos) << report;
  EXPECT_NE(report.find(segment), std::string::npos) << report;
}

TEST(Recovery, CorruptSegmentHeaderIsAnErrorNamingTheFile) {
  std::mt19937_64 rng(7);
  TestDir dir;
  fill(dir.path(), 10, rng);
  const std::string segment = dir.sub("t") + "/" + format::segment_file_name(0);
  damage(segment, 3, Damage::kGarbage, rng);
  auto log = Log::open(small_options(dir.path()));
  ASSERT_FALSE(log);
  EXPECT_EQ(log.status().code(), StatusCode::kCorruption);
  EXPECT_NE(log.status().message().find(segment), std::string::npos) << log.status().to_string();
}

}  // namespace
}  // namespace strata
