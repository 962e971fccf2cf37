// Idle partitions cost little (issue 23): an empty partition holds no staging buffer, reserves at most
// 1 MiB of disk and costs at most 256 KiB of memory; a partition that went quiet gives its staging back to
// the writer's pool, and appends after that continue its partial last block byte for byte.
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <string>
#include <thread>

#include "io/file.h"
#include "strata/log.h"
#include "tests/engine/read_all.h"
#include "tests/engine/small_options.h"
#include "tests/engine/test_dir.h"

namespace strata {
namespace {

using testing::read_all;
using testing::small_options;
using testing::TestDir;

constexpr std::uint64_t kIdleRssBytesMax = 256u << 10;   // per partition
constexpr std::uint64_t kIdleDiskBytesMax = 1u << 20;    // per partition

std::uint64_t resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::uint64_t size = 0;
  std::uint64_t resident = 0;
  statm >> size >> resident;
  return resident * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
}

// Bytes the filesystem allocated for everything under `dir` (what du counts).
std::uint64_t allocated_bytes(const std::string& dir) {
  std::uint64_t bytes = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    struct stat info {};
    if (::lstat(entry.path().c_str(), &info) == 0) bytes += static_cast<std::uint64_t>(info.st_blocks) * 512;
  }
  return bytes;
}

// Resident bytes of this process's staging buffers (the writer's memfd mappings, both halves of each).
std::uint64_t staging_resident_bytes() {
  std::ifstream smaps("/proc/self/smaps");
  std::string line;
  bool staging = false;
  std::uint64_t bytes = 0;
  while (std::getline(smaps, line)) {
    const std::string first = line.substr(0, line.find(' '));
    if (first.find('-') != std::string::npos && first.find(':') == std::string::npos) {  // a mapping's line
      staging = line.find("strata-staging") != std::string::npos;
    } else if (staging && first == "Rss:") {
      bytes += std::stoull(line.substr(4)) * 1024;  // "Rss:  1024 kB"
    }
  }
  return bytes;
}

TEST(IdlePartitions, EmptyOnesCostLittleMemoryAndDisk) {
  constexpr std::uint32_t kPartitions = 500;  // enough to see a per-partition cost, quick on 2 cores
  TestDir dir;
  LogOptions options = small_options(dir.path(), Durability::kSync);
  options.staging_bytes = 16u << 20;  // the default: one partition's staging would be 256 KiB here
  auto log = Log::open(options);
  ASSERT_TRUE(log) << log.status().to_string();
  const std::uint64_t rss_before = resident_bytes();
  const std::uint64_t disk_before = allocated_bytes(dir.path());
  const auto start = std::chrono::steady_clock::now();
  auto topic = log.value()->topic("idle", {.partitions = kPartitions});
  ASSERT_TRUE(topic) << topic.status().to_string();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  // Read once: two reads could differ, and a second larger than rss_before above a first smaller one wrapped
  // around (36893488147419078 "bytes" a partition, once, under ASan with three writers).
  const std::uint64_t rss_after = resident_bytes();
  const std::uint64_t rss_per_partition = (rss_after - std::min(rss_after, rss_before)) / kPartitions;
  const std::uint64_t disk_per_partition = (allocated_bytes(dir.path()) - disk_before) / kPartitions;
  std::printf("%u empty partitions: %.2f s, %llu bytes of RSS and %llu of disk each\n", kPartitions, seconds,
              static_cast<unsigned long long>(rss_per_partition),
              static_cast<unsigned long long>(disk_per_partition));
  EXPECT_LE(rss_per_partition, kIdleRssBytesMax);
  EXPECT_LE(disk_per_partition, kIdleDiskBytesMax);
  EXPECT_EQ(staging_resident_bytes(), 0u) << "an empty partition holds no staging";
  EXPECT_TRUE(log.value()->close().is_ok());
}

std::string value_for(std::uint32_t partition, int round, int i) {
  // Odd lengths, so that every partition ends in the middle of a block.
  return "p" + std::to_string(partition) + "r" + std::to_string(round) + "e" + std::to_string(i) +
         std::string(37 + 101 * i + partition, static_cast<char>('a' + (partition + i) % 26));
}

void append_round(Log& log, TopicId topic, std::uint32_t partitions, int round) {
  auto producer = log.producer();
  std::vector<Ticket> tickets;
  for (std::uint32_t p = 0; p < partitions; ++p) {
    for (int i = 0; i < 3; ++i) {
      const std::string value = value_for(p, round, i);
      auto ticket = producer->append(topic, p, std::as_bytes(std::span("k", 1)), std::as_bytes(std::span(value)));
      ASSERT_TRUE(ticket) << ticket.status().to_string();
      tickets.push_back(ticket.value());
    }
  }
  for (const Ticket& ticket : tickets) ASSERT_TRUE(producer->wait(ticket)) << "round " << round;
}

