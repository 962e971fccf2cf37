#include "strata/log.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <map>
#include <thread>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/format.h"
#include "io/file.h"
#include "io/io_queue.h"
#include "tests/engine/read_all.h"
#include "tests/engine/small_options.h"
#include "tests/engine/test_dir.h"

namespace strata {
namespace {

using testing::read_all;
using testing::small_options;
using testing::TestDir;

TEST(Log, AppendWaitReturnsDenseOffsetsAndDataIsOnDisk) {
  TestDir dir;
  auto log = Log::open(small_options(dir.path()));
  ASSERT_TRUE(log) << log.status().to_string();
  const TopicId topic = log.value()->topic("orders").value();
  auto producer = log.value()->producer();
  for (int i = 0; i < 100; ++i) {
    auto ticket = producer->append(topic, "k" + std::to_string(i), "value " + std::to_string(i));
    ASSERT_TRUE(ticket) << ticket.status().to_string();
    auto offset = producer->wait(ticket.value());
    ASSERT_TRUE(offset) << offset.status().to_string();
    EXPECT_EQ(offset.value(), static_cast<std::uint64_t>(i));
  }
  const auto events = read_all(dir.sub("orders-0"));
  ASSERT_EQ(events.size(), 100u);
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(events[i].offset, static_cast<std::uint64_t>(i));
    EXPECT_EQ(events[i].key, "k" + std::to_string(i));
    EXPECT_EQ(events[i].value, "value " + std::to_string(i));
  }
  // Where io_uring takes fixed buffers (it does on the kernels this project runs on), staging is one.
  const LogStats stats = log.value()->stats();
  if (stats.io_backend.rfind("io_uring", 0) == 0) {
    EXPECT_TRUE(stats.topics[0].io_uring_registered_staging) << stats.io_backend;
  }
  EXPECT_TRUE(log.value()->close().is_ok());
}

// A synced append that ends inside a block costs one write and one fdatasync, not a write of the whole blocks
// and another of the padded tail block, each with its own sync (a Kafka produce of 1 MB paid two syncs).
TEST(Log, SyncedAppendEndingInsideABlockIsOneWriteAndOneSync) {
  TestDir dir;
  auto log = Log::open(small_options(dir.path(), Durability::kSync)).value();
  const TopicId topic = log->topic("t").value();
  auto producer = log->producer();
  ASSERT_TRUE(producer->wait(producer->append(topic, "", "first").value()));
  const LogStats before = log->stats();
  const std::string value(10'000, 'v');  // with the first event's block, it ends inside the fourth block
  ASSERT_TRUE(producer->wait(producer->append(topic, "", value).value()));
  const LogStats after = log->stats();
  EXPECT_EQ(after.writes - before.writes, 1u);
  EXPECT_EQ(after.syncs - before.syncs, 1u);
  EXPECT_TRUE(log->close().is_ok());
}

TEST(Log, EveryDurabilityAcknowledgesEverything) {
  for (const Durability durability : {Durability::kNone, Durability::kBatch, Durability::kSync}) {
    TestDir dir;
    auto log = Log::open(small_options(dir.path(), durability)).value();
    const TopicId topic = log->topic("t").value();
    auto producer = log->producer();
    for (int i = 0; i < 5000; ++i) ASSERT_TRUE(producer->append(topic, "", std::string(50, 'x')).is_ok());
    EXPECT_TRUE(producer->wait_all().is_ok());
    EXPECT_EQ(log->stats().topics[0].durable_offset, 5000u);
    EXPECT_TRUE(log->close().is_ok());
    EXPECT_EQ(read_all(dir.sub("t-0")).size(), 5000u);
  }
}

TEST(Log, ReopenContinuesOffsets) {
  TestDir dir;
  {
    auto log = Log::open(small_options(dir.path())).value();
    auto producer = log->producer();
    const TopicId topic = log->topic("t").value();
    for (int i = 0; i < 10; ++i) ASSERT_TRUE(producer->append(topic, "", "first").is_ok());
    ASSERT_TRUE(producer->wait_all().is_ok());
  }
  auto log = Log::open(small_options(dir.path())).value();
  auto producer = log->producer();
  const TopicId topic = log->topic("t").value();
  auto ticket = producer->append(topic, "", "second").value();
  EXPECT_EQ(producer->wait(ticket).value(), 10u);
  ASSERT_TRUE(log->close().is_ok());
  const auto events = read_all(dir.sub("t-0"));
  ASSERT_EQ(events.size(), 11u);
  EXPECT_EQ(events[10].value, "second");
}

TEST(Log, SmallSegmentsRollAndSeal) {
  TestDir dir;
  auto log = Log::open(small_options(dir.path(), Durability::kNone)).value();
  const TopicId topic = log->topic("t").value();
  auto producer = log->producer();
  const std::string value(1000, 'v');
  for (int i = 0; i < 3000; ++i) ASSERT_TRUE(producer->append(topic, std::to_string(i), value).is_ok());
  ASSERT_TRUE(producer->wait_all().is_ok());
  ASSERT_TRUE(log->close().is_ok());
  EXPECT_GE(log->stats().topics[0].segments, 3u);
  const auto events = read_all(dir.sub("t-0"));
  ASSERT_EQ(events.size(), 3000u);
  for (int i = 0; i < 3000; ++i) ASSERT_EQ(events[i].key, std::to_string(i));
}

TEST(Log, ManyThreadsSharedAndOwnProducers) {
  TestDir dir;
  auto log = Log::open(small_options(dir.path(), Durability::kBatch)).value();
  const TopicId a = log->topic("a").value();
  const TopicId b = log->topic("b").value();
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      auto own = log->producer();
      Producer& shared = log->shared_producer();
      for (int i = 0; i < 2000; ++i) {
        const std::string key = std::to_string(t) + ":" + std::to_string(i);
        ASSERT_TRUE(own->append(i % 2 ? a : b, key, "own").is_ok());
        ASSERT_TRUE(shared.append(a, key, "shared").is_ok());
      }
      ASSERT_TRUE(own->wait_all().is_ok());
    });
  }
  for (auto& thread : threads) thread.join();
  ASSERT_TRUE(log->flush().is_ok());
  ASSERT_TRUE(log->close().is_ok());
  const auto events_a = read_all(dir.sub("a-0"));
  const auto events_b = read_all(dir.sub("b-0"));
  EXPECT_EQ(events_a.size() + events_b.size(), 4u * 2000 * 2);
  // Every append exactly once, and per producer order within each topic: the appends of one (thread,
  // producer) appear in increasing i, in topic a and in topic b alike.
  std::map<std::string, int> seen;  // "<topic>/<thread>:<i>/<producer>" -> count
  for (const auto& [name, events] : {std::pair{"a", &events_a}, std::pair{"b", &events_b}}) {
    std::map<std::string, int> last;  // "<thread>/<producer>" -> last i
    for (std::size_t n = 0; n < events->size(); ++n) {
      const auto& e = (*events)[n];
      ASSERT_EQ(e.offset, n) << "topic " << name;
      const std::string thread_value = e.key.substr(0, e.key.find(':')) + "/" + e.value;
      const int i = std::stoi(e.key.substr(e.key.find(':') + 1));
      auto it = last.find(thread_value);
      if (it != last.end()) {
        EXPECT_LT(it->second, i) << "topic " << name << ", " << thread_value << " out of order";
      }
      last[thread_value] = i;
      ++seen[std::string(name) + "/" + e.key + "/" + e.value];
    }
  }
  for (int t = 0; t < 4; ++t) {
    for (int i = 0; i < 2000; ++i) {
      const std::string key = std::to_string(t) + ":" + std::to_string(i);
      EXPECT_EQ(seen[std::string(i % 2 ? "a" : "b") + "/" + key + "/own"], 1) << key;
      EXPECT_EQ(seen["a/" + key + "/shared"], 1) << key;
    }
  }
  EXPECT_EQ(seen.size(), 4u * 2000 * 2);
}

