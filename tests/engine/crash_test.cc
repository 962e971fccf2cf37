// Crash test: a child process appends with kSync acknowledgements and reports every acknowledged offset to
// the parent through a pipe; the parent kills it with SIGKILL at a random moment, reopens the log, and checks
// that every acknowledged event is there, byte for byte, at its offset, that offsets are dense, and that no
// invalid record is visible. Rounds accumulate in one directory.
//
// STRATA_CRASH_ROUNDS sets the number of kills (default 20).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <map>
#include <random>
#include <thread>

#include "strata/log.h"
#include "tests/engine/read_all.h"
#include "tests/engine/small_options.h"
#include "tests/engine/test_dir.h"

namespace strata {
namespace {

using testing::read_all;
using testing::small_options;
using testing::TestDir;

struct AckRecord {
  std::uint64_t offset;
  std::uint32_t round;
  std::uint16_t producer;
  std::uint16_t padding;
  std::uint64_t sequence;
};
static_assert(sizeof(AckRecord) == 24);  // well under PIPE_BUF: each write is atomic

std::string value_for(std::uint32_t round, std::uint32_t producer, std::uint64_t sequence) {
  std::string value =
      "r" + std::to_string(round) + "p" + std::to_string(producer) + "s" + std::to_string(sequence);
  value.append((sequence * 37 + producer) % 700, static_cast<char>('a' + sequence % 26));
  return value;
}

[[noreturn]] void child_main(const std::string& dir, std::uint32_t round, int pipe_fd) {
  auto options = small_options(dir, Durability::kSync);
  auto log = Log::open(options);
  if (!log) {
    std::fprintf(stderr, "child: %s\n", log.status().to_string().c_str());
    _exit(2);
  }
  const TopicId topic = log.value()->topic("crash").value();
  std::vector<std::thread> threads;
  for (std::uint16_t p = 0; p < 4; ++p) {
    threads.emplace_back([&, p] {
      auto producer = log.value()->producer();
      for (std::uint64_t sequence = 0;; ++sequence) {
        auto ticket = producer->append(topic, "k" + std::to_string(p), value_for(round, p, sequence));
        if (!ticket) _exit(3);
        auto offset = producer->wait(*ticket);
        if (!offset) _exit(4);
        const AckRecord record{*offset, round, p, 0, sequence};
        if (::write(pipe_fd, &record, sizeof record) != sizeof record) _exit(5);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  _exit(0);
}

TEST(Crash, AcknowledgedEventsSurviveSigkill) {
  const char* rounds_text = std::getenv("STRATA_CRASH_ROUNDS");
  const int rounds = rounds_text != nullptr ? std::atoi(rounds_text) : 20;
  TestDir dir;
  std::mt19937_64 rng(12345);
  std::map<std::uint64_t, std::string> acknowledged;  // offset -> value
  for (int round = 0; round < rounds; ++round) {
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      ::close(fds[0]);
      child_main(dir.path(), static_cast<std::uint32_t>(round), fds[1]);
    }
    ::close(fds[1]);
    std::this_thread::sleep_for(std::chrono::milliseconds(20 + rng() % 150));
    ::kill(child, SIGKILL);
    int status = 0;
    ::waitpid(child, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status)) << "child exited on its own with " << WEXITSTATUS(status) << " in round "
                                     << round;
    AckRecord record;
    std::size_t round_acks = 0;
    while (::read(fds[0], &record, sizeof record) == sizeof record) {
      const std::string value = value_for(record.round, record.producer, record.sequence);
      const auto [it, inserted] = acknowledged.emplace(record.offset, value);
      ASSERT_TRUE(inserted) << "offset " << record.offset << " acknowledged twice";
      ++round_acks;
    }
    ::close(fds[0]);

    // Reopen (recovery runs), then read everything back.
    auto log = Log::open(small_options(dir.path()));
    ASSERT_TRUE(log) << "round " << round << ": " << log.status().to_string();
    ASSERT_TRUE(log.value()->close().is_ok());
    std::string problem;
    const auto events = read_all(dir.sub("crash-0"), &problem);
    EXPECT_EQ(problem, "") << "an invalid record is visible after recovery in round " << round;
    for (std::size_t i = 0; i < events.size(); ++i) ASSERT_EQ(events[i].offset, i) << "offsets not dense";
    for (const auto& [offset, value] : acknowledged) {
      ASSERT_LT(offset, events.size()) << "acknowledged offset " << offset << " lost in round " << round;
      ASSERT_EQ(events[offset].value, value)
          << "acknowledged offset " << offset << " changed in round " << round;
    }
    // Unacknowledged events that survived were acknowledged by nobody: forget them, next round appends after.
    RecordProperty("round_" + std::to_string(round) + "_acks", static_cast<int>(round_acks));
  }
  EXPECT_GT(acknowledged.size(), static_cast<std::size_t>(rounds))
      << "the child hardly ever got an acknowledgement";
}

}  // namespace
}  // namespace strata
