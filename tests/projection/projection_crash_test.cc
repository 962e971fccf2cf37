// kill -9 of a projector at random moments, while it catches up and while it follows a growing log: after
// every restart the read model must equal the one built by a single uninterrupted run. The projection counts
// how often each event of two topics (events: 2 partitions, audit: 1) was applied, in one transaction
// stream, so one duplicate or one loss on either topic shows.
//
// The projector runs in a forked child that reads the log's directory (Reader::open), as `strata project`
// does beside a writer in another process; the parent owns the Log and appends.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <thread>

#include "projection/projector.h"
#include "tests/projection/projection_test_util.h"

namespace strata::testing {
namespace {

using projection::Projector;
using projection::ProjectorOptions;

// The first half of the rounds while catching up, the second while following. STRATA_CRASH_ROUNDS (as
// tools/test.sh sets it for the sanitizer builds) overrides the default of 20.
int crash_rounds() {
  const char* rounds = std::getenv("STRATA_CRASH_ROUNDS");
  return rounds != nullptr && std::atoi(rounds) > 0 ? std::atoi(rounds) : 20;
}

projection::SqlProjection sum_projection() {
  return {.name = "sums",
          .schema = "CREATE TABLE sums(id TEXT PRIMARY KEY, total INTEGER NOT NULL, events INTEGER NOT NULL)",
          .apply =
              "INSERT INTO sums VALUES(:key, :value->>'$.n', 1) "
              "ON CONFLICT(id) DO UPDATE SET total = total + excluded.total, events = events + 1"};
}

// Counts per (topic, partition, offset) over both topics.
projection::SqlProjection two_topic_counting() {
  const std::string apply =
      "INSERT INTO applied VALUES(:topic, :partition, :offset, 1) "
      "ON CONFLICT(topic, partition, offset) DO UPDATE SET times = times + 1";
  return {.name = "applied",
          .schema = "CREATE TABLE applied(topic TEXT, partition INTEGER, offset INTEGER, times INTEGER NOT NULL, "
                    "PRIMARY KEY(topic, partition, offset)) WITHOUT ROWID",
          .topics = {{"events", apply}, {"audit", apply}}};
}

// The child: project until caught up (follow = false) or forever; exit 0 when done, 1 on an error.
[[noreturn]] void run_child(const std::string& log_dir, const std::string& db, bool follow) {
  ProjectorOptions options;
  options.database = db;
  options.topic = "events";
  options.log_directory = log_dir;
  options.batch_events_max = 1000;
  auto projector = Projector::open(options);
  if (!projector) {
    std::fprintf(stderr, "child: %s\n", projector.status().to_string().c_str());
    _exit(1);
  }
  if (!(*projector)->add(two_topic_counting()) || !(*projector)->add(sum_projection())) _exit(1);
  Status status = follow ? (*projector)->follow() : (*projector)->catch_up();
  if (!status) std::fprintf(stderr, "child: %s\n", status.to_string().c_str());
  _exit(status ? 0 : 1);
}

pid_t start_child(const std::string& log_dir, const std::string& db, bool follow) {
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  if (pid == 0) run_child(log_dir, db, follow);
  return pid;
}

TEST(ProjectionCrash, KillNineDuringCatchUpAndFollowAppliesEachEventOnce) {
  TestDir dir;
  const std::string log_dir = dir.sub("log");
  const std::string db = dir.sub("model.db");
  // Batch durability: the child reads only what is synced, and a sync comes every 10 ms.
  auto opened = Log::open(small_options(log_dir, Durability::kBatch));
  ASSERT_TRUE(opened.is_ok()) << opened.status().to_string();
  std::unique_ptr<Log> log = std::move(opened.value());
  ASSERT_TRUE(log->topic("events", {.partitions = 2}).is_ok());
  ASSERT_TRUE(log->topic("audit").is_ok());
  std::uint64_t appended[3] = {0, 0, 0};  // events-0, events-1, audit-0
  auto append = [&](std::uint32_t stream, std::uint64_t count) {
    append_orders(*log, stream < 2 ? "events" : "audit", stream % 2, appended[stream], count, 1000);
    appended[stream] += count;
  };
  append(0, 30'000);
  append(1, 20'000);
  append(2, 10'000);
  ASSERT_TRUE(log->flush().is_ok());

  std::mt19937 random(20261127);
  const int rounds = crash_rounds();
  int killed = 0, finished = 0, killed_behind = 0;
  for (int round = 0; round < rounds; ++round) {
    const bool follow = round >= rounds / 2;
    if (!follow) {  // a backlog for every catch-up round
      append(0, 12'000);
      append(1, 8'000);
      append(2, 4'000);
      ASSERT_TRUE(log->flush().is_ok());
    }
    std::atomic<bool> appending{follow};
    std::thread appender;
    if (follow) {
      appender = std::thread([&] {
        for (int i = 0; appending && i < 200; ++i) {
          append(static_cast<std::uint32_t>(i % 3), 97);
          std::this_thread::sleep_for(std::chrono::microseconds(500));
        }
      });
    }
    const pid_t pid = start_child(log_dir, db, follow);
    ASSERT_GT(pid, 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution<int>(2, 80)(random)));
    ::kill(pid, SIGKILL);
    int wait_status = 0;
    ASSERT_EQ(::waitpid(pid, &wait_status, 0), pid);
    if (WIFSIGNALED(wait_status)) {
      ++killed;
      if (std::filesystem::exists(db) &&
          Sql(db).integer("SELECT count(*) FROM sqlite_master WHERE name = 'strata_checkpoint'") == 1) {
        Sql sql(db);
        const std::int64_t applied = sql.integer(
            "SELECT coalesce(sum(next_offset), 0) FROM strata_checkpoint "
            "WHERE name = 'applied'");
        if (applied >= 0 && static_cast<std::uint64_t>(applied) < appended[0] + appended[1] + appended[2])
          ++killed_behind;
      }
    } else {
      ASSERT_TRUE(WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0) << "round " << round;
      ++finished;
    }
    appending = false;
    if (appender.joinable()) appender.join();
  }
  ASSERT_TRUE(log->flush().is_ok());
  EXPECT_GE(killed, rounds / 2) << "most rounds should end in a kill";
  EXPECT_GE(killed_behind, rounds / 4) << "kills should land while the projector is behind the log";

  // Finish the interrupted model, then build the reference in one uninterrupted run.
  const pid_t last = start_child(log_dir, db, /*follow=*/false);
  int wait_status = 0;
  ASSERT_EQ(::waitpid(last, &wait_status, 0), last);
  ASSERT_TRUE(WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0);
  const std::string reference_db = dir.sub("reference.db");
  const pid_t reference = start_child(log_dir, reference_db, /*follow=*/false);
  ASSERT_EQ(::waitpid(reference, &wait_status, 0), reference);
  ASSERT_TRUE(WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0);

  Sql model(db);
  Sql expected(reference_db);
  const std::uint64_t total = appended[0] + appended[1] + appended[2];
  EXPECT_EQ(model.integer("SELECT count(*) FROM applied"), static_cast<std::int64_t>(total));
  EXPECT_EQ(model.integer("SELECT max(times) FROM applied"), 1);
  EXPECT_EQ(
      model.dump("SELECT topic, partition, count(*), min(offset), max(offset) FROM applied GROUP BY topic, partition"),
      "audit|0|" + std::to_string(appended[2]) + "|0|" + std::to_string(appended[2] - 1) + "\nevents|0|" +
          std::to_string(appended[0]) + "|0|" + std::to_string(appended[0] - 1) + "\nevents|1|" +
          std::to_string(appended[1]) + "|0|" + std::to_string(appended[1] - 1) + "\n");
  // Whole tables compared (printed only as a count of differing rows: they are long).
  const std::string differing_sums =
      "SELECT count(*) FROM (SELECT * FROM sums EXCEPT SELECT * FROM reference.sums) "
      "UNION ALL SELECT count(*) FROM (SELECT * FROM reference.sums EXCEPT SELECT * FROM sums)";
  ASSERT_EQ(sqlite3_exec(model.get(), ("ATTACH '" + reference_db + "' AS reference").c_str(), nullptr,
                         nullptr, nullptr),
            SQLITE_OK);
  EXPECT_EQ(model.dump(differing_sums), "0\n0\n") << "rows of sums that differ from the uninterrupted run";
  EXPECT_EQ(model.dump("SELECT count(*) FROM (SELECT * FROM applied EXCEPT SELECT * FROM reference.applied)"),
            "0\n");
  EXPECT_EQ(expected.integer("SELECT count(*) FROM applied WHERE times = 1"),
            static_cast<std::int64_t>(total));
  std::printf("crash test: %d rounds killed (%d behind the log), %d finished before the kill, %llu events\n",
              killed, killed_behind, finished, static_cast<unsigned long long>(total));
}

}  // namespace
}  // namespace strata::testing