TEST(Log, TopicNamesAreValidated) {
  TestDir dir;
  auto log = Log::open(small_options(dir.path())).value();
  const std::vector<std::string> bad_names = {
      "", ".", "..", "a/b", "../x", std::string(129, 'a'), "sp ace", std::string("nul\0x", 5)};
  for (const std::string& bad : bad_names) {
    auto topic = log->topic(bad);
    EXPECT_FALSE(topic) << bad;
    if (!topic) {
      EXPECT_EQ(topic.status().code(), StatusCode::kInvalidArgument);
    }
  }
  EXPECT_TRUE(log->topic("Valid.name_1-2"));
  EXPECT_TRUE(log->topic(std::string(128, 'a')));
}

TEST(Log, SecondOpenOfTheSameDirectoryIsBusy) {
  TestDir dir;
  auto first = Log::open(small_options(dir.path())).value();
  auto second = Log::open(small_options(dir.path()));
  ASSERT_FALSE(second);
  EXPECT_EQ(second.status().code(), StatusCode::kBusy);
  EXPECT_NE(second.status().message().find("LOCK"), std::string::npos);
}

TEST(Log, PwriteFallbackWorksAndSaysSo) {
  TestDir dir;
  LogOptions options = small_options(dir.path());
  options.io_mode = IoMode::kPwrite;
  auto log = Log::open(options).value();
  EXPECT_NE(log->stats().io_backend.find("pwrite"), std::string::npos);
  const TopicId topic = log->topic("t").value();
  auto producer = log->producer();
  auto ticket = producer->append(topic, "k", "v").value();
  EXPECT_EQ(producer->wait(ticket).value(), 0u);
}

