// The consumer-group log (engine/group_log.h): what a commit leaves on disk, what damage does to it (refused
// or cut back to whole records, never a wrong offset), compaction, migration of format 2's checkpoint files,
// and several threads and processes committing at once.
#include "engine/group_log.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <thread>

#include <gtest/gtest.h>

#include "engine/format.h"
#include "io/file.h"
#include "strata/consumer_group.h"
#include "tests/engine/test_dir.h"

namespace strata {
namespace {

using testing::TestDir;
using Expected = std::map<std::pair<std::string, std::uint32_t>, std::uint64_t>;

std::string log_path(const TestDir& dir) { return dir.path() + "/" + std::string(format::kGroupLogFile); }

// What a fresh process would read (the shared GroupLog of this process caches what it read).
Result<Expected> read_fresh(const TestDir& dir, std::string_view group) {
  GroupLog log(std::filesystem::canonical(dir.path()).string());
  Expected offsets;
  Status read = log.read([&](const GroupLog::Groups& groups) {
    auto it = groups.find(group);
    if (it == groups.end()) return;
    for (const auto& [key, committed] : it->second.offsets) offsets[key] = committed.offset;
  });
  if (!read.is_ok()) return read;
  return offsets;
}

// Commits `count` offsets one after the other (partition i % 3 of "t"), recording the expected state and
// where the records end after each commit (zeros written ahead follow).
void commit_sequence(const TestDir& dir, int count, std::vector<Expected>* states, std::vector<std::uint64_t>* sizes) {
  Expected state;
  for (int i = 0; i < count; ++i) {
    const auto partition = static_cast<std::uint32_t>(i % 3);
    const auto offset = static_cast<std::uint64_t>(100 + i);
    ASSERT_TRUE(commit_group_offset(dir.path(), "g", "t", partition, {offset, "m" + std::to_string(i)}).is_ok());
    state[{"t", partition}] = offset;
    states->push_back(state);
    sizes->push_back(GroupLog::of_directory(dir.path()).value()->file_bytes());  // where the records end
  }
}

TEST(GroupLog, CommitsAreOneAppendedRecordEachAndReadBackFromAFreshOpen) {
  TestDir dir;
  std::vector<Expected> states;
  std::vector<std::uint64_t> sizes;
  commit_sequence(dir, 6, &states, &sizes);
  for (std::size_t i = 1; i < sizes.size(); ++i) EXPECT_GT(sizes[i], sizes[i - 1]);
  auto fresh = read_fresh(dir, "g");
  ASSERT_TRUE(fresh) << fresh.status().to_string();
  EXPECT_EQ(*fresh, states.back());
  EXPECT_EQ(read_group_offset(dir.path(), "g", "t", 2).value().metadata, "m5");
}

TEST(GroupLog, EveryFlippedByteIsRefusedOrReadsTheCommittedOffsetsNeverOthers) {
  TestDir dir;
  std::vector<Expected> states;
  std::vector<std::uint64_t> sizes;
  commit_sequence(dir, 5, &states, &sizes);
  const std::string path = log_path(dir);
  const std::uint64_t last_record_at = sizes[sizes.size() - 2];
  int refused = 0;
  for (std::uint64_t at = 0; at < sizes.back(); ++at) {
    const int fd = ::open(path.c_str(), O_RDWR);
    ASSERT_GE(fd, 0);
    unsigned char byte = 0;
    ASSERT_EQ(::pread(fd, &byte, 1, static_cast<off_t>(at)), 1);
    const unsigned char flipped = byte ^ 0x10;
    ASSERT_EQ(::pwrite(fd, &flipped, 1, static_cast<off_t>(at)), 1);
    auto read = read_fresh(dir, "g");
    if (!read) {
      ++refused;
      EXPECT_EQ(read.status().code(), StatusCode::kCorruption) << read.status().to_string();
      EXPECT_NE(read.status().message().find(format::kGroupLogFile), std::string::npos);
    } else if (at >= last_record_at) {
      // The last record damaged is a torn append as far as anyone can tell: the state before it.
      EXPECT_EQ(*read, states[states.size() - 2]) << "byte " << at;
    } else {
      ADD_FAILURE() << "byte " << at << " flipped before the last record and the file was read";
    }
    ASSERT_EQ(::pwrite(fd, &byte, 1, static_cast<off_t>(at)), 1);
    ::close(fd);
  }
  EXPECT_EQ(refused, static_cast<int>(last_record_at));
  EXPECT_EQ(read_fresh(dir, "g").value(), states.back());
}

TEST(GroupLog, EveryTruncationReadsTheWholeRecordsBeforeItAndTheNextCommitCutsTheTornOne) {
  TestDir dir;
  std::vector<Expected> states;
  std::vector<std::uint64_t> sizes;
  commit_sequence(dir, 4, &states, &sizes);
  const std::string path = log_path(dir);
  std::vector<std::byte> whole(sizes.back());
  {
    auto file = io::File::open(path, io::OpenMode::kReadOnly).value();
    ASSERT_EQ(file.read_at(whole, 0).value(), whole.size());
  }
  for (std::uint64_t length = 0; length < sizes.back(); ++length) {
    {
      auto file = io::File::open(path, io::OpenMode::kReadWrite).value();
      ASSERT_TRUE(file.truncate(0).is_ok());
      ASSERT_TRUE(file.write_at(std::span(whole).first(length), 0).is_ok());
    }
    auto read = read_fresh(dir, "g");
    if (length < sizeof(format::GroupLogHeader)) {
      ASSERT_FALSE(read) << length;
      EXPECT_EQ(read.status().code(), StatusCode::kCorruption);
      continue;
    }
    ASSERT_TRUE(read) << length << ": " << read.status().to_string();
    std::size_t whole_records = 0;
    while (whole_records < sizes.size() && sizes[whole_records] <= length) ++whole_records;
    EXPECT_EQ(*read, whole_records == 0 ? Expected{} : states[whole_records - 1]) << length;
  }
  // Cut in the middle of the last record: a writer cuts the torn bytes off before it appends.
  std::filesystem::resize_file(path, sizes.back() - 3);
  GroupLog writer(std::filesystem::canonical(dir.path()).string());
  ASSERT_TRUE(writer.append({format::GroupLogRecordType::kOffsets, "g", {{"t", 7, {1, ""}}}, {}}).is_ok());
  auto after = read_fresh(dir, "g");
  ASSERT_TRUE(after) << after.status().to_string();
  Expected expected = states[states.size() - 2];
  expected[{"t", 7}] = 1;
  EXPECT_EQ(*after, expected);
}

TEST(GroupLog, CompactionKeepsTheLiveStateAndBoundsTheFile) {
  TestDir dir;
  GroupLog::set_compaction_bytes_min(4096);
  for (int i = 0; i < 600; ++i) {
    ASSERT_TRUE(commit_group_offset(dir.path(), "g", "t", i % 4, {static_cast<std::uint64_t>(i), ""}).is_ok());
  }
  ASSERT_TRUE(store_group_coordinator_state(dir.path(), "g", "state-bytes").is_ok());
  auto log = GroupLog::of_directory(dir.path()).value();
  ASSERT_TRUE(log->compact().is_ok());
  GroupLog::set_compaction_bytes_min(16u << 20);
  EXPECT_LT(std::filesystem::file_size(log_path(dir)), 512u);
  const Expected expected{{{"t", 0}, 596}, {{"t", 1}, 597}, {{"t", 2}, 598}, {{"t", 3}, 599}};
  EXPECT_EQ(read_fresh(dir, "g").value(), expected);
  const auto states = read_group_coordinator_states(dir.path()).value();
  ASSERT_EQ(states.size(), 1u);
  EXPECT_EQ(states[0].second, "state-bytes");
  // Commits after the compaction append to the new file.
  ASSERT_TRUE(commit_group_offset(dir.path(), "g", "t", 0, {5000, ""}).is_ok());
  EXPECT_EQ(read_fresh(dir, "g").value().at({"t", 0}), 5000u);
}

TEST(GroupLog, Format2CheckpointFilesAreMigratedOnOpenAndRemoved) {
  TestDir dir;
  const std::string group_dir = dir.path() + "/strata-groups/old group";
  std::filesystem::create_directories(group_dir);
  for (std::uint32_t partition : {0u, 11u}) {
    const auto bytes = format::encode_group_checkpoint({40 + partition, "meta"});
    auto file = io::File::open(group_dir + "/t-" + std::to_string(partition) + ".strata-offset",
                               io::OpenMode::kReadWriteCreate)
                    .value();
    ASSERT_TRUE(file.write_at(bytes, 0).is_ok());
  }
  auto read = read_group_offset(dir.path(), "old group", "t", 11);
  ASSERT_TRUE(read) << read.status().to_string();
  EXPECT_EQ(read->offset, 51u);
  EXPECT_EQ(read->metadata, "meta");
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/strata-groups"));
  EXPECT_EQ(read_fresh(dir, "old group").value(), (Expected{{{"t", 0}, 40}, {{"t", 11}, 51}}));
}

TEST(GroupLog, ADamagedFormat2CheckpointIsRefusedNamingIt) {
  TestDir dir;
  std::filesystem::create_directories(dir.path() + "/strata-groups/g");
  auto file = io::File::open(dir.path() + "/strata-groups/g/t-0.strata-offset", io::OpenMode::kReadWriteCreate).value();
  ASSERT_TRUE(file.write_at(std::as_bytes(std::span("garbage", 7)), 0).is_ok());
  auto read = read_group_offset(dir.path(), "g", "t", 0);
  ASSERT_FALSE(read);
  EXPECT_EQ(read.status().code(), StatusCode::kCorruption);
  EXPECT_NE(read.status().message().find("t-0.strata-offset"), std::string::npos) << read.status().to_string();
}

TEST(GroupLog, ConcurrentCommitsOfManyThreadsAreEachDurableAndTheLastOneWins) {
  TestDir dir;
  constexpr int kThreads = 8;
  constexpr int kCommits = 100;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 1; i <= kCommits; ++i) {
        const GroupPartitionOffset entry{"t", static_cast<std::uint32_t>(t), {static_cast<std::uint64_t>(i), ""}};
        EXPECT_TRUE(commit_group_offsets(dir.path(), "group with spaces/and slashes ✓", std::span(&entry, 1)).is_ok());
        EXPECT_EQ(read_group_offset(dir.path(), "group with spaces/and slashes ✓", "t", t).value().offset, i);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  Expected expected;
  for (int t = 0; t < kThreads; ++t) expected[{"t", t}] = kCommits;
  EXPECT_EQ(read_fresh(dir, "group with spaces/and slashes ✓").value(), expected);
  EXPECT_EQ(list_groups(dir.path()).value(), (std::vector<std::string>{"group with spaces/and slashes ✓"}));
}

// Event loops commit without blocking (GroupCommits: start, then arm the eventfd, look, sleep on it) beside
// threads that commit and wait: every commit becomes durable, no loop sleeps past a sync that covered it (a
// lost wake-up would sleep the 10 s), and the last commit of each partition wins.
TEST(GroupLog, CommitsStartedWithoutWaitingBecomeDurableAndWakeTheirEventLoops) {
  TestDir dir;
  constexpr int kLoops = 4;
  constexpr int kBlocking = 2;
  constexpr int kCommits = 150;
  std::vector<std::thread> threads;
  for (int t = 0; t < kLoops; ++t) {
    threads.emplace_back([&, t] {
      auto commits = GroupCommits::of_directory(dir.path());
      ASSERT_TRUE(commits) << commits.status().to_string();
      const int fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
      for (int i = 1; i <= kCommits; ++i) {
        const GroupPartitionOffset entry{"t", static_cast<std::uint32_t>(t), {static_cast<std::uint64_t>(i), ""}};
        auto ticket = commits->start("g", std::span(&entry, 1));
        ASSERT_TRUE(ticket) << ticket.status().to_string();
        for (;;) {
          ASSERT_TRUE(commits->watch(fd).is_ok());
          auto durable = commits->durable(*ticket);
          ASSERT_TRUE(durable) << durable.status().to_string();
          if (*durable) break;
          pollfd readable{fd, POLLIN, 0};
          ASSERT_EQ(::poll(&readable, 1, 10'000), 1) << "slept 10 s: a sync's wake-up was lost";
          std::uint64_t count = 0;
          (void)::read(fd, &count, sizeof count);
        }
      }
      commits->unwatch(fd);
      ::close(fd);
    });
  }
  for (int t = kLoops; t < kLoops + kBlocking; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 1; i <= kCommits; ++i) {
        const GroupPartitionOffset entry{"t", static_cast<std::uint32_t>(t), {static_cast<std::uint64_t>(i), ""}};
        EXPECT_TRUE(commit_group_offsets(dir.path(), "g", std::span(&entry, 1)).is_ok());
      }
    });
  }
  for (auto& thread : threads) thread.join();
  Expected expected;
  for (int t = 0; t < kLoops + kBlocking; ++t) expected[{"t", t}] = kCommits;
  EXPECT_EQ(read_fresh(dir, "g").value(), expected);
}

// Another process commits and compacts while this one keeps its file open: each reads the other's commits.
TEST(GroupLog, ProcessesShareTheFileThroughCommitsAndCompactions) {
  TestDir dir;
  ASSERT_TRUE(commit_group_offset(dir.path(), "g", "t", 0, {1, ""}).is_ok());
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    GroupLog own(std::filesystem::canonical(dir.path()).string());
    for (std::uint64_t i = 1; i <= 50; ++i) {
      if (!own.append({format::GroupLogRecordType::kOffsets, "g", {{"t", 1, {i, ""}}}, {}}).is_ok()) _exit(2);
    }
    _exit(own.compact().is_ok() ? 0 : 3);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  EXPECT_EQ(read_group_offset(dir.path(), "g", "t", 1).value().offset, 50u);
  ASSERT_TRUE(commit_group_offset(dir.path(), "g", "t", 0, {2, ""}).is_ok());
  EXPECT_EQ(read_fresh(dir, "g").value(), (Expected{{{"t", 0}, 2}, {{"t", 1}, 50}}));
}

TEST(GroupLog, ADeletedTopicTakesEveryGroupsOffsetsOfItAndTheStateStays) {
  TestDir dir;
  ASSERT_TRUE(commit_group_offset(dir.path(), "a", "t", 0, {1, ""}).is_ok());
  ASSERT_TRUE(commit_group_offset(dir.path(), "b", "t", 1, {2, ""}).is_ok());
  ASSERT_TRUE(commit_group_offset(dir.path(), "b", "u", 0, {3, ""}).is_ok());
  ASSERT_TRUE(store_group_coordinator_state(dir.path(), "a", "s").is_ok());
  auto log = GroupLog::of_directory(dir.path()).value();
  ASSERT_TRUE(log->append({format::GroupLogRecordType::kTopicDeleted, "t", {}, {}}).is_ok());
  EXPECT_EQ(list_groups(dir.path()).value(), (std::vector<std::string>{"b"}));
  EXPECT_EQ(read_fresh(dir, "b").value(), (Expected{{{"u", 0}, 3}}));
  EXPECT_EQ(read_group_coordinator_states(dir.path()).value().size(), 1u);
  ASSERT_TRUE(store_group_coordinator_state(dir.path(), "a", "").is_ok());
  EXPECT_TRUE(read_group_coordinator_states(dir.path()).value().empty());
}

}  // namespace
}  // namespace strata
