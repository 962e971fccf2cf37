// The key index: conditional appends (exact, decided in the writer's order, across restarts and kill -9) and
// reading one key's events (across segments, after recovery with the index files deleted or corrupted).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "engine/key_index.h"
#include "strata/key_reader.h"
#include "strata/log.h"
#include "tests/engine/small_options.h"
#include "tests/engine/test_dir.h"

namespace strata {
namespace {

using testing::small_options;
using testing::TestDir;

std::span<const std::byte> bytes_of(std::string_view text) {
  return std::as_bytes(std::span(text.data(), text.size()));
}

const TopicOptions kIndexed{.partitions = 1, .configs = {{"strata.key-index", "true"}}};

Result<std::uint64_t> append_expecting(Producer& producer, TopicId topic, std::string_view key, std::string_view value,
                                       Expected expected) {
  auto ticket = producer.append(topic, 0, bytes_of(key), bytes_of(value), {}, {.expected = expected});
  if (!ticket) return ticket.status();
  return producer.wait(*ticket);
}

// key -> its offsets, read with a KeyReader.
std::vector<std::uint64_t> key_offsets(KeyReader& reader, std::string_view key, std::uint64_t from = 0) {
  std::vector<std::uint64_t> offsets;
  auto read = reader.read(bytes_of(key), from, SIZE_MAX, [&](const Event& event) {
    EXPECT_EQ(std::string_view(reinterpret_cast<const char*>(event.key.data()), event.key.size()), key);
    offsets.push_back(event.offset);
  });
  EXPECT_TRUE(read.is_ok()) << read.status().to_string();
  return offsets;
}

TEST(ConditionalAppend, StoresOnlyWhenTheKeysLastOffsetIsTheExpectedOne) {
  TestDir dir;
  auto log = Log::open(small_options(dir.path())).value();
  const TopicId topic = log->topic("orders", kIndexed).value();
  auto producer = log->producer();
  EXPECT_EQ(append_expecting(*producer, topic, "a", "1", Expected::no_event()).value(), 0u);
  EXPECT_EQ(append_expecting(*producer, topic, "b", "1", Expected::no_event()).value(), 1u);
  auto again = append_expecting(*producer, topic, "a", "2", Expected::no_event());
  ASSERT_EQ(again.status().code(), StatusCode::kConflict) << again.status().to_string();
  EXPECT_EQ(again.status().conflict_offset(), 0);
  EXPECT_EQ(append_expecting(*producer, topic, "a", "2", Expected::offset(0)).value(), 2u);
  auto stale = append_expecting(*producer, topic, "a", "3", Expected::offset(0));
  ASSERT_EQ(stale.status().code(), StatusCode::kConflict);
  EXPECT_EQ(stale.status().conflict_offset(), 2);
  auto none = append_expecting(*producer, topic, "c", "1", Expected::offset(1));
  ASSERT_EQ(none.status().code(), StatusCode::kConflict);
  EXPECT_EQ(none.status().conflict_offset(), -1);
  EXPECT_EQ(append_expecting(*producer, topic, "a", "3", Expected::any()).value(), 3u);
  // Nothing was stored for the refused ones: offsets stay dense.
  EXPECT_EQ(log->offsets(topic, 0).value().durable, 4u);
}

TEST(ConditionalAppend, NeedsAKeyIndexAndAKey) {
  TestDir dir;
  auto log = Log::open(small_options(dir.path())).value();
  const TopicId plain = log->topic("plain").value();
  const TopicId indexed = log->topic("indexed", kIndexed).value();
  auto producer = log->producer();
  auto refused = producer->append(plain, 0, bytes_of("k"), bytes_of("v"), {}, {.expected = Expected::no_event()});
  EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(refused.status().message().find("strata.key-index"), std::string::npos);
  auto keyless = producer->append(indexed, 0, {}, bytes_of("v"), {}, {.expected = Expected::no_event()});
  EXPECT_EQ(keyless.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(log->key_reader("plain").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(log->set_topic_configs("indexed", {}).code(), StatusCode::kInvalidArgument);
}

// N threads race on one key, each expecting the last offset it knows of and learning the real one from its
// conflicts: every expected offset has exactly one winner, and the winners form the key's chain.
TEST(ConditionalAppend, RacingProducersHaveOneWinnerPerExpectedOffset) {
  TestDir dir;
  auto log = Log::open(small_options(dir.path())).value();
  const TopicId topic = log->topic("orders", kIndexed).value();
  constexpr int kThreads = 4;
  constexpr int kWinsPerThread = 150;
  std::mutex mutex;
  std::map<std::int64_t, std::uint64_t> winner_of;  // expected (-1: none) -> the offset that won it
  std::atomic<int> conflicts{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      auto producer = log->producer();
      std::int64_t known = -1;
      for (int wins = 0; wins < kWinsPerThread;) {
        const Expected expected = known < 0 ? Expected::no_event() : Expected::offset(static_cast<std::uint64_t>(known));
        auto offset = append_expecting(*producer, topic, "order-1", "event", expected);
        if (offset) {
          std::lock_guard lock(mutex);
          EXPECT_TRUE(winner_of.emplace(known, *offset).second) << "two winners expecting " << known;
          known = static_cast<std::int64_t>(*offset);
          ++wins;
        } else {
          ASSERT_EQ(offset.status().code(), StatusCode::kConflict) << offset.status().to_string();
          known = offset.status().conflict_offset();
          conflicts.fetch_add(1);
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  ASSERT_EQ(winner_of.size(), static_cast<std::size_t>(kThreads * kWinsPerThread));
  // The chain: -1 -> 0 -> 1 -> ... every event of the partition is one win.
  std::int64_t expected = -1;
  for (std::size_t i = 0; i < winner_of.size(); ++i) {
    const auto it = winner_of.find(expected);
    ASSERT_NE(it, winner_of.end()) << "no winner expecting " << expected;
    EXPECT_EQ(it->second, i);
    expected = static_cast<std::int64_t>(it->second);
  }
  EXPECT_EQ(log->offsets(topic, 0).value().durable, winner_of.size());
  auto reader = log->key_reader("orders").value();
  EXPECT_EQ(key_offsets(*reader, "order-1").size(), winner_of.size());
}

// Appends `events` events over `keys` keys (key i%keys), returns key -> offsets.
std::map<std::string, std::vector<std::uint64_t>> fill(Log& log, TopicId topic, int events, int keys) {
  auto producer = log.producer();
  std::map<std::string, std::vector<std::uint64_t>> expected;
  std::vector<std::pair<std::string, Ticket>> tickets;
  const std::string value(200, 'v');
  for (int i = 0; i < events; ++i) {
    const std::string key = "key-" + std::to_string(i % keys);
    tickets.emplace_back(key, producer->append(topic, 0, bytes_of(key), bytes_of(value)).value());
    if (tickets.size() == 512 || i + 1 == events) {  // within small_options' appends_in_flight_max
      for (const auto& [k, ticket] : tickets) expected[k].push_back(producer->wait(ticket).value());
      tickets.clear();
    }
  }
  return expected;
}

void expect_key_reads(KeyReader& reader, const std::map<std::string, std::vector<std::uint64_t>>& expected) {
  for (const auto& [key, offsets] : expected) {
    EXPECT_EQ(key_offsets(reader, key), offsets) << key;
    const std::uint64_t middle = offsets[offsets.size() / 2];
    const std::vector<std::uint64_t> tail(offsets.begin() + static_cast<std::ptrdiff_t>(offsets.size() / 2),
                                          offsets.end());
    EXPECT_EQ(key_offsets(reader, key, middle), tail) << key << " from " << middle;
  }
  EXPECT_TRUE(key_offsets(reader, "no-such-key").empty());
}

std::vector<std::string> key_files(const std::string& partition_dir) {
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(partition_dir)) {
    if (entry.path().extension() == ".strata-keys") files.push_back(entry.path());
  }
  return files;
}

TEST(KeyReader, ReadsOneKeyAcrossSegmentsLiveAndFromTheDirectory) {
  TestDir dir;
  std::map<std::string, std::vector<std::uint64_t>> expected;
  {
    auto log = Log::open(small_options(dir.path())).value();
    const TopicId topic = log->topic("orders", kIndexed).value();
    expected = fill(*log, topic, 20000, 37);  // ~5 MB: several 1 MiB segments
    ASSERT_GE(log->stats().topics[0].segments, 3u);
    auto live = log->key_reader("orders").value();
    expect_key_reads(*live, expected);
    // Another process's view, beside the live writer.
    auto detached = KeyReader::open(dir.path(), "orders").value();
    expect_key_reads(*detached, expected);
  }
  ASSERT_GE(key_files(dir.sub("orders-0")).size(), 3u);
  auto detached = KeyReader::open(dir.path(), "orders").value();
  expect_key_reads(*detached, expected);
}

// A key whose events are segments apart (none in the ones between): its reader jumps over those, live and
// from the directory, and reads from an offset inside the gap.
TEST(KeyReader, ReadsAKeyWhoseEventsSkipSegments) {
  TestDir dir;
  std::vector<std::uint64_t> sparse;
  {
    auto log = Log::open(small_options(dir.path())).value();
    const TopicId topic = log->topic("orders", kIndexed).value();
    auto producer = log->producer();
    for (int round = 0; round < 3; ++round) {
      sparse.push_back(append_expecting(*producer, topic, "sparse", "s", Expected::any()).value());
      fill(*log, topic, 6000, 13);  // ~1.3 MB: at least one whole 1 MiB segment without "sparse"
    }
    sparse.push_back(append_expecting(*producer, topic, "sparse", "s", Expected::any()).value());
    ASSERT_GE(log->stats().topics[0].segments, 4u);
    auto live = log->key_reader("orders").value();
    EXPECT_EQ(key_offsets(*live, "sparse"), sparse);
    EXPECT_EQ(key_offsets(*live, "sparse", sparse[1] - 1), std::vector(sparse.begin() + 1, sparse.end()));
  }
  auto detached = KeyReader::open(dir.path(), "orders").value();
  EXPECT_EQ(key_offsets(*detached, "sparse"), sparse);
  EXPECT_EQ(key_offsets(*detached, "sparse", sparse[2]), std::vector(sparse.begin() + 2, sparse.end()));
}

// The key file lists each key's events of the segment as one run: keyless events and emptied offsets left
// out, a chain reaching an emptied offset ended, the offset before the segment kept, keys without an event in
// the segment dropped; lookups find every key among many (hashes anywhere in the 64-bit range).
TEST(KeyIndex, KeyFileListsEachKeysEventsInOneRun) {
  using detail::kGapPosition;
  using detail::kNoOffset;
  TestDir dir;
  const auto write = [&](std::uint64_t base, const std::vector<std::byte>& bytes) {
    std::ofstream(detail::key_file_path(dir.path(), base), std::ios::binary | std::ios::trunc)
        .write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  };
  const std::uint64_t a = 5;
  const std::uint64_t b = UINT64_MAX - 1;
  const std::uint64_t c = 1ull << 63;
  // Offsets 100..107: a at 100, 103, 107 (and 42 before the segment); b at 101, 105; 102 without a key;
  // 104 emptied by compaction; c at 106, whose chain led to 104.
  const std::vector<std::uint64_t> prev{42, kNoOffset, kNoOffset, 100, kNoOffset, 101, 104, 103};
  const std::vector<std::uint32_t> positions{0, 0, 500, 500, kGapPosition, 900, 900, 1300};
  write(100, detail::encode_key_file(100, prev, positions, {{c, 106}, {a, 107}, {b, 105}, {9, 42}}));
  auto file = detail::SegmentKeyFile::open(dir.path(), 100, 108, /*verify=*/true);
  ASSERT_TRUE(file.is_ok()) << file.status().to_string();
  const auto run = [&](std::uint64_t hash) {
    std::vector<std::pair<std::uint64_t, std::uint32_t>> events;
    detail::SegmentKeyFile::KeyEvents found;
    if (!file->find(hash, &found)) return std::pair(events, kNoOffset - 1);
    for (std::uint64_t i = found.first; i < found.end; ++i) events.emplace_back(file->offset(i), file->position(i));
    return std::pair(events, found.before);
  };
  using Run = std::vector<std::pair<std::uint64_t, std::uint32_t>>;
  EXPECT_EQ(run(a), std::pair(Run{{100, 0}, {103, 500}, {107, 1300}}, std::uint64_t{42}));
  EXPECT_EQ(run(b), std::pair(Run{{101, 0}, {105, 900}}, kNoOffset));
  EXPECT_EQ(run(c), std::pair(Run{{106, 900}}, kNoOffset));
  EXPECT_EQ(run(9).second, kNoOffset - 1);  // its last event is before the segment: not listed
  EXPECT_EQ(file->last_offset(a), 107u);
  EXPECT_EQ(file->last_offset(c), 106u);
  EXPECT_EQ(file->last_offset(7), kNoOffset);
  std::map<std::uint64_t, std::uint64_t> listed;
  file->for_each_key([&](std::uint64_t hash, std::uint64_t last) { listed[hash] = last; });
  EXPECT_EQ(listed, (std::map<std::uint64_t, std::uint64_t>{{a, 107}, {c, 106}, {b, 105}}));
  EXPECT_EQ(detail::SegmentKeyFile::open(dir.path(), 100, 109, false).status().code(), StatusCode::kCorruption);

  // 20000 keys of one event each, random hashes (and a few at the ends of the range).
  std::mt19937_64 random(7);
  std::set<std::uint64_t> hashes{0, 1, UINT64_MAX};
  while (hashes.size() < 20000) hashes.insert(random());
  std::vector<std::pair<std::uint64_t, std::uint64_t>> keys;
  for (const std::uint64_t hash : hashes) keys.emplace_back(hash, 1000 + keys.size());
  const std::vector<std::uint64_t> chainless(keys.size(), kNoOffset);
  const std::vector<std::uint32_t> at(keys.size(), 0);
  write(1000, detail::encode_key_file(1000, chainless, at, keys));
  file = detail::SegmentKeyFile::open(dir.path(), 1000, 1000 + keys.size(), /*verify=*/true);
  ASSERT_TRUE(file.is_ok()) << file.status().to_string();
  for (const auto& [hash, offset] : keys) ASSERT_EQ(file->last_offset(hash), offset) << hash;
  for (int i = 0; i < 20000; ++i) {
    const std::uint64_t absent = random();
    if (!hashes.contains(absent)) {
      ASSERT_EQ(file->last_offset(absent), kNoOffset) << absent;
    }
  }
}

// Invariant 8: the key files are derived. Deleted or corrupted, the next open rebuilds them, conditional
// appends stay exact, and key reads give the same answers.
TEST(KeyReader, RecoveryRebuildsDeletedAndCorruptKeyFiles) {
  TestDir dir;
  std::map<std::string, std::vector<std::uint64_t>> expected;
  {
    auto log = Log::open(small_options(dir.path())).value();
    expected = fill(*log, log->topic("orders", kIndexed).value(), 15000, 11);
  }
  auto files = key_files(dir.sub("orders-0"));
  ASSERT_GE(files.size(), 2u);
  std::filesystem::remove(files[0]);
  {
    std::fstream corrupt(files[1], std::ios::in | std::ios::out | std::ios::binary);
    corrupt.seekp(4096);
    corrupt.write("garbage!", 8);
  }
  auto log = Log::open(small_options(dir.path())).value();
  EXPECT_NE(log->stats().recovery_report.find("checksum mismatch"), std::string::npos) << log->stats().recovery_report;
  EXPECT_EQ(key_files(dir.sub("orders-0")).size(), files.size());
  auto reader = log->key_reader("orders").value();
  expect_key_reads(*reader, expected);
  const TopicId topic = log->find_topic("orders").value();
  auto producer = log->producer();
  for (const auto& [key, offsets] : expected) {
    auto stale = append_expecting(*producer, topic, key, "x", Expected::offset(offsets.front()));
    ASSERT_EQ(stale.status().code(), StatusCode::kConflict) << key;
    EXPECT_EQ(stale.status().conflict_offset(), static_cast<std::int64_t>(offsets.back()));
    EXPECT_TRUE(append_expecting(*producer, topic, key, "x", Expected::offset(offsets.back())).is_ok()) << key;
  }
}

// kill -9 while conditional appends flow: after reopening, each key's last offset (as the conditional append
// sees it) is the last one on disk, whatever was lost with the process.
TEST(ConditionalAppend, ExactAfterKill9) {
  TestDir dir;
  {
    auto log = Log::open(small_options(dir.path())).value();
    (void)log->topic("orders", kIndexed).value();
  }
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto log = Log::open(small_options(dir.path())).value();
    const TopicId topic = log->find_topic("orders").value();
    auto producer = log->producer();
    std::map<int, std::int64_t> last;
    for (int i = 0;; ++i) {
      const int key = i % 50;
      const auto known = last.find(key);
      const Expected expected = known == last.end() ? Expected::no_event() : Expected::offset(known->second);
      auto offset = append_expecting(*producer, topic, "k" + std::to_string(key), std::string(300, 'v'), expected);
      if (!offset) ::_exit(3);  // never a conflict: this process is the only writer
      last[key] = static_cast<std::int64_t>(*offset);
    }
  }
  // Killed once its appends got past the first 50 keys (on a loaded machine each waits for an fdatasync that
  // can take tens of milliseconds: a fixed delay killed it after 4), then a little later.
  auto watcher = Reader::open(dir.path(), "orders", 0, ReadLevel::kDurable).value();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (watcher->end_offset() <= 60 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the child stopped by itself: " << status;
  watcher.reset();
  auto log = Log::open(small_options(dir.path())).value();
  const TopicId topic = log->find_topic("orders").value();
  ASSERT_GT(log->offsets(topic, 0).value().durable, 50u);
  auto reader = log->key_reader("orders").value();
  auto producer = log->producer();
  for (int key = 0; key < 50; ++key) {
    const std::string name = "k" + std::to_string(key);
    const auto offsets = key_offsets(*reader, name);
    ASSERT_FALSE(offsets.empty()) << name;
    auto next = append_expecting(*producer, topic, name, "after", Expected::offset(offsets.back()));
    EXPECT_TRUE(next.is_ok()) << name << ": " << next.status().to_string();
  }
}

}  // namespace
}  // namespace strata
