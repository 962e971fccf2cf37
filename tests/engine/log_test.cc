#include "strata/log.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <map>
#include <thread>

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
  const auto events = read_all(dir.sub("orders"));
  ASSERT_EQ(events.size(), 100u);
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(events[i].offset, static_cast<std::uint64_t>(i));
    EXPECT_EQ(events[i].key, "k" + std::to_string(i));
    EXPECT_EQ(events[i].value, "value " + std::to_string(i));
  }
  // Where io_uring takes fixed buffers (it does on the kernels this project runs on), staging is one.
  const LogStats stats = log.value()->stats();
  if (stats.io_backend.rfind("io_uring", 0) == 0) {
    EXPECT_TRUE(stats.topics[0].registered_staging) << stats.io_backend;
  }
  EXPECT_TRUE(log.value()->close().is_ok());
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
    EXPECT_EQ(read_all(dir.sub("t")).size(), 5000u);
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
  const auto events = read_all(dir.sub("t"));
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
  const auto events = read_all(dir.sub("t"));
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
  const auto events_a = read_all(dir.sub("a"));
  const auto events_b = read_all(dir.sub("b"));
  EXPECT_EQ(events_a.size() + events_b.size(), 4u * 2000 * 2);
  // Per producer order within a topic: keys of one thread appear in increasing i.
  std::map<std::string, int> last;
  for (const auto& e : events_a) {
    const std::string thread_value = e.key.substr(0, e.key.find(':')) + e.value;
    const int i = std::stoi(e.key.substr(e.key.find(':') + 1));
    auto it = last.find(thread_value);
    if (it != last.end()) {
      EXPECT_LT(it->second, i);
    }
    last[thread_value] = i;
  }
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
  EXPECT_EQ(read_all(dir.sub("t")).size(), 100u);
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
  const auto events = read_all(dir.sub("t"));
  ASSERT_EQ(events.size(), values.size());
  for (std::size_t i = 0; i < values.size(); ++i) ASSERT_EQ(events[i].value, values[i]) << "offset " << i;
  EXPECT_GT(std::count_if(std::filesystem::directory_iterator(dir.sub("t")), {},
                          [](const auto& entry) { return entry.path().extension() == ".seg"; }),
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
  const auto events = read_all(dir.sub("t"));
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
  EXPECT_EQ(ticket.status().code(), StatusCode::kInvalidArgument);
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

}  // namespace
}  // namespace strata
