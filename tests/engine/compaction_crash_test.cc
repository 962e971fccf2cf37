// kill -9 during a compaction pass, at each step of a segment's swap (engine/compactor.h): the reopened log
// holds, for every segment, the old one or the new one whole (every event read is the one appended at its
// offset, no key's latest event is missing, every CRC checks out), key reads agree with a full read, and
// the next pass finishes the job and removes what the killed one left aside.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include "engine/compactor.h"
#include "engine/format.h"
#include "strata/inspect.h"
#include "strata/key_reader.h"
#include "tests/engine/compaction_fixture.h"
#include "tests/engine/test_dir.h"

namespace strata {
namespace {

using testing::bytes_of;
using testing::compacted_offsets;
using testing::expect_consistent;
using testing::CompactedTopic;
using testing::Partition;
using testing::TestDir;

// Runs a pass over t-0 in a child process killed (SIGKILL) when the pass reaches `step` the `nth` time.
void compact_until_killed(const std::string& dir, std::string_view step, int nth) {
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    detail::CompactionOptions options;
    options.now_us = std::chrono::duration_cast<std::chrono::microseconds>(
                         std::chrono::system_clock::now().time_since_epoch()).count();
    options.direct_io = false;
    options.key_index = true;
    int seen = 0;
    options.step_hook = [&](std::string_view at) {
      if (at == step && ++seen == nth) ::raise(SIGKILL);
    };
    auto result = detail::compact_partition(dir + "/t-0", options);
    ::_exit(result.is_ok() ? 0 : 2);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "the pass ended before step " << step;
}

class CompactionCrash : public ::testing::TestWithParam<std::pair<const char*, int>> {};

TEST_P(CompactionCrash, LeavesTheOldOrTheNewSegment) {
  const auto [step, nth] = GetParam();
  TestDir dir;
  Partition before;
  std::uint64_t active_base = 0;
  {
    CompactedTopic fixture(dir.path(), /*key_index=*/true);
    fixture.append_events(20000, 100);
    before = fixture.read_all();
    active_base = fixture.active_base();
  }
  compact_until_killed(dir.path(), step, nth);
  const std::set<std::uint64_t> required = compacted_offsets(before, active_base);
  const std::string where = std::string("killed at ") + step + " #" + std::to_string(nth);
  CompactedTopic reopened(dir.path(), /*key_index=*/true);
  expect_consistent(reopened, before, required, where);
  auto verified = verify_log(dir.path(), "t");
  ASSERT_TRUE(verified.is_ok());
  EXPECT_TRUE(verified->problems.empty()) << where << ": " << verified->problems.front().reason;
  // The next pass completes it.
  ASSERT_TRUE(reopened.log().compact("t").is_ok());
  std::set<std::uint64_t> offsets;
  for (const auto& [offset, event] : reopened.read_all()) offsets.insert(offset);
  EXPECT_EQ(offsets, required) << where;
  for (const auto& entry : std::filesystem::directory_iterator(dir.sub("t-0"))) {
    EXPECT_EQ(entry.path().string().find(std::string(format::kCompactingSuffix)), std::string::npos)
        << where << ": left " << entry.path();
  }
  expect_consistent(reopened, before, required, where + ", then compacted");
}

INSTANTIATE_TEST_SUITE_P(EveryStep, CompactionCrash,
                         ::testing::Values(std::pair{"written", 1}, std::pair{"old-index-removed", 1},
                                           std::pair{"renamed", 1}, std::pair{"index-written", 1},
                                           std::pair{"done", 1}, std::pair{"renamed", 2}));

}  // namespace
}  // namespace strata