TEST(Log, WithoutIoUringTheLogFallsBackToPwriteAndSaysSo) {
  io::force_uring_setup_failure_for_testing(EPERM);  // as with kernel.io_uring_disabled = 2
  TestDir dir;
  {
    auto log = Log::open(small_options(dir.path()));
    ASSERT_TRUE(log) << log.status().to_string();
    const std::string backend = log.value()->stats().io_backend;
    EXPECT_NE(backend.find("pwrite (io_uring unavailable"), std::string::npos) << backend;
    const TopicId topic = log.value()->topic("t").value();
    auto producer = log.value()->producer();
    for (int i = 0; i < 100; ++i) ASSERT_TRUE(producer->append(topic, "k", "v").is_ok());
    EXPECT_TRUE(producer->wait_all().is_ok());
  }
  EXPECT_EQ(read_all(dir.sub("t-0")).size(), 100u);
  LogOptions required = small_options(dir.path());
  required.io_mode = IoMode::kRequireUring;
  auto refused = Log::open(required);
  io::force_uring_setup_failure_for_testing(0);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(refused.status().message().find("io_uring is unavailable"), std::string::npos)
      << refused.status().to_string();
}

// A filesystem that refuses O_DIRECT (simulated: none here does) stops open with a message naming the way
// out; with allow_buffered_io the log writes through the page cache, says so, and keeps every event across
// segment rolls, a reopen and recovery.
TEST(Log, WithoutDirectIoOpenFailsClearlyUnlessBufferedWritesAreAllowed) {
  struct Refusal {
    Refusal() { io::force_direct_io_refusal_for_testing(true); }
    ~Refusal() { io::force_direct_io_refusal_for_testing(false); }
  } refusal;
  TestDir dir;
  auto refused = Log::open(small_options(dir.path()));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(refused.status().message().find("refuses O_DIRECT"), std::string::npos)
      << refused.status().to_string();
  EXPECT_NE(refused.status().message().find("allow_buffered_io"), std::string::npos)
      << refused.status().to_string();

  LogOptions options = small_options(dir.path(), Durability::kSync);
  options.allow_buffered_io = true;
  std::vector<std::string> values;
  for (int round = 0; round < 2; ++round) {
    auto log = Log::open(options);
    ASSERT_TRUE(log) << log.status().to_string();
    const LogStats stats = log.value()->stats();
    EXPECT_FALSE(stats.direct_io);
    EXPECT_NE(stats.io_backend.find("page-cache writes"), std::string::npos) << stats.io_backend;
    const TopicId topic = log.value()->topic("t").value();
    auto producer = log.value()->producer();
    for (int i = 0; i < 4000; ++i) {
      values.push_back(std::to_string(round) + "/" + std::to_string(i) + std::string(i % 400, 'b'));
      ASSERT_TRUE(producer->append(topic, "k", values.back()).is_ok());
    }
    ASSERT_TRUE(producer->wait_all().is_ok());
    ASSERT_TRUE(log.value()->close().is_ok());
  }
  const auto events = read_all(dir.sub("t-0"));
  ASSERT_EQ(events.size(), values.size());
  for (std::size_t i = 0; i < values.size(); ++i) ASSERT_EQ(events[i].value, values[i]) << "offset " << i;
  EXPECT_GT(std::count_if(std::filesystem::directory_iterator(dir.sub("t-0")), {},
                          [](const auto& entry) { return entry.path().extension() == ".log"; }),
            1);  // rolled at least once
}