void expect_rounds(const TestDir& dir, std::uint32_t partitions, int rounds) {
  for (std::uint32_t p = 0; p < partitions; ++p) {
    std::string problem;
    const auto events = read_all(dir.sub("quiet-" + std::to_string(p)), &problem);
    ASSERT_EQ(events.size(), static_cast<std::size_t>(3 * rounds)) << "partition " << p << ": " << problem;
    for (int r = 0; r < rounds; ++r) {
      for (int i = 0; i < 3; ++i) {
        const auto& event = events[static_cast<std::size_t>(3 * r + i)];
        EXPECT_EQ(event.offset, static_cast<std::uint64_t>(3 * r + i));
        EXPECT_EQ(event.value, value_for(p, r, i)) << "partition " << p << " round " << r;
      }
    }
  }
}

TEST(IdlePartitions, QuietOnesGiveStagingBackAndContinueTheirTail) {
  constexpr std::uint32_t kPartitions = 16;
  TestDir dir;
  const LogOptions options = small_options(dir.path(), Durability::kSync);
  {
    auto log = Log::open(options).value();
    const TopicId topic = log->topic("quiet", {.partitions = kPartitions}).value();
    append_round(*log, topic, kPartitions, 0);
    const std::uint64_t busy = staging_resident_bytes();
    // Each partition took staging (256 KiB here); once quiet for a second or two they give it back, and the
    // pools keep at most staging_bytes each.
    const std::uint64_t kept_max = std::uint64_t{2} * options.staging_bytes * options.writer_threads;
    ASSERT_GT(busy, kept_max) << "every partition framed into staging of its own";
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (staging_resident_bytes() > kept_max && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));  // the writer's upkeep runs once a second
    }
    ASSERT_LE(staging_resident_bytes(), kept_max) << "quiet partitions kept their staging";
    // Appends after the staging came back continue each partial last block.
    append_round(*log, topic, kPartitions, 1);
    ASSERT_TRUE(log->close().is_ok());
  }
  expect_rounds(dir, kPartitions, 2);
  {
    // Reopened: the partial last block is read from the file, and staging is only taken at the next append.
    auto log = Log::open(options).value();
    EXPECT_EQ(staging_resident_bytes(), 0u);
    const TopicId topic = log->topic("quiet").value();
    append_round(*log, topic, kPartitions, 2);
    ASSERT_TRUE(log->close().is_ok());
  }
  expect_rounds(dir, kPartitions, 3);
}

// The segment's preallocation grows in steps as writes reach its end. A step the disk refuses (ENOSPC) in
// the middle of a pass that has already prepared writes fails the log, and close still returns: the writes
// prepared before the refusal are submitted and completed, not waited for for ever (they once were, and
// close hung; Errors/FileErrorEveryCall met it through the file calls of a 1 MiB segment).
TEST(IdlePartitions, DiskFullWhenPreallocationGrowsFailsTheLogAndCloseReturns) {
  TestDir dir;
  LogOptions options = small_options(dir.path(), Durability::kSync);
  options.writer_threads = 1;
  options.write_bytes_max = 64u << 10;  // one event is written in several writes, prepared in one pass
  options.producer_ring_bytes = options.shared_ring_bytes = 4u << 20;  // room for an event of 400 KiB
  const std::string segment = dir.path() + "/t-0/" + std::string(20, '0') + ".log";
  auto fallocates = std::make_shared<std::atomic<int>>(0);
  struct HookReset {
    ~HookReset() { io::set_file_fault_hook_for_testing(nullptr); }
  } hook_reset;
  // The first fallocate (256 KiB when the segment is created) succeeds; the next step is refused.
  io::set_file_fault_hook_for_testing([=](std::string_view operation, const std::string& path) {
    return operation == "fallocate" && path == segment && ++*fallocates >= 2 ? ENOSPC : 0;
  });
  auto log = Log::open(options).value();
  const TopicId topic = log->topic("t").value();
  {
    // 400 KiB framed at once: writes of its first 256 KiB are prepared before the fifth needs the next step.
    const std::string value(400u << 10, 'v');
    auto producer = log->producer();
    auto ticket = producer->append(topic, 0, {}, std::as_bytes(std::span(value)));
    ASSERT_TRUE(ticket) << ticket.status().to_string();
    auto offset = producer->wait(ticket.value());
    ASSERT_FALSE(offset) << "acknowledged at " << offset.value() << " although the disk was full";
    EXPECT_EQ(offset.status().code(), StatusCode::kNoSpace) << offset.status().to_string();
  }
  EXPECT_GE(fallocates->load(), 2);
  // Closed on a thread of its own, so that a close that hangs fails the test instead of stalling the binary.
  std::promise<Status> closed;
  auto result = closed.get_future();
  std::thread([log = std::move(log), closed = std::move(closed)]() mutable {
    closed.set_value(log->close());
  }).detach();
  ASSERT_EQ(result.wait_for(std::chrono::seconds(60)), std::future_status::ready)
      << "close waits for writes that were never submitted";
  const Status status = result.get();
  EXPECT_EQ(status.code(), StatusCode::kNoSpace) << status.to_string();
  EXPECT_NE(status.to_string().find(segment), std::string::npos) << status.to_string();
}

}  // namespace
}  // namespace strata