TEST(Log, ZeroCopyClaimWritesInPlaceAndAbortLeavesNoTrace) {
  TestDir dir;
  auto log = Log::open(small_options(dir.path())).value();
  const TopicId topic = log->topic("t").value();
  auto own = log->producer();
  Producer& shared = log->shared_producer();
  for (Producer* producer : {own.get(), &shared}) {
    for (int i = 0; i < 2000; ++i) {  // more than appends_in_flight_max: aborted sequences must not stall it
      AppendClaim claim;
      ASSERT_EQ(producer->try_claim(topic, 1, 5, &claim), AppendStatus::kOk);
      std::memcpy(claim.key.data(), "k", 1);
      std::memcpy(claim.value.data(), i % 2 ? "odd.." : "even.", 5);
      if (i % 2 == 0) {
        producer->abort(claim);
      } else {
        const Ticket ticket = producer->commit(claim);
        ASSERT_TRUE(producer->wait(ticket).is_ok());
      }
    }
  }
  ASSERT_TRUE(log->close().is_ok());
  const auto events = read_all(dir.sub("t-0"));
  ASSERT_EQ(events.size(), 2000u);
  for (const auto& event : events) EXPECT_EQ(event.value, "odd..");
}

TEST(Log, TooLargeEventIsAnErrorNotAHang) {
  TestDir dir;
  auto log = Log::open(small_options(dir.path())).value();
  const TopicId topic = log->topic("t").value();
  auto producer = log->producer();
  auto ticket =
      producer->append(topic, "", std::string(100u << 10, 'x'));  // larger than the 64 KiB ring allows
  ASSERT_FALSE(ticket);
  EXPECT_EQ(ticket.status().code(), StatusCode::kTooLarge) << ticket.status().to_string();
  Ticket unused;
  EXPECT_EQ(producer->try_append(99, {}, {}, &unused), AppendStatus::kBadTopic);
}

TEST(Log, AppendAfterCloseIsClosed) {
  TestDir dir;
  auto log = Log::open(small_options(dir.path())).value();
  const TopicId topic = log->topic("t").value();
  auto producer = log->producer();
  ASSERT_TRUE(log->close().is_ok());
  auto ticket = producer->append(topic, "k", "v");
  ASSERT_FALSE(ticket);
  EXPECT_EQ(ticket.status().code(), StatusCode::kClosed);
}


std::span<const std::byte> bytes_of(std::string_view text) {
  return std::as_bytes(std::span(text.data(), text.size()));
}

// Kafka record headers go in with try_append and with the zero-copy try_claim (which copies them at the
// claim: the caller's storage may change before the commit), and come back from readers and from the file.
TEST(Log, RecordHeadersRoundTripThroughTryAppendAndTryClaim) {
  TestDir dir;
  auto log = Log::open(small_options(dir.path())).value();
  const TopicId topic = log->topic("h").value();
  auto producer = log->producer();
  using Pairs = std::vector<std::pair<std::string, std::string>>;
  std::vector<Pairs> expected;
  for (int i = 0; i < 50; ++i) {
    Pairs pairs;
    for (int h = 0; h < i % 4; ++h) {
      pairs.emplace_back("key-" + std::to_string(h), h == 1 ? std::string() : std::string(static_cast<std::size_t>(i * h), static_cast<char>('a' + h)));
    }
    std::vector<EventHeader> headers;
    for (const auto& [k, v] : pairs) headers.push_back({k, bytes_of(v)});
    const std::string value = "value " + std::to_string(i);
    Ticket ticket;
    if (i % 2 == 0) {
      ASSERT_EQ(producer->try_append(topic, 0, bytes_of("k"), bytes_of(value), headers, &ticket), AppendStatus::kOk);
    } else {
      AppendClaim claim;
      ASSERT_EQ(producer->try_claim(topic, 0, 1, value.size(), headers, &claim), AppendStatus::kOk);
      std::string scribbled = "overwritten";
      for (auto& header : headers) header = {scribbled, bytes_of(scribbled)};  // copied at the claim
      std::memcpy(claim.key.data(), "k", 1);
      std::memcpy(claim.value.data(), value.data(), value.size());
      ticket = producer->commit(claim);
    }
    ASSERT_EQ(producer->wait(ticket).value(), static_cast<std::uint64_t>(i));
    expected.push_back(pairs);
  }
  auto reader = log->reader("h").value();
  int n = 0;
  reader
      ->poll(1000,
             [&](const Event& event) {
               ASSERT_LT(n, 50);
               Pairs got;
               for (const EventHeader& h : event.headers) got.emplace_back(std::string(h.key), testing::text_of(h.value));
               EXPECT_EQ(got, expected[n]) << "offset " << event.offset;
               EXPECT_EQ(testing::text_of(event.value), "value " + std::to_string(n));
               ++n;
             })
      .value();
  EXPECT_EQ(n, 50);
  ASSERT_TRUE(log->close().is_ok());
  const auto events = read_all(dir.sub("h-0"));
  ASSERT_EQ(events.size(), 50u);
  for (std::size_t i = 0; i < events.size(); ++i) EXPECT_EQ(events[i].headers, expected[i]) << i;
}

// Derived files never cost events: a sealed segment's index lost or damaged is rebuilt from the batches
// with their true newest timestamp, so age retention does not take the segment for an old one, and seek_time
// still finds its events.
TEST(Log, LostOrCorruptIndexesNeverCostEventsToAgeRetention) {
  TestDir dir;
  LogOptions options = small_options(dir.path(), Durability::kNone);
  options.retention_age = std::chrono::seconds(3600);
  std::vector<std::int64_t> stamps;
  {
    auto log = Log::open(options).value();
    const TopicId topic = log->topic("t").value();
    auto producer = log->producer();
    for (int i = 0; i < 3000; ++i) {
      ASSERT_TRUE(producer->append(topic, std::to_string(i), std::string(1000, 'v')).is_ok());
      if (i % 500 == 499) {  // a few distinct timestamps to seek to
        ASSERT_TRUE(producer->wait_all().is_ok());
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
    }
    ASSERT_TRUE(producer->wait_all().is_ok());
    auto reader = log->reader("t").value();
    reader->poll(10000, [&](const Event& e) { stamps.push_back(e.timestamp_us); }).value();
    ASSERT_EQ(stamps.size(), 3000u);
  }
  std::vector<std::uint64_t> bases;
  for (const auto& entry : std::filesystem::directory_iterator(dir.sub("t-0"))) {
    std::uint64_t base = 0;
    if (format::parse_segment_file_name(entry.path().filename().string(), &base)) bases.push_back(base);
  }
  std::sort(bases.begin(), bases.end());
  ASSERT_GE(bases.size(), 3u);
  const std::string lost = dir.sub("t-0") + "/" + format::index_file_name(bases[0]);
  const std::string damaged = dir.sub("t-0") + "/" + format::index_file_name(bases[1]);
  ASSERT_TRUE(std::filesystem::exists(lost));
  ASSERT_TRUE(std::filesystem::exists(damaged));
  std::filesystem::remove(lost);
  {
    ::chmod(damaged.c_str(), 0644);
    const int fd = ::open(damaged.c_str(), O_RDWR);
    ASSERT_GE(fd, 0);
    unsigned char byte = 0;
    ASSERT_EQ(::pread(fd, &byte, 1, 40), 1);  // inside max_timestamp_us
    byte ^= 0xff;
    ASSERT_EQ(::pwrite(fd, &byte, 1, 40), 1);
    ::close(fd);
  }
  {
    auto log = Log::open(options);
    ASSERT_TRUE(log) << log.status().to_string();
    const TopicId topic = log.value()->topic("t").value();
    auto producer = log.value()->producer();
    for (int i = 3000; i < 5000; ++i) {  // rolls again: retention runs at each seal
      ASSERT_TRUE(producer->append(topic, std::to_string(i), std::string(1000, 'w')).is_ok());
    }
    ASSERT_TRUE(producer->wait_all().is_ok());
    EXPECT_EQ(log.value()->offsets(topic, 0).value().log_start, 0u);
    auto reader = log.value()->reader("t").value();
    EXPECT_EQ(reader->start_offset(), 0u);
    for (const std::size_t i : {std::size_t{0}, std::size_t{500}, std::size_t{1500}, std::size_t{2500}}) {
      ASSERT_TRUE(reader->seek_time(stamps[i]).is_ok());
      const auto first = static_cast<std::uint64_t>(std::find(stamps.begin(), stamps.end(), stamps[i]) - stamps.begin());
      EXPECT_EQ(reader->position(), first) << "seek_time to the stamp of offset " << i;
    }
    ASSERT_TRUE(log.value()->close().is_ok());
  }
  const auto events = read_all(dir.sub("t-0"));
  ASSERT_EQ(events.size(), 5000u);
  for (std::size_t i = 0; i < events.size(); ++i) ASSERT_EQ(events[i].key, std::to_string(i));
  EXPECT_TRUE(std::filesystem::exists(lost)) << "the lost index was not rebuilt";
}

TEST(Log, DirectoryOfTheOldFormatIsUnsupportedNamingTheFile) {
  TestDir dir;
  std::filesystem::create_directories(dir.sub("orders"));
  const std::string old_segment = dir.sub("orders") + "/00000000000000000000.seg";
  {
    const int fd = ::open(old_segment.c_str(), O_WRONLY | O_CREAT, 0644);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::write(fd, "STRATSEG", 8), 8);
    ::close(fd);
  }
  auto log = Log::open(small_options(dir.path()));
  ASSERT_FALSE(log);
  EXPECT_EQ(log.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(log.status().message().find(old_segment), std::string::npos) << log.status().to_string();
}

// A Producer and a Reader used after their Log is gone hold its shared state: they answer kClosed or
// nothing, and never touch freed memory (this test runs under ASan in CI).
TEST(Log, ProducerAndReaderUsedAfterTheLogIsDestroyedAnswerClosed) {
  TestDir dir;
  auto log = Log::open(small_options(dir.path())).value();
  const TopicId topic = log->topic("t").value();
  auto producer = log->producer();
  auto reader = log->reader("t").value();
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(producer->append(topic, "k", "v" + std::to_string(i)).is_ok());
  ASSERT_TRUE(producer->wait_all().is_ok());
  EXPECT_EQ(reader->poll(100, [](const Event&) {}).value(), 10u);
  log.reset();

  auto appended = producer->append(topic, "k", "late");
  ASSERT_FALSE(appended);
  EXPECT_EQ(appended.status().code(), StatusCode::kClosed) << appended.status().to_string();
  Ticket ticket;
  EXPECT_EQ(producer->try_append(topic, bytes_of("k"), bytes_of("v"), &ticket), AppendStatus::kClosed);
  AppendClaim claim;
  EXPECT_EQ(producer->try_claim(topic, 1, 1, &claim), AppendStatus::kClosed);
  EXPECT_TRUE(producer->wait_all(std::chrono::seconds(1)).is_ok());  // everything before was acknowledged

  std::size_t late_events = 0;
  auto polled = reader->poll(100, [&](const Event&) { ++late_events; });
  if (polled) {
    EXPECT_EQ(*polled, 0u);
  }
  EXPECT_EQ(late_events, 0u);
  EXPECT_FALSE(reader->wait(std::chrono::milliseconds(20)));
  EXPECT_EQ(reader->end_offset(), 10u);
  reader.reset();
  producer.reset();
}

TEST(Log, SegmentBytesAbove4GiBIsRefused) {
  TestDir dir;
  for (const std::uint64_t bytes : {(4ull << 30) + 1, 8ull << 30}) {
    LogOptions options = small_options(dir.path());
    options.segment_bytes = bytes;
    auto log = Log::open(options);
    ASSERT_FALSE(log) << bytes;
    EXPECT_EQ(log.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(log.status().message().find("segment_bytes"), std::string::npos) << log.status().to_string();
  }
  LogOptions options = small_options(dir.path());
  options.segment_bytes = 64u << 20;
  EXPECT_TRUE(Log::open(options));
}

}  // namespace
}  // namespace strata
